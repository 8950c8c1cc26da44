import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SluiceCore
import SluiceTopics
import SluiceWire

/// SNS over the Query protocol: XML answers in the SNS namespace.
enum SNSProtocol {
    static let namespace = "http://sns.amazonaws.com/doc/2010-03-31/"

    static func respond(action name: String, call: SNSCall, requestId: String, logger: Logger) async -> Response {
        do {
            if SNSActions.unsupported.contains(name) {
                throw TopicError(.notSupported, "sluice does not support the SNS action \(name): mobile push, SMS, email and data-protection policies are not implemented.")
            }
            guard let action = SNSActions.all[name] else {
                throw TopicError(.invalidAction, "The action \(name) is not valid for this endpoint.")
            }
            let fields = try await action(call)
            return HTTPReply.make(status: 200, contentType: "text/xml",
                                  body: XMLWriter.response(action: name, namespace: namespace, fields: fields, requestId: requestId),
                                  requestId: requestId)
        } catch let error as TopicError {
            if error.code == .internalError {
                logger.error("SNS \(name) failed: \(error.message)", metadata: ["request": "\(requestId)"])
            } else {
                logger.debug("SNS \(name) rejected: \(error)", metadata: ["request": "\(requestId)"])
            }
            return failure(error, requestId: requestId)
        } catch {
            return failure(TopicError(.internalError, "\(error)"), requestId: requestId)
        }
    }

    static func failure(_ error: TopicError, requestId: String) -> Response {
        let shape = SNSErrorTable.shape(for: error.code)
        return HTTPReply.make(status: shape.status, contentType: "text/xml",
                              body: XMLWriter.error(namespace: namespace, type: shape.fault, code: shape.queryCode, message: error.message, requestId: requestId),
                              requestId: requestId)
    }
}

/// `POST /topics/{name or ARN}`: publish with a plain HTTP request, answered in JSON.
enum HTTPPublish {
    static func respond(path: String, request: Request, body: [UInt8], topics: TopicEngine, context: CallerContext, requestId: String) async -> Response {
        do {
            let target = String(path.dropFirst("/topics/".count)).removingPercentEncoding ?? ""
            guard !target.isEmpty else { throw TopicError.invalid("TopicArn Reason: name the topic in the path: POST /topics/<name or ARN>") }
            let arn = target.hasPrefix("arn:") ? target : "arn:aws:sns:\(topics.region):\(context.account):\(target)"
            guard let message = String(validating: body, as: UTF8.self) else { throw TopicError.invalid("Message Reason: the body must be UTF-8 text") }
            func header(_ name: String) -> String? { request.headers[HTTPField.Name(name)!] }
            var attributes = [String: SNSAttribute]()
            if let json = header("X-SNS-Message-Attributes") {
                guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else {
                    throw TopicError(.parameterValueInvalid, "X-SNS-Message-Attributes must be a JSON object of attributes")
                }
                for (name, value) in object {
                    if let text = value as? String {
                        attributes[name] = SNSAttribute(dataType: "String", stringValue: text)
                    } else if let fields = value as? [String: Any], let type = fields["DataType"] as? String {
                        let binary = (fields["BinaryValue"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init)
                        attributes[name] = SNSAttribute(dataType: type, stringValue: fields["StringValue"] as? String, binaryValue: binary)
                    } else {
                        throw TopicError(.parameterValueInvalid, "The message attribute '\(name)' must be a string or {\"DataType\": ..., \"StringValue\"|\"BinaryValue\": ...}")
                    }
                }
            }
            let publish = PublishRequest(message: message, subject: header("X-SNS-Subject"), messageStructure: header("X-SNS-Message-Structure"),
                                         attributes: attributes, groupId: header("X-SNS-Message-Group-Id"),
                                         deduplicationId: header("X-SNS-Message-Deduplication-Id"))
            let result = try await topics.publish(topicArn: arn, targetArn: nil, publish, context: context)
            var members = [("MessageId", JSONText.quoted(result.messageId))]
            if let sequence = result.sequenceNumber { members.append(("SequenceNumber", JSONText.quoted(sequence))) }
            return HTTPReply.make(status: 200, contentType: "application/json", body: JSONText.object(members), requestId: requestId)
        } catch let error as TopicError {
            let shape = SNSErrorTable.shape(for: error.code)
            let body = JSONText.object([("__type", JSONText.quoted(shape.queryCode)), ("message", JSONText.quoted(error.message))])
            return HTTPReply.make(status: shape.status, contentType: "application/json", body: body, requestId: requestId)
        } catch {
            return HTTPReply.make(status: 500, contentType: "application/json", body: "{\"__type\":\"InternalError\"}", requestId: requestId)
        }
    }
}
