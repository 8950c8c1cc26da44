import Foundation
import SluiceCore

/// Runs a local command per invocation: the event JSON on stdin, the response on stdout,
/// stderr to the log. A non-zero exit, a signal or the timeout is a function error.
final class CommandExecutor: FunctionExecutor {
    let argv: [String]
    let directory: String?
    /// Read at each run (sluice's URL is known only once it listens).
    let environment: @Sendable () -> [String: String]

    init(argv: [String], directory: String?, environment: @escaping @Sendable () -> [String: String]) {
        self.argv = argv
        self.directory = directory
        self.environment = environment
    }

    private final class Collected: @unchecked Sendable {
        let lock = NSLock()
        var stdout: [UInt8] = []
        var timedOut = false
        var timer: Task<Void, Never>?
    }

    func invoke(_ invocation: Invocation, log: InvocationLog) async -> InvocationResult {
        let collected = Collected()
        var env = environment()
        env["AWS_LAMBDA_REQUEST_ID"] = invocation.requestId
        env["AWS_LAMBDA_DEADLINE_MS"] = String(invocation.deadline)
        env["AWS_LAMBDA_INVOKED_FUNCTION_ARN"] = invocation.functionArn
        let payload = invocation.payload
        let status: Int32? = await withCheckedContinuation { (continuation: CheckedContinuation<Int32?, Never>) in
            let process: Subprocess
            do {
                process = try Subprocess(
                    argv: argv, environment: env, directory: directory, mergeOutput: false,
                    onStdout: { bytes in collected.lock.withLock { collected.stdout += bytes } },
                    onStderr: { bytes in log.output(bytes) },
                    onExit: { raw in continuation.resume(returning: raw) })
            } catch {
                log.line("sluice: \(error)")
                continuation.resume(returning: nil)
                return
            }
            Thread.detachNewThread { process.writeInputAndClose(payload) }
            let timeout = max(1, invocation.deadline - SystemClock().now())
            let timer = Task.detached {
                guard (try? await Task.sleep(nanoseconds: UInt64(timeout) * 1_000_000)) != nil else { return }
                collected.lock.withLock { collected.timedOut = true }
                process.kill()
            }
            collected.lock.withLock { collected.timer = timer }
        }
        collected.lock.withLock { collected.timer }?.cancel()
        log.flush()
        let (stdout, timedOut) = collected.lock.withLock { (collected.stdout, collected.timedOut) }
        guard let status else { return .error(type: "Runtime.InvalidEntrypoint", message: "The command \(argv.first ?? "") could not be started") }
        if let signal = Subprocess.signalled(status) {
            if timedOut { return .timedOut(invocation) }
            log.line("sluice: the command was killed by signal \(signal)")
            return .error(type: "Runtime.ExitError", message: "RequestId: \(invocation.requestId) Error: Runtime exited with signal \(signal)")
        }
        let code = Subprocess.exitCode(status)
        guard code == 0 else {
            log.line("sluice: the command exited with status \(code)")
            // A command may print its own error document; otherwise describe the exit.
            if let document = InvocationResult.errorDocument(stdout) { return .functionError(type: document.type, body: stdout) }
            return .error(type: "Runtime.ExitError", message: "RequestId: \(invocation.requestId) Error: Runtime exited with error: exit status \(code)")
        }
        // The first JSON value on stdout is the response; what follows is log output.
        let (response, rest) = Self.splitResponse(stdout)
        if !rest.isEmpty {
            log.output(rest)
            log.flush()
        }
        return .success(response.isEmpty ? Array("null".utf8) : response)
    }

    /// stdout split after its first JSON value (all of it when it does not start with one).
    static func splitResponse(_ bytes: [UInt8]) -> (response: [UInt8], rest: [UInt8]) {
        var index = 0
        while index < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[index]) { index += 1 }
        guard index < bytes.count, let end = jsonValueEnd(bytes, from: index) else { return (InvocationResult.trimmed(bytes), []) }
        let response = Array(bytes[index..<end])
        guard (try? JSONReader.parse(bytes: response)) != nil else { return (InvocationResult.trimmed(bytes), []) }
        var rest = Array(bytes[end...])
        while let first = rest.first, first == 0x0a || first == 0x0d || first == 0x20 { rest.removeFirst() }
        return (response, rest)
    }

    /// Where the JSON value starting at `start` ends (exclusive), by brackets and strings.
    static func jsonValueEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        var index = start
        let first = bytes[start]
        if first != 0x7b && first != 0x5b && first != 0x22 {
            // A scalar: up to the first whitespace.
            while index < bytes.count, ![0x20, 0x0a, 0x0d, 0x09].contains(bytes[index]) { index += 1 }
            return index
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                if escaped { escaped = false } else if byte == 0x5c { escaped = true } else if byte == 0x22 {
                    inString = false
                    if depth == 0 { return index }
                }
                continue
            }
            switch byte {
            case 0x22: inString = true
            case 0x7b, 0x5b: depth += 1
            case 0x7d, 0x5d:
                depth -= 1
                if depth == 0 { return index }
            default: break
            }
        }
        return nil
    }

    func shutdown() async {}
}
