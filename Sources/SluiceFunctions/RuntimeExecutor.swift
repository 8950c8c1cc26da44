import Foundation
import Logging
import NIOCore
import SluiceCore

/// Runs invocations on long-lived worker processes that speak the Lambda Runtime API.
///
/// Workers start on demand (at most `maxWorkers`) and stay warm: an invocation goes to a
/// worker parked on `/next` at once, else waits for the next worker to ask. A worker that
/// overruns the deadline is killed; one that exits mid-invocation fails it.
final class RuntimeExecutor: FunctionExecutor, RuntimeAPIRouter, @unchecked Sendable {
    let functionName: String
    let argv: [String]
    let directory: String?
    /// The process environment, read at each worker start (sluice's URL is known only once it listens).
    let environment: @Sendable () -> [String: String]
    let maxWorkers: Int
    let group: any EventLoopGroup
    let logger: Logger
    /// Output of a worker between invocations (start-up, init errors).
    let idleLog: @Sendable ([UInt8]) -> Void

    final class Job: @unchecked Sendable {
        var invocation: Invocation
        let log: InvocationLog
        var continuation: CheckedContinuation<InvocationResult, Never>?
        var worker: Worker?
        var timer: Task<Void, Never>?
        var done = false
        init(invocation: Invocation, log: InvocationLog) {
            self.invocation = invocation
            self.log = log
        }
    }

    final class Worker: @unchecked Sendable {
        let id: Int
        var channel: (any Channel)?
        var process: Subprocess?
        var ready = false
        var current: Job?
        /// The last job, for output that arrives just after its response.
        var last: Job?
        var parked: (@Sendable (Invocation) -> Void)?
        var initError: InvocationResult?
        init(id: Int) { self.id = id }
    }

    private let lock = NSLock()
    private var waiting: [Job] = []
    private var workers: [Int: Worker] = [:]
    private var idle: [Worker] = []
    private var starting = 0
    private var nextWorkerId = 0
    private var closed = false

    init(functionName: String, argv: [String], directory: String?, environment: @escaping @Sendable () -> [String: String], maxWorkers: Int,
         group: any EventLoopGroup, logger: Logger, idleLog: @escaping @Sendable ([UInt8]) -> Void) {
        self.functionName = functionName
        self.argv = argv
        self.directory = directory
        self.environment = environment
        self.maxWorkers = maxWorkers
        self.group = group
        self.logger = logger
        self.idleLog = idleLog
    }

    // MARK: Invoking

    func invoke(_ invocation: Invocation, log: InvocationLog) async -> InvocationResult {
        let job = Job(invocation: invocation, log: log)
        return await withCheckedContinuation { continuation in
            // Until a worker takes it, the invocation may wait for one to start: Lambda
            // gives initialization its own 10 s, so the clock starts again at hand-over.
            let timeout = max(1, invocation.deadline - SystemClock().now()) + Self.initAllowanceMillis
            let timer = startTimer(job, millis: timeout)
            var deliverTo: (@Sendable (Invocation) -> Void)?
            var spawn = false
            let rejected: Bool = lock.withLock {
                job.continuation = continuation
                job.timer = timer
                if closed {
                    job.done = true
                    return true
                }
                if let worker = idle.popLast() {
                    deliverTo = assign(job, to: worker)
                } else {
                    waiting.append(job)
                    if starting < waiting.count && workers.count < maxWorkers {
                        starting += 1
                        spawn = true
                    }
                }
                return false
            }
            if rejected {
                timer.cancel()
                continuation.resume(returning: .error(type: "ServiceException", message: "sluice is shutting down"))
                return
            }
            if let deliverTo { deliverTo(lock.withLock { job.invocation }) }
            if spawn { startWorker() }
        }
    }

    static let initAllowanceMillis: Millis = 10_000

    private func startTimer(_ job: Job, millis: Millis) -> Task<Void, Never> {
        Task.detached { [weak self] in
            guard (try? await Task.sleep(nanoseconds: UInt64(max(1, millis)) * 1_000_000)) != nil else { return }
            self?.timedOut(job)
        }
    }

