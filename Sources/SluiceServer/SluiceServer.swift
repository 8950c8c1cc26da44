import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import NIOPosix
import SluiceCore
import SluiceFunctions
import SluiceHTTP
import SluiceMetrics
import SluiceQueues
import SluiceStorage
import SluiceTopics

/// The composition root: opens storage, builds the engines and the HTTP front door, and
/// runs them as one service group until SIGINT or SIGTERM.
public enum SluiceServer {
    /// Runs the broker until it is signalled to stop. `onListening` receives the bound port.
    public static func run(_ config: ServerConfiguration, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let dataDir = URL(fileURLWithPath: config.dataDir).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let databasePath = dataDir + "/sluice.db"
        let store = try SQLiteQueueStore(path: databasePath, durability: config.durability, region: config.region, logger: logger)
        logger.info("data directory: \(dataDir) (SQLite \(databasePath), durability \(config.durability.rawValue))")

        let metrics = MetricsBinding(region: config.region, account: config.accountId)
        let bus = EventBus()
        let busObserver = BusObserver(bus: bus)
        let queueObserver: any QueueObserver = config.metrics ? QueueObservers([metrics, busObserver]) : busObserver
        let topicObserver: any TopicObserver = config.metrics ? TopicObservers([metrics, busObserver]) : busObserver
        let engine = QueueEngine(store: store, region: config.region, account: config.accountId, logger: logger, observer: queueObserver)
        try await engine.start()
        let functionStore = SQLiteFunctionStore(sharing: store)
        let host = FunctionHost(store: functionStore, queues: engine, bus: bus, observer: config.metrics ? metrics : NoFunctionObserver(),
                                region: config.region, account: config.accountId, directory: dataDir + "/functions",
                                group: MultiThreadedEventLoopGroup.singleton, logger: logger)
        host.asyncRetryDelaySeconds = config.asyncRetryDelay
        try await host.start()
        let mappings = EventSourceMappings(host: host, queues: engine, store: functionStore, bus: bus, logger: logger)
        try await mappings.start()
        let signer = try SNSSigner(dataDir: dataDir, region: config.region)
        let topics = TopicEngine(store: SQLiteTopicStore(sharing: store), sink: engine, client: URLSessionEndpointClient(),
                                 signer: signer, observer: topicObserver, functions: host, region: config.region, account: config.accountId,
                                 logger: logger)
        try await topics.start()
        let file = config.configPath ?? "config"
        let boundPort = BoundPort(config.port)
        let applyQueues: @Sendable () async throws -> Void = {
            try await ConfiguredQueues.apply(config.queues, to: engine, account: config.accountId, region: config.region, file: file, logger: logger)
        }
        // Topics need the port actually bound: their HTTP subscriptions are sent URLs pointing back here.
        let applyTopics: @Sendable () async throws -> Void = {
            try await ConfiguredTopics.apply(config.topics, to: topics, account: config.accountId, region: config.region,
                                             baseURL: "http://\(config.host):\(boundPort.value)", file: file, logger: logger)
        }
        let applyFunctions: @Sendable () async throws -> Void = {
            try await ConfiguredFunctions.apply(config.functions, host: host, mappings: mappings, account: config.accountId,
                                                region: config.region, file: file, logger: logger)
        }
        try await applyQueues()
        try await applyFunctions()

        var options = HTTPOptions(enableReset: config.enableReset, defaultHost: "\(config.host):\(config.port)")
        options.certificatePEM = signer.certificatePEM
        options.certificatePath = signer.certificatePath
        if config.metrics {
            options.metrics = { openMetrics in
                let format: ExpositionFormat = openMetrics ? .openMetrics : .prometheus
                return (format.contentType, await metrics.render(format: format, queues: engine, topics: topics, functions: host))
            }
            options.cloudWatchMetrics = { await metrics.renderCloudWatch(queues: engine, functions: host) }
            options.recordRequest = { service, action, status, seconds in
                metrics.requests.record(service: service, action: action, status: status, seconds: seconds)
            }
        } else {
            logger.notice("metrics are off: /metrics is not served")
        }
        let responder = SluiceResponder(queues: engine, topics: topics, functions: FunctionServices(host: host, mappings: mappings, bus: bus),
                                        options: options, logger: logger, afterReset: {
            do {
                try await applyQueues()
                try await applyFunctions()
                try await applyTopics()
            } catch {
                logger.error("cannot re-create configured resources after reset: \(error)")
            }
        })
        var app = Application(
            responder: responder,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "sluice"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.port
                boundPort.value = port
                let reachable = config.host == "0.0.0.0" || config.host == "::" ? "127.0.0.1" : config.host
                host.endpointURL = "http://\(reachable.contains(":") ? "[\(reachable)]" : reachable):\(port)"
                mappings.resume()
                do {
                    try await applyTopics()
                } catch {
                    FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
                    exit(2)
                }
                logger.info("listening on http://\(config.host):\(port)")
                onListening(port)
            },
            logger: logger)
        app.addServices(EngineService(engine: engine, topics: topics, functions: host, mappings: mappings, bus: bus))
        if config.enableReset { logger.warning("development reset is enabled: POST /_sluice/reset empties all state") }
        do {
            try await app.runService()
        } catch {
            mappings.shutdown()
            await host.shutdown()
            engine.shutdown()
            await store.close()
            throw error
        }
        mappings.shutdown()
        await host.shutdown()
        engine.shutdown()
        await store.close()
        logger.info("stopped; database closed")
    }
}

/// The port the server bound (known once it listens; 0 in the configuration means any).
final class BoundPort: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int
    init(_ port: Int) { self.port = port }
    var value: Int {
        get { lock.withLock { port } }
        set { lock.withLock { port = newValue } }
    }
}

/// Runs the engine's background work inside the service group; on graceful shutdown it
/// wakes long-poll receivers so in-flight requests finish promptly.
struct EngineService: Service {
    let engine: QueueEngine
    let topics: TopicEngine
    let functions: FunctionHost
    let mappings: EventSourceMappings
    let bus: EventBus

    func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await engine.run() }
                    group.addTask { await topics.run() }
                    group.addTask { await functions.run() }
                }
            }
        } onGracefulShutdown: {
            bus.close()
            mappings.shutdown()
            // Waiting invocations return at once and workers stop, so nothing holds up the stop.
            Task { await functions.shutdown() }
            engine.shutdown()
            topics.shutdown()
        }
    }
}
