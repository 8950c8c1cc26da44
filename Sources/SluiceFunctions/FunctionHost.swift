import Foundation
import Logging
import NIOCore
import SluiceCore
import SluiceQueues
import SluiceStorage
import SluiceTopics

/// What the function host reports (CloudWatch's AWS/Lambda metrics).
public protocol FunctionObserver: Sendable {
    /// An invocation ran: its duration and whether it ended in a function error.
    func finished(function: String, seconds: Double, error: Bool)
    /// An invocation had to wait for a free slot.
    func throttled(function: String)
    /// Invocations running now.
    func running(function: String, count: Int)
    /// The function was deleted: stop reporting it.
    func removed(function: String)
}

public struct NoFunctionObserver: FunctionObserver {
    public init() {}
    public func finished(function: String, seconds: Double, error: Bool) {}
    public func throttled(function: String) {}
    public func running(function: String, count: Int) {}
    public func removed(function: String) {}
}

/// What one synchronous invocation produced.
public struct InvokeOutcome: Sendable {
    public var requestId: String
    public var result: InvocationResult
    /// The invocation's log (START ... REPORT lines).
    public var log: String
    public var durationMillis: Double
    /// Cut short by sluice shutting down: not the function's doing, not to be counted.
    public var interrupted = false
}

/// The functions: their definitions, executors, concurrency limits and logs, and the
/// durable queue of asynchronous invocations with Lambda's retries.
public final class FunctionHost: FunctionGateway, @unchecked Sendable {
    public let region: String
    public let account: String
    let store: any FunctionStore
    let queues: QueueEngine
    let bus: EventBus
    let observer: any FunctionObserver
    let logger: Logger
    let group: any EventLoopGroup
    let clock: any SluiceClock
    /// Where code of API-created functions and the logs live.
    let directory: String?
    let asyncAlarm = WakeAlarm()

    final class Hosted: @unchecked Sendable {
        let definition: FunctionDefinition
        let gate: ConcurrencyGate
        let logBook: FunctionLogBook
        private let lock = NSLock()
        private var executor: (any FunctionExecutor)?
        private let make: @Sendable () -> any FunctionExecutor
        var running = 0

        init(definition: FunctionDefinition, logBook: FunctionLogBook, make: @escaping @Sendable () -> any FunctionExecutor) {
            self.definition = definition
            self.gate = ConcurrencyGate(limit: definition.concurrency)
            self.logBook = logBook
            self.make = make
        }

        /// The executor, created on first use (workers start only when needed); nil once retired.
        var runner: (any FunctionExecutor)? {
            lock.withLock {
                if let executor { return executor }
                guard !retired else { return nil }
                let made = make()
                executor = made
                return made
            }
        }

        private var retired = false

        /// Whether the function was replaced or removed since this was looked up.
        var isRetired: Bool { lock.withLock { retired } }

        /// Counts an invocation in (+1) or out (-1); returns the new count and, when a retired
        /// function's last invocation ends, the executor to stop.
        func changeRunning(_ delta: Int) -> (count: Int, stop: (any FunctionExecutor)?) {
            lock.withLock {
                running += delta
                guard retired, running == 0, let executor else { return (running, nil) }
                self.executor = nil
                return (running, executor)
            }
        }

        /// Stops taking invocations: waiters look the function up again, running ones finish
        /// on the old executor, which stops after the last (at once with `now`).
        func retire(now: Bool) async {
            let idle: (any FunctionExecutor)? = lock.withLock {
                retired = true
                guard now || running == 0 else { return nil }
                let current = executor
                executor = nil
                return current
            }
            gate.close()
            await idle?.shutdown()
        }
    }

    private let lock = NSLock()
    private var functions: [String: Hosted] = [:]
    private var logBooks: [String: FunctionLogBook] = [:]
    private var endpoint = "http://127.0.0.1:4566"
    private var retryDelay: Double = 60

    public init(store: any FunctionStore, queues: QueueEngine, bus: EventBus, observer: any FunctionObserver = NoFunctionObserver(),
                region: String, account: String, directory: String?, group: any EventLoopGroup, logger: Logger,
                clock: any SluiceClock = SystemClock()) {
        self.store = store
        self.queues = queues
        self.bus = bus
        self.observer = observer
        self.region = region
        self.account = account
        self.directory = directory
        self.group = group
        self.logger = logger
        self.clock = clock
    }