    /// Hands `job` to `worker` (lock held); returns the parked reply to call after unlocking.
    /// The deadline counts from here.
    private func assign(_ job: Job, to worker: Worker) -> (@Sendable (Invocation) -> Void)? {
        worker.current = job
        worker.last = job
        job.worker = worker
        let now = SystemClock().now()
        job.invocation.deadline = now + Millis(job.invocation.timeoutSeconds) * 1000
        job.timer?.cancel()
        job.timer = startTimer(job, millis: job.invocation.deadline - now)
        let reply = worker.parked
        worker.parked = nil
        return reply
    }

    /// Ends `job` once (lock held); returns the continuation to resume after unlocking.
    private func finish(_ job: Job) -> CheckedContinuation<InvocationResult, Never>? {
        guard !job.done else { return nil }
        job.done = true
        job.timer?.cancel()
        if let worker = job.worker, worker.current === job { worker.current = nil }
        let continuation = job.continuation
        job.continuation = nil
        return continuation
    }

    private func timedOut(_ job: Job) {
        var killed: Worker?
        let continuation: CheckedContinuation<InvocationResult, Never>? = lock.withLock {
            guard !job.done else { return nil }
            waiting.removeAll { $0 === job }
            if let worker = job.worker {
                killed = worker
                remove(worker)
            }
            return finish(job)
        }
        if let killed {
            job.log.line("sluice: timed out; stopping worker \(killed.id)")
            killed.process?.kill()
            killed.channel?.close(promise: nil)
        }
        continuation?.resume(returning: .timedOut(job.invocation))
    }

    private func remove(_ worker: Worker) {
        if workers.removeValue(forKey: worker.id) != nil, !worker.ready { starting = max(0, starting - 1) }
        idle.removeAll { $0 === worker }
        worker.parked = nil
    }

    // MARK: Runtime API

    func next(worker id: Int, reply: @escaping @Sendable (Invocation) -> Void) {
        var deliver: Invocation?
        var orphan: (Job, CheckedContinuation<InvocationResult, Never>)?
        lock.withLock {
            guard let worker = workers[id] else { return }
            if !worker.ready {
                worker.ready = true
                starting = max(0, starting - 1)
            }
            if let current = worker.current, let continuation = finish(current) {
                // Asked for more without answering the last one.
                orphan = (current, continuation)
            }
            if !waiting.isEmpty {
                let job = waiting.removeFirst()
                _ = assign(job, to: worker)
                deliver = job.invocation
            } else {
                worker.parked = reply
                if !idle.contains(where: { $0 === worker }) { idle.append(worker) }
            }
        }
        if let (job, continuation) = orphan {
            continuation.resume(returning: .error(type: "Runtime.NoResponse", message: "RequestId: \(job.invocation.requestId) Error: the runtime asked for the next invocation without answering this one"))
        }
        if let deliver { reply(deliver) }
    }

    func complete(worker id: Int, requestId: String, result: InvocationResult) -> Bool {
        let found: (CheckedContinuation<InvocationResult, Never>?, Subprocess?)? = lock.withLock {
            guard let worker = workers[id], let job = worker.current, job.invocation.requestId == requestId else { return nil }
            return (finish(job), worker.process)
        }
        guard let (continuation, process) = found else { return false }
        guard let continuation else { return true }
        if let process, process.hasPendingOutput {
            // What the handler printed just before answering is still in the pipe: let it
            // reach the invocation's log first (a few hundred microseconds, at most 20 ms).
            Task.detached {
                for _ in 0..<100 where process.hasPendingOutput {
                    try? await Task.sleep(nanoseconds: 200_000)
                }
                continuation.resume(returning: result)
            }
        } else {
            continuation.resume(returning: result)
        }
        return true
    }

    func initError(worker id: Int, result: InvocationResult) {
        lock.withLock { workers[id]?.initError = result }
    }

    func undelivered(worker id: Int, requestId: String) {
        var handOff: ((@Sendable (Invocation) -> Void), Invocation)?
        lock.withLock {
            guard let worker = workers[id], let job = worker.current, job.invocation.requestId == requestId, !job.done else { return }
            worker.current = nil
            job.worker = nil
            if let other = idle.popLast() {
                if let reply = assign(job, to: other) { handOff = (reply, job.invocation) }
            } else {
                waiting.insert(job, at: 0)
            }
        }
        if let (reply, invocation) = handOff { reply(invocation) }
    }

    func disconnected(worker id: Int) {
        lock.withLock {
            guard let worker = workers[id] else { return }
            worker.parked = nil
            idle.removeAll { $0 === worker }
        }
    }

