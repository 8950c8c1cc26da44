import Foundation
import Testing
@testable import SluiceCore
@testable import SluiceFunctions

@Suite struct CommandExecutorTests {
    func invocation(timeout: Int = 5, payload: String = "{\"a\":1}") -> Invocation {
        Invocation(requestId: "req-1", functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f", payload: Array(payload.utf8),
                   deadline: SystemClock().now() + Millis(timeout) * 1000, timeoutSeconds: timeout, clientContext: nil)
    }

    func run(_ script: String, timeout: Int = 5) async -> (InvocationResult, String) {
        let executor = CommandExecutor(argv: ["/bin/sh", "-c", script], directory: "/tmp",
                                       environment: { ["PATH": "/usr/bin:/bin", "GREETING": "hi"] })
        let log = InvocationLog()
        let result = await executor.invoke(invocation(timeout: timeout), log: log)
        log.flush()
        return (result, log.contents)
    }

    @Test func stdinToStdout() async {
        let (result, log) = await run("echo from-stderr >&2; printf '{\"got\":%s,\"g\":\"%s\",\"cwd\":\"%s\"}' \"$(cat)\" \"$GREETING\" \"$(pwd)\"")
        #expect(result == .success(Array("{\"got\":{\"a\":1},\"g\":\"hi\",\"cwd\":\"/tmp\"}".utf8)))
        #expect(log == "from-stderr\n")
    }

    @Test func nonZeroExitIsAFunctionError() async {
        let (result, _) = await run("cat >/dev/null; exit 3")
        guard case .functionError(let type, let body) = result else {
            Issue.record("expected a function error")
            return
        }
        #expect(type == "Runtime.ExitError")
        #expect(String(decoding: body, as: UTF8.self).contains("exit status 3"))
    }

    @Test func timeoutKillsTheCommandAndItsChildren() async {
        let started = Date()
        let (result, _) = await run("sleep 30 & sleep 30", timeout: 1)
        #expect(Date().timeIntervalSince(started) < 5)
        guard case .functionError(let type, let body) = result else {
            Issue.record("expected a timeout")
            return
        }
        #expect(type == "Sandbox.Timedout")
        #expect(String(decoding: body, as: UTF8.self).contains("Task timed out after 1.00 seconds"))
    }

    @Test func commandThatIgnoresItsInputDoesNotBreakTheHost() async {
        let executor = CommandExecutor(argv: ["/bin/sh", "-c", "echo 1"], directory: nil, environment: { ["PATH": "/usr/bin:/bin"] })
        var big = invocation()
        big.payload = Array(repeating: 0x20, count: 4 * 1024 * 1024)
        let result = await executor.invoke(big, log: InvocationLog())
        #expect(result == .success(Array("1".utf8)))
    }

    @Test func textAfterTheResponseGoesToTheLog() async {
        let (result, log) = await run("cat >/dev/null; echo '{\"a\": [1, \"}\"]}'; echo trailing words")
        #expect(result == .success(Array("{\"a\": [1, \"}\"]}".utf8)))
        #expect(log == "trailing words\n")
    }

    @Test func missingProgramIsAnError() async {
        let executor = CommandExecutor(argv: ["/nonexistent/program"], directory: nil, environment: { [:] })
        let result = await executor.invoke(invocation(), log: InvocationLog())
        #expect(result.isError)
    }
}

@Suite struct ConcurrencyGateTests {
    @Test func neverMoreThanTheLimit() async {
        let gate = ConcurrencyGate(limit: 3)
        let peak = Peak()
        let waits = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    let waited = await gate.acquire()
                    peak.enter()
                    try? await Task.sleep(nanoseconds: 1_000_000)
                    peak.leave()
                    gate.release()
                    return waited
                }
            }
            var count = 0
            for await waited in group where waited { count += 1 }
            return count
        }
        #expect(peak.maximum <= 3)
        #expect(peak.maximum >= 1)
        #expect(waits >= 1)
        #expect(gate.inUse == 0)
    }

    final class Peak: @unchecked Sendable {
        let lock = NSLock()
        var current = 0
        var maximum = 0
        func enter() { lock.withLock { current += 1; maximum = max(maximum, current) } }
        func leave() { lock.withLock { current -= 1 } }
    }
}

@Suite struct InvocationLogTests {
    @Test func linesAndCarriageReturns() {
        let log = InvocationLog()
        log.output(Array("[ERROR] boom\rTraceback\rline".utf8))
        log.output(Array(" more\n".utf8))
        log.flush()
        #expect(log.contents == "[ERROR] boom\nTraceback\nline more\n")
    }
}

@Suite struct EventBusTests {
    @Test func listenersGetWhatTheirFilterAdmits() async {
        let bus = EventBus()
        #expect(!bus.isObserved)
        let stream = bus.listen(EventFilter(function: "f", kind: "function."))
        #expect(bus.isObserved)
        bus.publish(BrokerEvent(kind: "message.available", time: 0, queue: "q"))
        bus.publish(BrokerEvent(kind: "function.invoked", time: 0, function: "g"))
        bus.publish(BrokerEvent(kind: "function.finished", time: 1, function: "f", detail: [("durationMs", "1.5")]))
        var iterator = stream.makeAsyncIterator()
        let event = await iterator.next()
        #expect(event?.kind == "function.finished")
        #expect(event?.json == "{\"time\":\"1970-01-01T00:00:00.001Z\",\"kind\":\"function.finished\",\"function\":\"f\",\"durationMs\":1.5}")
    }
}
