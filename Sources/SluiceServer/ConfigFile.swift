import Foundation
import SluiceStorage
import Yams

/// A problem in the config file, located by file and line.
public struct ConfigError: Error, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let problem: String
    public var description: String { "\(file):\(line): \(problem)" }
}

/// A queue declared in the config file.
public struct QueueDeclaration: Sendable, Equatable {
    public var name: String
    public var attributes: [String: String]
    public var tags: [String: String]
    public var deadLetterQueue: String?
    public var maxReceiveCount: Int?
    public var line: Int
}

/// What the config file says; every field optional (flags and environment override it).
public struct ConfigFile: Sendable {
    public var host: String?
    public var port: Int?
    public var dataDir: String?
    public var accountId: String?
    public var region: String?
    public var durability: Durability?
    public var enableReset: Bool?
    public var metrics: Bool?
    public var queues: [QueueDeclaration] = []
    public var topics: [TopicDeclaration] = []
    public var functions: [FunctionDeclaration] = []
    /// Seconds before the first retry of an asynchronous invocation (the second waits twice as long).
    public var asyncRetryDelay: Double?

    public init() {}

    public static func load(path: String) throws -> ConfigFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, line: 0, problem: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> ConfigFile {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: Self.line(of: error), problem: "not valid YAML: \(Self.problem(of: error))")
        }
        var config = ConfigFile()
        guard let root else { return config }
        let reader = Reader(file: file)
        let top = try reader.mapping(root, "the top level")
        for (keyNode, value) in top {
            let key = try reader.key(keyNode)
            switch key {
            case "server": try config.readServer(value, reader)
            case "queues":
                guard case .sequence(let list) = value else { throw reader.error(value, "'queues' must be a list of queues") }
                config.queues = try list.map { try reader.queue($0) }
            case "topics":
                guard case .sequence(let list) = value else { throw reader.error(value, "'topics' must be a list of topics") }
                config.topics = try list.map { try reader.topic($0) }
            case "functions":
                guard case .sequence(let list) = value else { throw reader.error(value, "'functions' must be a list of functions") }
                config.functions = try list.map { try reader.function($0) }
            default:
                throw reader.error(keyNode, "unknown key '\(key)' (expected 'server', 'queues', 'topics' or 'functions')")
            }
        }
        var seen = Set<String>()
        for queue in config.queues where !seen.insert(queue.name).inserted {
            throw ConfigError(file: file, line: queue.line, problem: "queue '\(queue.name)' is declared twice")
        }
        for queue in config.queues {
            if let dlq = queue.deadLetterQueue, !seen.contains(dlq) {
                throw ConfigError(file: file, line: queue.line, problem: "queue '\(queue.name)' names dead-letter queue '\(dlq)', which is not declared")
            }
        }
        var topicNames = Set<String>()
        for topic in config.topics {
            guard topicNames.insert(topic.name).inserted else {
                throw ConfigError(file: file, line: topic.line, problem: "topic '\(topic.name)' is declared twice")
            }
            for subscription in topic.subscriptions {
                for queue in [subscription.queue, subscription.deadLetterQueue].compactMap({ $0 }) where !seen.contains(queue) {
                    throw ConfigError(file: file, line: subscription.line, problem: "subscription names queue '\(queue)', which is not declared")
                }
                if let function = subscription.function, !config.functions.contains(where: { $0.definition.name == function }) {
                    throw ConfigError(file: file, line: subscription.line, problem: "subscription names function '\(function)', which is not declared")
                }
            }
        }
        var functionNames = Set<String>()
        for function in config.functions {
            guard functionNames.insert(function.definition.name).inserted else {
                throw ConfigError(file: file, line: function.line, problem: "function '\(function.definition.name)' is declared twice")
            }
            for event in function.events {
                if let queue = event.queue, !seen.contains(queue) {
                    throw ConfigError(file: file, line: event.line, problem: "event source mapping names queue '\(queue)', which is not declared")
                }
            }
        }
        return config
    }

    mutating func readServer(_ node: Node, _ reader: Reader) throws {
        for (keyNode, value) in try reader.mapping(node, "'server'") {
            let key = try reader.key(keyNode)
            switch key {
            case "host": host = try reader.string(value, key)
            case "port":
                let n = try reader.int(value, key)
                guard (0...65535).contains(n) else { throw reader.error(value, "'port' must be between 0 and 65535") }
                port = n
            case "data-dir": dataDir = try reader.string(value, key)
            case "account-id":
                let account = try reader.string(value, key)
                guard account.count == 12, account.allSatisfy(\.isNumber) else { throw reader.error(value, "'account-id' must be 12 digits (quote it)") }
                accountId = account
            case "region": region = try reader.string(value, key)
            case "durability":
                let text = try reader.string(value, key)
                guard let mode = Durability(rawValue: text) else { throw reader.error(value, "'durability' must be 'full' or 'relaxed'") }
                durability = mode
            case "enable-reset": enableReset = try reader.bool(value, key)
            case "metrics": metrics = try reader.bool(value, key)
            case "async-retry-delay":
                guard let seconds = Double(try reader.string(value, key)), seconds >= 0, seconds <= 3600 else {
                    throw reader.error(value, "'async-retry-delay' must be a number of seconds between 0 and 3600")
                }
                asyncRetryDelay = seconds
            default:
                throw reader.error(keyNode, "unknown server key '\(key)' (expected host, port, data-dir, account-id, region, durability, enable-reset, metrics, async-retry-delay)")
            }
        }
    }

    /// Reads YAML nodes into typed values with located errors.
    struct Reader {
        let file: String

        func error(_ node: Node, _ problem: String) -> ConfigError {
            ConfigError(file: file, line: node.mark?.line ?? 0, problem: problem)
        }

        func mapping(_ node: Node, _ what: String) throws -> [(Node, Node)] {
            guard case .mapping(let mapping) = node else { throw error(node, "\(what) must be a mapping of keys to values") }
            return mapping.map { ($0.key, $0.value) }
        }

        func key(_ node: Node) throws -> String {
            guard case .scalar(let scalar) = node else { throw error(node, "keys must be plain names") }
            return scalar.string
        }

        func string(_ node: Node, _ key: String) throws -> String {
            guard case .scalar(let scalar) = node else { throw error(node, "'\(key)' must be a single value") }
            return scalar.string
        }

        func int(_ node: Node, _ key: String) throws -> Int {
            guard let n = Int(try string(node, key)) else { throw error(node, "'\(key)' must be a whole number") }
            return n
        }

        func bool(_ node: Node, _ key: String) throws -> Bool {
            switch try string(node, key).lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: throw error(node, "'\(key)' must be true or false")
            }
        }

        func stringMap(_ node: Node, _ key: String) throws -> [String: String] {
            var out = [String: String]()
            for (k, v) in try mapping(node, "'\(key)'") {
                out[try self.key(k)] = try string(v, try self.key(k))
            }
            return out
        }

        func queue(_ node: Node) throws -> QueueDeclaration {
            var declaration = QueueDeclaration(name: "", attributes: [:], tags: [:], line: node.mark?.line ?? 0)
            for (keyNode, value) in try mapping(node, "each queue") {
                let key = try self.key(keyNode)
                switch key {
                case "name": declaration.name = try string(value, key)
                case "attributes": declaration.attributes = try stringMap(value, key)
                case "tags": declaration.tags = try stringMap(value, key)
                case "redrive":
                    for (k, v) in try mapping(value, "'redrive'") {
                        switch try self.key(k) {
                        case "dead-letter-queue": declaration.deadLetterQueue = try string(v, "dead-letter-queue")
                        case "max-receive-count":
                            let n = try int(v, "max-receive-count")
                            guard (1...1000).contains(n) else { throw error(v, "'max-receive-count' must be between 1 and 1000") }
                            declaration.maxReceiveCount = n
                        default: throw error(k, "unknown redrive key '\(try self.key(k))' (expected dead-letter-queue, max-receive-count)")
                        }
                    }
                    guard declaration.deadLetterQueue != nil else { throw error(value, "'redrive' needs 'dead-letter-queue'") }
                default:
                    throw error(keyNode, "unknown queue key '\(key)' (expected name, attributes, redrive, tags)")
                }
            }
            guard !declaration.name.isEmpty else { throw error(node, "each queue needs a 'name'") }
            if declaration.attributes["RedrivePolicy"] != nil && declaration.deadLetterQueue != nil {
                throw error(node, "queue '\(declaration.name)' sets both 'redrive' and the RedrivePolicy attribute; use one")
            }
            return declaration
        }
    }

    static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return 0
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): return problem
        default: return "\(error)"
        }
    }
}