    // MARK: Workers

    private func startWorker() {
        let worker: Worker = lock.withLock {
            nextWorkerId += 1
            let worker = Worker(id: nextWorkerId)
            workers[worker.id] = worker
            return worker
        }
        Task.detached { [self] in
            var bound: (any Channel)?
            do {
                let channel = try await RuntimeAPIServer.bind(worker: worker.id, router: self, group: group)
                bound = channel
                let port = channel.localAddress?.port ?? 0
                var env = environment()
                env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:\(port)"
                env["AWS_LAMBDA_LOG_STREAM_NAME"] = "sluice/worker-\(worker.id)"
                let process = try Subprocess(
                    argv: argv, environment: env, directory: directory, mergeOutput: true,
                    onStdout: { [weak self] bytes in self?.output(worker, bytes) },
                    onStderr: { _ in },
                    onExit: { [weak self] status in self?.exited(worker, status: status) })
                process.writeInputAndClose([])
                let alive: Bool = lock.withLock {
                    worker.channel = channel
                    worker.process = process
                    return workers[worker.id] != nil && !closed
                }
                if !alive {
                    process.kill()
                    channel.close(promise: nil)
                }
                logger.debug("function \(functionName): worker \(worker.id) started (pid \(process.pid), runtime API 127.0.0.1:\(port))")
            } catch {
                bound?.close(promise: nil)
                logger.error("function \(functionName): cannot start a worker: \(error)")
                failStart(worker, .error(type: "Runtime.InvalidEntrypoint", message: "sluice could not start the runtime: \(error)"))
            }
        }
    }

    private func output(_ worker: Worker, _ bytes: [UInt8]) {
        let job = lock.withLock { worker.current ?? worker.last }
        if let job { job.log.output(bytes) } else { idleLog(bytes) }
    }

    private func exited(_ worker: Worker, status: Int32) {
        worker.last?.log.flush()
        var failures: [(Job, CheckedContinuation<InvocationResult, Never>, InvocationResult)] = []
        var spawn = false
        lock.withLock {
            let wasReady = worker.ready
            remove(worker)
            let code = Subprocess.exitCode(status)
            let exitError = InvocationResult.error(type: "Runtime.ExitError", message: "Runtime exited with error: exit status \(code)")
            if let job = worker.current, let continuation = finish(job) {
                failures.append((job, continuation, worker.initError ?? exitError))
            } else if !wasReady || worker.initError != nil, !waiting.isEmpty, workers.values.allSatisfy({ !$0.ready }) {
                // The runtime could not start: fail the invocation that is waiting for it
                // (the next one gets a fresh worker).
                let job = waiting.removeFirst()
                if let continuation = finish(job) { failures.append((job, continuation, worker.initError ?? exitError)) }
            }
            if !closed && starting < waiting.count && workers.count < maxWorkers {
                starting += 1
                spawn = true
            }
        }
        worker.channel?.close(promise: nil)
        if !closed { logger.info("function \(functionName): worker \(worker.id) exited (status \(Subprocess.exitCode(status)))") }
        for (job, continuation, result) in failures {
            job.log.line("sluice: the runtime exited (status \(Subprocess.exitCode(status)))")
            continuation.resume(returning: result)
        }
        if spawn { startWorker() }
    }

    private func failStart(_ worker: Worker, _ result: InvocationResult) {
        let failed: (Job, CheckedContinuation<InvocationResult, Never>)? = lock.withLock {
            remove(worker)
            guard !waiting.isEmpty else { return nil }
            let job = waiting.removeFirst()
            return finish(job).map { (job, $0) }
        }
        if let (_, continuation) = failed { continuation.resume(returning: result) }
    }

    func shutdown() async {
        let (all, pending): ([Worker], [CheckedContinuation<InvocationResult, Never>]) = lock.withLock {
            closed = true
            let all = Array(workers.values)
            let pending = waiting.compactMap { finish($0) } + all.compactMap { $0.current.flatMap { finish($0) } }
            waiting.removeAll()
            workers.removeAll()
            idle.removeAll()
            return (all, pending)
        }
        for worker in all {
            worker.process?.kill()
            worker.channel?.close(promise: nil)
        }
        for continuation in pending {
            continuation.resume(returning: .error(type: "ServiceException", message: "sluice is shutting down"))
        }
    }
}
