import Foundation
import SluiceCore

/// How a function's code runs.
public enum ExecutorKind: String, Sendable, Codable, CaseIterable {
    /// A local command per invocation: the event on stdin, the response on stdout.
    case command
    /// Long-lived workers that speak the AWS Lambda Runtime API (awslambdaric, custom runtimes).
    case runtime
    /// An HTTP endpoint the event is POSTed to.
    case http
}

/// A function: where its code is, how it runs, and its limits.
public struct FunctionDefinition: Sendable, Codable, Equatable {
    public var name: String
    public var executor: ExecutorKind
    /// Lambda runtime identifier (python3.12, provided.al2023, ...).
    public var runtime: String
    public var handler: String
    /// Directory holding the code (worker cwd and PYTHONPATH for Python runtimes).
    public var codeDirectory: String?
    /// The command to run: the argv of the command executor, or a runtime's start command.
    public var command: [String]?
    public var workingDirectory: String?
    public var url: String?
    public var timeoutSeconds: Int
    public var memoryMB: Int
    /// Most invocations running at once; more wait (and count as throttles).
    public var concurrency: Int
    /// Retries of asynchronous invocations (0-2).
    public var retries: Int
    public var environment: [String: String]
    public var description: String
    public var role: String
    /// Where the function was declared: "config" (read-only through the API) or "api".
    public var origin: String
    public var codeSha256: String
    public var codeSize: Int
    public var lastModified: Millis
    public var revisionId: String

    public init(name: String, executor: ExecutorKind, runtime: String = "provided.al2023", handler: String = "",
                codeDirectory: String? = nil, command: [String]? = nil, workingDirectory: String? = nil, url: String? = nil,
                timeoutSeconds: Int = 3, memoryMB: Int = 128, concurrency: Int = FunctionDefinition.defaultConcurrency, retries: Int = 2,
                environment: [String: String] = [:], description: String = "", role: String = "", origin: String = "config",
                codeSha256: String = "", codeSize: Int = 0, lastModified: Millis = 0, revisionId: String = "") {
        self.name = name
        self.executor = executor
        self.runtime = runtime
        self.handler = handler
        self.codeDirectory = codeDirectory
        self.command = command
        self.workingDirectory = workingDirectory
        self.url = url
        self.timeoutSeconds = timeoutSeconds
        self.memoryMB = memoryMB
        self.concurrency = concurrency
        self.retries = retries
        self.environment = environment
        self.description = description
        self.role = role
        self.origin = origin
        self.codeSha256 = codeSha256
        self.codeSize = codeSize
        self.lastModified = lastModified
        self.revisionId = revisionId
    }

    public static let defaultConcurrency = 10
    public static let timeoutRange = 1...900
    public static let memoryRange = 128...10_240

    /// Lambda's function-name rule (the bare name; ARNs and partial ARNs are resolved first).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte == 0x2d || byte == 0x5f
        }
    }

    /// Whether the runtime executor starts this runtime itself (Python via awslambdaric).
    public var isPythonRuntime: Bool { runtime.hasPrefix("python3") }

    /// Checks what the executor needs; the message says what is missing.
    public func problem() -> String? {
        guard Self.isValidName(name) else { return "function name '\(name)' must be 1-64 characters of A-Z a-z 0-9 - _" }
        guard Self.timeoutRange.contains(timeoutSeconds) else { return "timeout must be between 1 and 900 seconds" }
        guard Self.memoryRange.contains(memoryMB) else { return "memory must be between 128 and 10240 MB" }
        guard (1...1000).contains(concurrency) else { return "concurrency must be between 1 and 1000" }
        guard (0...2).contains(retries) else { return "retries must be between 0 and 2" }
        switch executor {
        case .command:
            if command?.isEmpty ?? true { return "a command function needs 'command' (the program and its arguments)" }
        case .runtime:
            if (command?.isEmpty ?? true) && !isPythonRuntime {
                return "a runtime function needs 'command' unless its runtime is python3.x (started with awslambdaric)"
            }
            if isPythonRuntime && (command?.isEmpty ?? true) && handler.isEmpty { return "a python runtime function needs 'handler' (module.function)" }
        case .http:
            guard let url, url.hasPrefix("http://") || url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                return "an http function needs 'url' (an http:// or https:// URL)"
            }
        }
        return nil
    }
}
