import Foundation
import SluiceCore

/// One run of a function.
public struct Invocation: Sendable {
    public var requestId: String
    public var functionArn: String
    public var payload: [UInt8]
    /// Epoch milliseconds when the run times out.
    public var deadline: Millis
    public var timeoutSeconds: Int
    /// X-Amz-Client-Context, decoded (JSON).
    public var clientContext: String?
}

/// How a run ended.
public enum InvocationResult: Sendable, Equatable {
    /// The function's response.
    case success([UInt8])
    /// A function error (exception, crash, non-zero exit, timeout): the error document
    /// `{"errorMessage": …, "errorType": …}` Invoke returns with `X-Amz-Function-Error`.
    case functionError(type: String, body: [UInt8])

    /// An error document built from a message and a type.
    public static func error(type: String, message: String) -> InvocationResult {
        .functionError(type: type, body: Array(JSONText.object([("errorMessage", JSONText.quoted(message)), ("errorType", JSONText.quoted(type))]).utf8))
    }

    /// Lambda's timeout error.
    static func timedOut(_ invocation: Invocation) -> InvocationResult {
        let seconds = String(format: "%.2f", Double(invocation.timeoutSeconds))
        return .functionError(type: "Sandbox.Timedout", body: Array(JSONText.object([
            ("errorType", JSONText.quoted("Sandbox.Timedout")),
            ("errorMessage", JSONText.quoted("RequestId: \(invocation.requestId) Error: Task timed out after \(seconds) seconds")),
        ]).utf8))
    }

    public var isError: Bool {
        if case .functionError = self { return true }
        return false
    }

    /// A response without surrounding newlines and spaces.
    static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var slice = bytes[...]
        while let last = slice.last, last == 0x0a || last == 0x0d || last == 0x20 { slice = slice.dropLast() }
        return Array(slice)
    }

    /// A response as `{"errorType": …, "errorMessage": …}`, if it is one.
    static func errorDocument(_ bytes: [UInt8]) -> (type: String, message: String)? {
        guard let value = try? JSONReader.parse(bytes: trimmed(bytes)), case .string(let message)? = value["errorMessage"] else { return nil }
        if case .string(let type)? = value["errorType"] { return (type, message) }
        return ("Unhandled", message)
    }
}

/// The log lines of one run: what the code printed, between START and END lines.
public final class InvocationLog: @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""
    private var partial = ""
    /// Keep at most this much (the tail).
    static let maxBytes = 256 * 1024

    public init() {}

    /// Appends a whole line (a newline is added).
    public func line(_ line: String) {
        lock.withLock {
            text += line
            text += "\n"
            trim()
        }
    }

    /// Appends raw output; a trailing unterminated line is kept until more arrives.
    public func output(_ bytes: [UInt8]) {
        // Runtimes write multi-line records with \r between lines (CloudWatch splits them).
        let chunk = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r", with: "\n")
        lock.withLock {
            partial += chunk
            if let lastNewline = partial.lastIndex(of: "\n") {
                text += partial[...lastNewline]
                partial = String(partial[partial.index(after: lastNewline)...])
                trim()
            }
        }
    }

    /// Flushes an unterminated last line.
    public func flush() {
        lock.withLock {
            if !partial.isEmpty {
                text += partial + "\n"
                partial = ""
            }
        }
    }

    public var contents: String { lock.withLock { text } }

    private func trim() {
        if text.utf8.count > Self.maxBytes {
            text = String(decoding: text.utf8.suffix(Self.maxBytes / 2), as: UTF8.self)
        }
    }
}

/// Runs invocations of one function. The host has already applied its concurrency limit.
public protocol FunctionExecutor: Sendable {
    /// Runs one invocation, enforcing its deadline; what the code prints goes to `log`.
    func invoke(_ invocation: Invocation, log: InvocationLog) async -> InvocationResult
    /// Stops every process the executor started.
    func shutdown() async
}