    /// The URL functions use to call sluice (AWS_ENDPOINT_URL), once the port is known.
    public var endpointURL: String {
        get { lock.withLock { endpoint } }
        set { lock.withLock { endpoint = newValue } }
    }

    /// Seconds before the first asynchronous retry; the second waits twice as long.
    public var asyncRetryDelaySeconds: Double {
        get { lock.withLock { retryDelay } }
        set { lock.withLock { retryDelay = newValue } }
    }

    public func arn(_ name: String) -> String { "arn:aws:lambda:\(region):\(account):function:\(name)" }

    // MARK: Catalogue

    /// Loads the functions created through the API.
    public func start() async throws {
        for (_, body) in try await store.documents(kind: "function") {
            guard let definition = try? JSONDecoder().decode(FunctionDefinition.self, from: Data(body.utf8)) else { continue }
            install(definition)
        }
    }

    /// Adds or replaces a function (replacing stops the old one's workers).
    public func define(_ definition: FunctionDefinition) async throws(LambdaError) {
        if let problem = definition.problem() { throw .invalid(problem) }
        if definition.origin == "api" {
            do {
                let body = String(decoding: try JSONEncoder().encode(definition), as: UTF8.self)
                try await store.putDocument(kind: "function", key: definition.name, body: body)
            } catch {
                throw .service("cannot store function \(definition.name): \(error)")
            }
        }
        let previous = install(definition)
        await previous?.retire(now: false)
    }

    @discardableResult
    private func install(_ definition: FunctionDefinition) -> Hosted? {
        // Opening a log book reads its file: not under the lock.
        let book: FunctionLogBook
        if let existing = lock.withLock({ logBooks[definition.name] }) {
            book = existing
        } else {
            if let directory { try? FileManager.default.createDirectory(atPath: "\(directory)/logs", withIntermediateDirectories: true) }
            let opened = FunctionLogBook(path: directory.map { "\($0)/logs/\(definition.name).log" })
            book = lock.withLock {
                if let raced = logBooks[definition.name] { return raced }
                logBooks[definition.name] = opened
                return opened
            }
        }
        let hosted = Hosted(definition: definition, logBook: book) { [unowned self] in self.makeExecutor(definition, book: book) }
        return lock.withLock {
            let previous = functions[definition.name]
            functions[definition.name] = hosted
            return previous
        }
    }

    /// Removes a function, its pending asynchronous invocations and its workers.
    public func remove(_ name: String) async throws(LambdaError) {
        let hosted = lock.withLock { functions.removeValue(forKey: name) }
        guard let hosted else { throw .notFound("Function not found: \(arn(name))") }
        do {
            try await store.deleteDocument(kind: "function", key: name)
            try await store.dropAsync(functionName: name)
        } catch {
            logger.error("cannot delete function \(name) from the store: \(error)")
        }
        await hosted.retire(now: false)
        observer.removed(function: name)
    }

    public func all() -> [FunctionDefinition] {
        lock.withLock { functions.values.map(\.definition) }.sorted { $0.name < $1.name }
    }

    public func definition(_ name: String) -> FunctionDefinition? {
        lock.withLock { functions[name]?.definition }
    }

    func hosted(_ name: String) -> Hosted? { lock.withLock { functions[name] } }

    /// Running invocations per function (metrics).
    public func runningCounts() -> [String: Int] {
        lock.withLock { functions.mapValues { $0.running } }
    }

    /// A function name from what the API accepts: `name`, `name:qualifier`, a full or
    /// partial ARN. Returns the name and the qualifier, if any.
    public func resolveName(_ text: String) throws(LambdaError) -> (name: String, qualifier: String?) {
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "arn" {
            guard parts.count >= 7, parts[2] == "lambda", parts[5] == "function" else { throw .invalid("1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?") }
            parts = Array(parts[6...])
        } else if parts.count >= 3, parts[1] == "function" {
            parts = Array(parts[2...])
        }
        guard let name = parts.first, FunctionDefinition.isValidName(name), parts.count <= 2 else {
            throw .invalid("1 validation error detected: Value '\(text)' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?")
        }
        return (name, parts.count == 2 ? parts[1] : nil)
    }

    /// The function `text` names; only `$LATEST` exists as a qualifier.
    public func lookup(_ text: String) throws(LambdaError) -> FunctionDefinition {
        let (name, qualifier) = try resolveName(text)
        guard let definition = definition(name) else { throw .notFound("Function not found: \(arn(name))\(qualifier.map { ":\($0)" } ?? "")") }
        if let qualifier, qualifier != "$LATEST" {
            throw .notFound("Function not found: \(arn(name)):\(qualifier)")
        }
        return definition
    }

