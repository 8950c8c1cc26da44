import SluiceCore
import SluiceQueues
import SluiceWire

/// One SQS request as an action handler sees it: its parameters, the engine, and what is
/// needed to resolve and print queue URLs.
struct SQSCall: Sendable {
    let params: any RequestParams
    let engine: QueueEngine
    /// `http://<host the client used>`, the base of queue URLs.
    let baseURL: String
    /// The queue named by the request path (`/<account>/<name>`), if any.
    let pathQueue: QueueKey?
    let senderId: String

    /// The queue of the request: the QueueUrl parameter's last two segments, else the path.
    func queue() throws(QueueError) -> QueueKey {
        if let url = try params.string("QueueUrl") {
            guard let key = Self.queueKey(fromURL: url) else {
                throw QueueError(.invalidAddress, "The address \(url) is not valid for this endpoint.")
            }
            return key
        }
        if let pathQueue { return pathQueue }
        throw .missing("QueueUrl")
    }

    func url(_ key: QueueKey) -> String { "\(baseURL)/\(key.account)/\(key.name)" }

    /// Resolves `scheme://host/<account>/<name>` (or any path ending in those two segments).
    static func queueKey(fromURL url: String) -> QueueKey? {
        var path = url.utf8[...]
        let slash = UInt8(ascii: "/")
        if let colon = path.firstIndex(of: UInt8(ascii: ":")), path[colon...].starts(with: "://".utf8) {
            path = path[path.index(colon, offsetBy: 3)...]
            guard let firstSlash = path.firstIndex(of: slash) else { return nil }
            path = path[firstSlash...]
        }
        if let query = path.firstIndex(of: UInt8(ascii: "?")) { path = path[..<query] }
        let segments = path.split(separator: slash)
        guard segments.count >= 2 else { return nil }
        return QueueKey(account: String(decoding: segments[segments.count - 2], as: UTF8.self),
                        name: String(decoding: segments[segments.count - 1], as: UTF8.self))
    }

    /// Reads batch entries, requiring each entry's Id.
    func batchEntries(json: String, query: String) throws(QueueError) -> [(id: String, params: any RequestParams)] {
        try params.entries(json, query: query).map { entry throws(QueueError) in
            guard let id = try entry.string("Id") else { throw QueueError.missing("Id") }
            return (id, entry)
        }
    }
}

/// The handler of one SQS action: nil result means a response without a Result element.
typealias SQSAction = @Sendable (SQSCall) async throws(QueueError) -> [WireField]?

/// Response fields shared by several actions.
enum SQSFields {
    static func batchResult<T>(_ results: [BatchResult<T>], entry: String, success: (String, T) -> [WireField]) -> [WireField] {
        var successful = [WireItem]()
        var failed = [WireItem]()
        for result in results {
            switch result.result {
            case .success(let value):
                successful.append(.structure(success(result.id, value)))
            case .failure(let error):
                let shape = SQSErrorTable.shape(for: error.code)
                failed.append(.structure([
                    .scalar("Id", .string(result.id)),
                    .scalar("SenderFault", .bool(result.senderFault)),
                    .scalar("Code", .string(shape.queryCode)),
                    .scalar("Message", .string(error.message)),
                ]))
            }
        }
        return [
            .list(json: "Successful", xml: entry, wrapped: false, successful),
            .list(json: "Failed", xml: "BatchResultErrorEntry", wrapped: false, failed),
        ]
    }

    static func stringMap(json: String, xml: String, key: String, _ map: [String: String]) -> WireField? {
        guard !map.isEmpty else { return nil }
        return .map(json: json, xml: xml, key: key, value: "Value", wrapped: false,
                    map.keys.sorted().map { ($0, .scalar(.string(map[$0]!))) })
    }

    static func queueList(json: String, _ urls: [String]) -> WireField? {
        guard !urls.isEmpty else { return nil }
        return .list(json: json, xml: "QueueUrl", wrapped: false, urls.map { .scalar(.string($0)) })
    }

    static func messageAttribute(_ attribute: MessageAttribute) -> WireItem {
        switch attribute.value {
        case .string(let s):
            return .structure([.scalar("StringValue", .string(s)), .scalar("DataType", .string(attribute.dataType))])
        case .binary(let b):
            return .structure([.scalar("BinaryValue", .string(Base64.encode(b))), .scalar("DataType", .string(attribute.dataType))])
        }
    }
}
