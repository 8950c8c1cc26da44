import Foundation

/// The IAM policy JSON that SQS's and SNS's AddPermission and RemovePermission edit.
/// Stored, not enforced.
public struct PolicyDocument {
    private var root: [String: Any]

    public init(id: String) {
        root = ["Version": "2008-10-17", "Id": id, "Statement": [[String: Any]]()]
    }

    public init?(json: String?) {
        guard let json, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        root = object
    }

    private var statements: [[String: Any]] {
        get {
            if let list = root["Statement"] as? [[String: Any]] { return list }
            if let single = root["Statement"] as? [String: Any] { return [single] }
            return []
        }
        set { root["Statement"] = newValue }
    }

    public var isEmpty: Bool { statements.isEmpty }

    public func hasStatement(_ sid: String) -> Bool {
        statements.contains { $0["Sid"] as? String == sid }
    }

    public mutating func add(sid: String, principals: [String], actions: [String], resource: String) {
        let principal: Any = principals.count == 1 ? principals[0] : principals
        let action: Any = actions.count == 1 ? actions[0] : actions
        statements.append(["Sid": sid, "Effect": "Allow", "Principal": ["AWS": principal], "Action": action, "Resource": resource])
    }

    public mutating func remove(sid: String) {
        statements.removeAll { $0["Sid"] as? String == sid }
    }

    public var json: String {
        guard let data = try? JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
