import Foundation
import Yams

/// A topic declared in the config file.
public struct TopicDeclaration: Sendable, Equatable {
    public var name: String
    public var attributes: [String: String] = [:]
    public var tags: [String: String] = [:]
    public var subscriptions: [SubscriptionDeclaration] = []
    public var line: Int
}

/// A subscription declared under a topic: to a queue by name, or to an HTTP(S) endpoint.
public struct SubscriptionDeclaration: Sendable, Equatable {
    public var queue: String?
    public var endpoint: String?
    /// A function declared in the config file (protocol lambda).
    public var function: String?
    /// Subscription attributes (RawMessageDelivery, FilterPolicy, FilterPolicyScope, DeliveryPolicy, RedrivePolicy, ...).
    public var attributes: [String: String] = [:]
    public var deadLetterQueue: String?
    public var line: Int
}

extension ConfigFile.Reader {
    func topic(_ node: Node) throws -> TopicDeclaration {
        var declaration = TopicDeclaration(name: "", line: node.mark?.line ?? 0)
        for (keyNode, value) in try mapping(node, "each topic") {
            let key = try self.key(keyNode)
            switch key {
            case "name": declaration.name = try string(value, key)
            case "attributes": declaration.attributes = try stringMap(value, key)
            case "tags": declaration.tags = try stringMap(value, key)
            case "subscriptions":
                guard case .sequence(let list) = value else { throw error(value, "'subscriptions' must be a list") }
                declaration.subscriptions = try list.map { try subscription($0) }
            default:
                throw error(keyNode, "unknown topic key '\(key)' (expected name, attributes, tags, subscriptions)")
            }
        }
        guard !declaration.name.isEmpty else { throw error(node, "each topic needs a 'name'") }
        return declaration
    }

    func subscription(_ node: Node) throws -> SubscriptionDeclaration {
        var declaration = SubscriptionDeclaration(line: node.mark?.line ?? 0)
        for (keyNode, value) in try mapping(node, "each subscription") {
            let key = try self.key(keyNode)
            switch key {
            case "queue": declaration.queue = try string(value, key)
            case "endpoint": declaration.endpoint = try string(value, key)
            case "function": declaration.function = try string(value, key)
            case "raw": declaration.attributes["RawMessageDelivery"] = try bool(value, key) ? "true" : "false"
            case "filter-policy": declaration.attributes["FilterPolicy"] = try json(value)
            case "filter-policy-scope": declaration.attributes["FilterPolicyScope"] = try string(value, key)
            case "delivery-policy": declaration.attributes["DeliveryPolicy"] = try json(value)
            case "dead-letter-queue": declaration.deadLetterQueue = try string(value, key)
            case "attributes": declaration.attributes.merge(try stringMap(value, key)) { $1 }
            default:
                throw error(keyNode, "unknown subscription key '\(key)' (expected queue, endpoint, function, raw, filter-policy, filter-policy-scope, delivery-policy, dead-letter-queue, attributes)")
            }
        }
        guard [declaration.queue, declaration.endpoint, declaration.function].compactMap({ $0 }).count == 1 else {
            throw error(node, "each subscription needs exactly one of 'queue' (a queue name), 'endpoint' (an http(s) URL) or 'function' (a function name)")
        }
        return declaration
    }

    /// A YAML value as JSON text (a string value is taken as JSON already).
    func json(_ node: Node) throws -> String {
        if case .scalar(let scalar) = node { return scalar.string }
        let value = try jsonValue(node)
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    func jsonValue(_ node: Node) throws -> Any {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain else { return scalar.string }
            let text = scalar.string
            switch text {
            case "true": return true
            case "false": return false
            case "null", "~": return NSNull()
            default:
                if let n = Int(text) { return n }
                if let d = Double(text) { return d }
                return text
            }
        case .sequence(let list):
            return try list.map { try jsonValue($0) }
        case .mapping(let mapping):
            var out = [String: Any]()
            for (k, v) in mapping { out[try key(k)] = try jsonValue(v) }
            return out
        case .alias:
            throw error(node, "aliases are not supported here")
        }
    }
}
