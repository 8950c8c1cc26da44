import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceHTTP
import SluiceQueues
import SluiceStorage

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
        try await ConfiguredQueues.apply(config.queues, to: engine, account: config.accountId, region: config.region,
                                         file: config.configPath ?? "config", logger: logger)

        let responder = SluiceResponder(
            queues: engine,
            options: HTTPOptions(enableReset: config.enableReset, defaultHost: "\(config.host):\(config.port)"),
            logger: logger)
        var app = Application(
            responder: responder,
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "sluice"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.port
                logger.info("listening on http://\(config.host):\(port)")
                onListening(port)
            },
            logger: logger)
        app.addServices(EngineService(engine: engine))
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

    func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                await engine.run()
            }
        } onGracefulShutdown: {
            engine.shutdown()
        }
    }
}