    public func functionExists(arn text: String) -> Bool { (try? lookup(text)) != nil }

    // MARK: Executors

    static var python: String { ProcessInfo.processInfo.environment["SLUICE_PYTHON"] ?? "python3" }

    /// The process environment of a function, as Lambda sets it, plus what running locally needs.
    func environment(_ definition: FunctionDefinition) -> [String: String] {
        let parent = ProcessInfo.processInfo.environment
        var env = [String: String]()
        for key in ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "VIRTUAL_ENV", "SSL_CERT_FILE", "PYTHONPATH"] {
            env[key] = parent[key]
        }
        env["AWS_LAMBDA_FUNCTION_NAME"] = definition.name
        env["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
        env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(definition.memoryMB)
        env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = String(definition.timeoutSeconds)
        env["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/\(definition.name)"
        env["AWS_LAMBDA_LOG_STREAM_NAME"] = "sluice"
        env["AWS_REGION"] = region
        env["AWS_DEFAULT_REGION"] = region
        env["AWS_EXECUTION_ENV"] = "AWS_Lambda_\(definition.runtime)"
        env["AWS_ACCESS_KEY_ID"] = parent["AWS_ACCESS_KEY_ID"] ?? "test"
        env["AWS_SECRET_ACCESS_KEY"] = parent["AWS_SECRET_ACCESS_KEY"] ?? "test"
        env["AWS_ENDPOINT_URL"] = endpointURL
        env["TZ"] = ":UTC"
        env["_HANDLER"] = definition.handler
        if let code = definition.codeDirectory {
            env["LAMBDA_TASK_ROOT"] = code
            if definition.isPythonRuntime { env["PYTHONPATH"] = [code, parent["PYTHONPATH"]].compactMap { $0 }.joined(separator: ":") }
        }
        if definition.isPythonRuntime { env["PYTHONUNBUFFERED"] = "1" }
        env.merge(definition.environment) { _, user in user }
        return env
    }

    func makeExecutor(_ definition: FunctionDefinition, book: FunctionLogBook) -> any FunctionExecutor {
        let env: @Sendable () -> [String: String] = { [weak self] in self?.environment(definition) ?? [:] }
        switch definition.executor {
        case .command:
            return CommandExecutor(argv: definition.command ?? [], directory: definition.workingDirectory ?? definition.codeDirectory, environment: env)
        case .runtime:
            let argv = definition.command.flatMap { $0.isEmpty ? nil : $0 } ?? [Self.python, "-m", "awslambdaric", definition.handler]
            return RuntimeExecutor(functionName: definition.name, argv: argv, directory: definition.workingDirectory ?? definition.codeDirectory,
                                   environment: env, maxWorkers: definition.concurrency, group: group, logger: logger,
                                   idleLog: { bytes in book.append(String(decoding: bytes, as: UTF8.self)) })
        case .http:
            // problem() accepted the URL before the function was defined.
            let url = URL(string: definition.url ?? "") ?? URL(string: "http://invalid.invalid/")!
            return HTTPExecutor(url: url, functionName: definition.name)
        }
    }

    // MARK: Invoking

    /// Runs the function once and waits for the outcome. Beyond the function's concurrency
    /// the call waits for a slot (counted as a throttle).
    public func invoke(_ text: String, payload: [UInt8], clientContext: String? = nil, source: String = "Invoke") async throws(LambdaError) -> InvokeOutcome {
        let definition = try lookup(text)
        guard let hosted = hosted(definition.name) else { throw .notFound("Function not found: \(arn(definition.name))") }
        return await run(hosted, payload: payload, clientContext: clientContext, source: source)
    }

    func run(_ hosted: Hosted, payload: [UInt8], clientContext: String?, source: String) async -> InvokeOutcome {
        let definition = hosted.definition
        let name = definition.name
        let requestId = Identifiers.uuid()
        if await hosted.gate.acquire() {
            observer.throttled(function: name)
            bus.publish(BrokerEvent(kind: "function.throttled", time: clock.now(), function: name,
                                    detail: [("requestId", JSONText.quoted(requestId)), ("concurrency", String(definition.concurrency))]))
        }
        if isShuttingDown {
            hosted.gate.release()
            return InvokeOutcome(requestId: requestId, result: .error(type: "ServiceException", message: "sluice is shutting down"),
                                 log: "", durationMillis: 0, interrupted: true)
        }
        if hosted.isRetired {
            // Replaced (new code or settings) or removed while this waited: run the current one.
            hosted.gate.release()
            if let current = self.hosted(name), current !== hosted {
                return await run(current, payload: payload, clientContext: clientContext, source: source)
            }
            return InvokeOutcome(requestId: requestId, result: .error(type: "ResourceNotFoundException", message: "Function not found: \(arn(name))"),
                                 log: "", durationMillis: 0, interrupted: false)
        }
        guard let runner = hosted.runner else {
            hosted.gate.release()
            return await run(hosted, payload: payload, clientContext: clientContext, source: source)
        }
        observer.running(function: name, count: hosted.changeRunning(1).count)
        let started = clock.now()
        let startedNanos = DispatchTime.now().uptimeNanoseconds
        bus.publish(BrokerEvent(kind: "function.invoked", time: started, function: name,
                                detail: [("requestId", JSONText.quoted(requestId)), ("source", JSONText.quoted(source)), ("bytes", String(payload.count))]))
        let log = InvocationLog()
        log.line("START RequestId: \(requestId) Version: $LATEST")
        let invocation = Invocation(requestId: requestId, functionArn: arn(name), payload: payload,
                                    deadline: started + Millis(definition.timeoutSeconds) * 1000, timeoutSeconds: definition.timeoutSeconds,
                                    clientContext: clientContext)
        let result = await runner.invoke(invocation, log: log)
        let millis = Double(DispatchTime.now().uptimeNanoseconds - startedNanos) / 1e6
        hosted.gate.release()
        let (running, stop) = hosted.changeRunning(-1)
        observer.running(function: name, count: running)
        if let stop { await stop.shutdown() }
        log.flush()
        if case .functionError(let type, _) = result {
            if type == "Sandbox.Timedout" {
                log.line("\(AWSTime.iso8601(clock.now())) \(requestId) Task timed out after \(String(format: "%.2f", Double(definition.timeoutSeconds))) seconds")
            }
        }
        log.line("END RequestId: \(requestId)")
        log.line("REPORT RequestId: \(requestId)\tDuration: \(String(format: "%.2f", millis)) ms\tBilled Duration: \(Int(millis.rounded(.up))) ms\tMemory Size: \(definition.memoryMB) MB")
        let text = log.contents
        hosted.logBook.append(text)
        observer.finished(function: name, seconds: millis / 1000, error: result.isError)
        var detail: [(String, String)] = [("requestId", JSONText.quoted(requestId)), ("durationMs", String(format: "%.2f", millis))]
        if case .functionError(let type, _) = result {
            detail.append(("errorType", JSONText.quoted(type)))
            bus.publish(BrokerEvent(kind: "function.failed", time: clock.now(), function: name, detail: detail))
        } else {
            bus.publish(BrokerEvent(kind: "function.finished", time: clock.now(), function: name, detail: detail))
        }
        return InvokeOutcome(requestId: requestId, result: result, log: text, durationMillis: millis, interrupted: isShuttingDown)
    }

    /// The last `lines` log lines of a function.
    public func logs(_ name: String, lines: Int) -> String? {
        lock.withLock { logBooks[name] }?.tail(lines)
    }

    // MARK: Asynchronous invocations

    /// Queues an asynchronous invocation durably (Invoke with InvocationType Event).
    public func invokeAsync(_ text: String, payload: String, deadLetterArn: String? = nil, deadLetterBody: String? = nil) async throws(LambdaError) -> String {
        let definition = try lookup(text)
        let requestId = Identifiers.uuid()
        let now = clock.now()
        do {
            try await store.enqueueAsync(AsyncInvocationRecord(functionName: definition.name, requestId: requestId, payload: payload,
                                                               maxAttempts: 1 + definition.retries, deadLetterArn: deadLetterArn,
                                                               deadLetterBody: deadLetterBody, firstAt: now, dueAt: now))
        } catch {
            throw .service("cannot queue the invocation: \(error)")
        }
        asyncAlarm.poke()
        return requestId
    }

    public func enqueueEvent(functionArn: String, payload: String, deadLetterArn: String?, deadLetterBody: String) async throws -> Bool {
        let result: Result<String, LambdaError>
        do {
            result = .success(try await invokeAsync(functionArn, payload: payload, deadLetterArn: deadLetterArn, deadLetterBody: deadLetterBody))
        } catch {
            result = .failure(error)
        }
        switch result {
        case .success: return true
        case .failure(let error) where error.status == 404 || error.status == 400: return false
        case .failure(let error): throw error
        }
    }

    static let maxConcurrentAsync = 64

    /// Asynchronous invocations being attempted: their lease may run out while they wait
    /// for a slot, and they must not be fetched and run a second time.
    private var asyncInFlight = Set<Int64>()

    /// Runs due asynchronous invocations; sleeps until the next is due or one is queued.
    public func run() async {
        let store = self.store
        await DueWork.run(
            capacity: Self.maxConcurrentAsync, alarm: asyncAlarm, clock: clock,
            // Leased past the longest run, so a crash mid-attempt makes it again later.
            fetch: { [self] now, limit in
                let due = try await store.dueAsync(now: now, limit: limit, leaseUntil: now + 960_000)
                return lock.withLock { due.filter { asyncInFlight.insert($0.id).inserted } }
            },
            nextDue: { try await store.nextAsyncDue() },
            onError: { [logger] error in logger.error("cannot read asynchronous invocations: \(error)") },
            attempt: { invocation in await self.attempt(invocation) })
    }

    func attempt(_ invocation: AsyncInvocationRecord) async {
        defer { _ = lock.withLock { asyncInFlight.remove(invocation.id) } }
        guard let hosted = hosted(invocation.functionName) else {
            _ = try? await store.finishAsync(id: invocation.id, deadLetter: nil, now: clock.now())
            return
        }
        let outcome = await run(hosted, payload: Array(invocation.payload.utf8), clientContext: nil, source: "Event")
        // Stopped by a shutdown: the lease runs it again after the restart.
        if outcome.interrupted { return }
        do {
            guard outcome.result.isError else {
                _ = try await store.finishAsync(id: invocation.id, deadLetter: nil, now: clock.now())
                return
            }
            let attempts = invocation.attempts + 1
            if attempts < invocation.maxAttempts {
                let delay = asyncRetryDelaySeconds * Double(attempts)
                logger.debug("function \(invocation.functionName): asynchronous invocation \(invocation.requestId) failed; retry \(attempts) in \(delay) s")
                try await store.rescheduleAsync(id: invocation.id, attempts: attempts, dueAt: clock.now() + Millis(delay * 1000))
                return
            }
            logger.warning("function \(invocation.functionName): asynchronous invocation \(invocation.requestId) failed \(attempts) times; giving up")
            var deadLetter: (queue: QueueRecord, message: NewMessage)?
            if let arn = invocation.deadLetterArn {
                if let queue = queues.record(arn: arn) {
                    deadLetter = try? (queue, queues.prepareForwarded(queue, body: invocation.deadLetterBody ?? invocation.payload, attributes: [:],
                                                                       groupId: nil, deduplicationId: nil))
                }
                if deadLetter == nil { logger.error("function \(invocation.functionName): dead-letter queue \(arn) is missing or refused the message") }
            }
            let stored = try await store.finishAsync(id: invocation.id, deadLetter: deadLetter, now: clock.now())
            if let deadLetter {
                queues.afterSend(deadLetter.queue, stored)
                bus.publish(BrokerEvent(kind: "message.dead-lettered", time: clock.now(), queue: deadLetter.queue.key.name, function: invocation.functionName,
                                        detail: [("requestId", JSONText.quoted(invocation.requestId)), ("attempts", String(attempts))]))
            }
        } catch {
            logger.error("cannot record the outcome of asynchronous invocation \(invocation.requestId): \(error)")
        }
    }

    private var shuttingDown = false
    var isShuttingDown: Bool { lock.withLock { shuttingDown } }

    /// Stops every worker process; waiting invocations return at once (interrupted), so
    /// a stop never waits for a backlog.
    public func shutdown() async {
        let all: [Hosted] = lock.withLock {
            shuttingDown = true
            return Array(functions.values)
        }
        for hosted in all { await hosted.retire(now: true) }
        lock.withLock { logBooks.values }.forEach { $0.close() }
    }

    /// Development reset: forgets the functions created through the API.
    public func reset() async {
        let removed: [Hosted] = lock.withLock {
            let api = functions.filter { $0.value.definition.origin == "api" }
            for name in api.keys { functions[name] = nil }
            return Array(api.values)
        }
        for hosted in removed { await hosted.retire(now: true) }
    }
}
