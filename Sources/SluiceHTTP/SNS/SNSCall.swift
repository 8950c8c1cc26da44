import Foundation
import SluiceCore
import SluiceTopics
import SluiceWire

/// One SNS request as an action handler sees it.
struct SNSCall: Sendable {
    let params: QueryParams
    let engine: TopicEngine
    let context: CallerContext

    func string(_ name: String) throws(TopicError) -> String? {
        do { return try params.string(name) } catch { throw TopicError.invalid(name) }
    }

    /// `Attributes.entry.N.key` / `.value`.
    func attributes() throws(TopicError) -> [String: String] {
        do { return try params.stringMap("Attributes", query: "Attributes.entry", key: "key", value: "value") } catch { throw TopicError.invalid("Attributes") }
    }

    /// `Tags.member.N.Key` / `.Value`.
    func tags() throws(TopicError) -> [String: String] {
        var seen = Set<String>()
        var tags = [String: String]()
        for entry in (try? params.entries("Tags", query: "Tags.member")) ?? [] {
            guard let key = try? entry.string("Key") else { continue }
            guard seen.insert(key).inserted else { throw TopicError.invalid("Duplicated keys are not allowed.") }
            tags[key] = (try? entry.string("Value")) ?? ""
        }
        return tags
    }

    func members(_ name: String) -> [String] {
        (try? params.strings(name, query: "\(name).member")) ?? []
    }

    /// `MessageAttributes.entry.N.Name`, `.Value.DataType`, `.Value.StringValue`, `.Value.BinaryValue`.
    static func messageAttributes(_ params: any RequestParams) throws(TopicError) -> [String: SNSAttribute] {
        var out = [String: SNSAttribute]()
        for entry in (try? params.entries("MessageAttributes", query: "MessageAttributes.entry")) ?? [] {
            guard let name = try? entry.string("Name") else { continue }
            guard let type = try? entry.string("Value.DataType"), !type.isEmpty else {
                throw TopicError(.parameterValueInvalid, "The message attribute '\(name)' must contain non-empty message attribute type.")
            }
            var binary: [UInt8]?
            if let text = try? entry.string("Value.BinaryValue") {
                guard let data = Data(base64Encoded: text) else {
                    throw TopicError(.parameterValueInvalid, "The message attribute '\(name)' has an invalid base64 binary value.")
                }
                binary = Array(data)
            }
            out[name] = SNSAttribute(dataType: type, stringValue: try? entry.string("Value.StringValue"), binaryValue: binary)
        }
        return out
    }

    static func publishRequest(_ params: any RequestParams) throws(TopicError) -> PublishRequest {
        PublishRequest(message: try? params.string("Message"), subject: try? params.string("Subject"),
                       messageStructure: try? params.string("MessageStructure"), attributes: try messageAttributes(params),
                       groupId: try? params.string("MessageGroupId"), deduplicationId: try? params.string("MessageDeduplicationId"))
    }
}

/// The handler of one SNS action.
typealias SNSAction = @Sendable (SNSCall) async throws(TopicError) -> [WireField]?

enum SNSFields {
    static func map(_ name: String, _ values: [String: String]) -> WireField {
        .map(json: name, xml: name, key: "key", value: "value", wrapped: true, values.keys.sorted().map { ($0, .scalar(.string(values[$0]!))) })
    }
}
