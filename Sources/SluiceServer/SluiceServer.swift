import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceHTTP
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

        let engine = QueueEngine(store: store, region: config.region, account: config.accountId, logger: logger)
        try await engine.start()
        let signer = try SNSSigner(dataDir: dataDir, region: config.region)
        let topics = TopicEngine(store: SQLiteTopicStore(sharing: store), sink: engine, client: URLSessionEndpointClient(),
                                 signer: signer, region: config.region, account: config.accountId, logger: logger)
        try await topics.start()
        let applyConfig: @Sendable () async throws -> Void = {
            let file = config.configPath ?? "config"
            try await ConfiguredQueues.apply(config.queues, to: engine, account: config.accountId, region: config.region, file: file, logger: logger)
            try await ConfiguredTopics.apply(config.topics, to: topics, account: config.accountId, region: config.region,
                                             baseURL: "http://\(config.host):\(config.port)", file: file, logger: logger)
        }
        try await applyConfig()

        var options = HTTPOptions(enableReset: config.enableReset, defaultHost: "\(config.host):\(config.port)")
        options.certificatePEM = signer.certificatePEM
        options.certificatePath = signer.certificatePath
        let responder = SluiceResponder(queues: engine, topics: topics, options: options, logger: logger, afterReset: {
            do { try await applyConfig() } catch { logger.error("cannot re-create configured resources after reset: \(error)") }
        })
        var app = Application(
            responder: responder,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "sluice"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.port
                logger.info("listening on http://\(config.host):\(port)")
                onListening(port)
            },
            logger: logger)
        app.addServices(EngineService(engine: engine, topics: topics))
        if config.enableReset { logger.warning("development reset is enabled: POST /_sluice/reset empties all state") }
        do {
            try await app.runService()
        } catch {
            engine.shutdown()
            await store.close()
            throw error
        }
        engine.shutdown()
        await store.close()
        logger.info("stopped; database closed")
    }
}

/// Runs the engine's background work inside the service group; on graceful shutdown it
/// wakes long-poll receivers so in-flight requests finish promptly.
struct EngineService: Service {
    let engine: QueueEngine
    let topics: TopicEngine

    func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await engine.run() }
                    group.addTask { await topics.run() }
                }
            }
        } onGracefulShutdown: {
            engine.shutdown()
            topics.shutdown()
        }
    }
}
