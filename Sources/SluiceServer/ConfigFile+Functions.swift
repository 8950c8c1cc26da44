import Foundation
import SluiceFunctions
import Yams

/// A function declared in the config file, with its event source mappings.
public struct FunctionDeclaration: Sendable, Equatable {
    public var definition: FunctionDefinition
    public var events: [MappingDeclaration] = []
    public var line: Int
}

/// An SQS event source mapping declared under a function.
public struct MappingDeclaration: Sendable, Equatable {
    public var queue: String?
    public var sourceArn: String?
    public var batchSize = 10
    public var batchingWindow = 0
    public var maximumConcurrency: Int?
    public var reportBatchItemFailures = false
    public var filters: [String] = []
    public var enabled = true
    public var line: Int
}

extension ConfigFile.Reader {
    /// A path in the file, relative to the file's directory.
    func path(_ node: Node, _ key: String) throws -> String {
        let text = try string(node, key)
        if text.hasPrefix("/") { return text }
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        return base.appendingPathComponent(text).standardizedFileURL.path
    }

    func stringList(_ node: Node, _ key: String) throws -> [String] {
        guard case .sequence(let list) = node else { throw error(node, "'\(key)' must be a list") }
        return try list.map { try string($0, key) }
    }

    func function(_ node: Node) throws -> FunctionDeclaration {
        var definition = FunctionDefinition(name: "", executor: .command)
        var executor: String?
        var events = [MappingDeclaration]()
        for (keyNode, value) in try mapping(node, "each function") {
            let key = try self.key(keyNode)
            switch key {
            case "name": definition.name = try string(value, key)
            case "executor": executor = try string(value, key)
            case "runtime": definition.runtime = try string(value, key)
            case "handler": definition.handler = try string(value, key)
            case "code": definition.codeDirectory = try path(value, key)
            case "command": definition.command = try stringList(value, key)
            case "working-directory": definition.workingDirectory = try path(value, key)
            case "url": definition.url = try string(value, key)
            case "timeout": definition.timeoutSeconds = try int(value, key)
            case "memory": definition.memoryMB = try int(value, key)
            case "concurrency": definition.concurrency = try int(value, key)
            case "retries": definition.retries = try int(value, key)
            case "environment": definition.environment = try stringMap(value, key)
            case "description": definition.description = try string(value, key)
            case "events":
                guard case .sequence(let list) = value else { throw error(value, "'events' must be a list of event source mappings") }
                events = try list.map { try mappingDeclaration($0) }
            default:
                throw error(keyNode, "unknown function key '\(key)' (expected name, executor, runtime, handler, code, command, working-directory, url, timeout, memory, concurrency, retries, environment, description, events)")
            }
        }
        guard !definition.name.isEmpty else { throw error(node, "each function needs a 'name'") }
        guard let executor, let kind = ExecutorKind(rawValue: executor) else {
            throw error(node, "function '\(definition.name)' needs 'executor': command, runtime or http")
        }
        definition.executor = kind
        if kind == .runtime && definition.runtime == "provided.al2023" && definition.command == nil {
            definition.runtime = "python3.12"
        }
        if let problem = definition.problem() { throw error(node, "function '\(definition.name)': \(problem)") }
        if let code = definition.codeDirectory, !FileManager.default.fileExists(atPath: code) {
            throw error(node, "function '\(definition.name)': code directory \(code) does not exist")
        }
        return FunctionDeclaration(definition: definition, events: events, line: node.mark?.line ?? 0)
    }

    func mappingDeclaration(_ node: Node) throws -> MappingDeclaration {
        var declaration = MappingDeclaration(line: node.mark?.line ?? 0)
        for (keyNode, value) in try mapping(node, "each event source mapping") {
            let key = try self.key(keyNode)
            switch key {
            case "queue": declaration.queue = try string(value, key)
            case "source-arn": declaration.sourceArn = try string(value, key)
            case "batch-size": declaration.batchSize = try int(value, key)
            case "batching-window": declaration.batchingWindow = try int(value, key)
            case "maximum-concurrency": declaration.maximumConcurrency = try int(value, key)
            case "report-batch-item-failures": declaration.reportBatchItemFailures = try bool(value, key)
            case "enabled": declaration.enabled = try bool(value, key)
            case "filters":
                guard case .sequence(let list) = value else { throw error(value, "'filters' must be a list of filter patterns") }
                declaration.filters = try list.map { try json($0) }
            default:
                throw error(keyNode, "unknown event source mapping key '\(key)' (expected queue, source-arn, batch-size, batching-window, maximum-concurrency, report-batch-item-failures, filters, enabled)")
            }
        }
        guard (declaration.queue == nil) != (declaration.sourceArn == nil) else {
            throw error(node, "each event source mapping needs exactly one of 'queue' (a queue name) or 'source-arn' (an SQS queue ARN)")
        }
        return declaration
    }
}
