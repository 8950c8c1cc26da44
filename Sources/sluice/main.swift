import ArgumentParser
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import SluiceServer
import SluiceStorage

#if os(Linux)
// glibc's mallopt (malloc.h is not in the Glibc module). One malloc arena per thread grows
// resident memory under load without giving it back; two arenas keep the footprint small.
@_silgen_name("mallopt") func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
let mallocArenaMax: Int32 = -8  // M_ARENA_MAX
_ = mallopt(mallocArenaMax, 2)
#endif

// Run Swift concurrency on NIO's event loops: a request's handler then stays on the
// thread that read it instead of hopping to a separate pool (measured: fewer context
// switches per request on two cores).
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
let finished = DispatchSemaphore(value: 0)
// Detached: top-level code runs on the main actor, and the main thread waits below.
Task.detached {
    await Sluice.main()
    finished.signal()
}
finished.wait()

struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A self-hosted, AWS-compatible messaging broker (SQS, SNS and Lambda-like functions) on one port.",
        subcommands: [Serve.self, Tail.self],
        defaultSubcommand: Serve.self)
}

extension Durability: ExpressibleByArgument {}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the broker. Every option can also be set as an environment variable SLUICE_<NAME> or in the config file.")

    @Option(help: "Address to listen on (SLUICE_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free port (SLUICE_PORT; default 4566).") var port: Int?
    @Option(help: "Directory for the database (SLUICE_DATA_DIR; default ./.sluice).") var dataDir: String?
    @Option(help: "YAML config file (SLUICE_CONFIG).") var config: String?
    @Option(help: "Account id in queue URLs and ARNs (SLUICE_ACCOUNT_ID; default 000000000000).") var accountId: String?
    @Option(help: "Region in ARNs (SLUICE_REGION; default us-east-1).") var region: String?
    @Option(help: "full: fsync before answering (power-loss safe); relaxed: crash-safe only, faster (SLUICE_DURABILITY; default full).")
    var durability: Durability?
    @Flag(help: "Enable POST /_sluice/reset and /moto-api/reset, which empty all state (SLUICE_ENABLE_RESET).") var enableReset = false
    @Flag(help: "Do not count or serve metrics (SLUICE_METRICS=off); only for measuring what they cost.") var disableMetrics = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error (SLUICE_LOG_LEVEL; default info).") var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let level = Logger.Level(rawValue: logLevel ?? environment["SLUICE_LOG_LEVEL"] ?? "info") ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sluice")
        let resolved: ServerConfiguration
        do {
            resolved = try ServerConfiguration.resolve(.init(
                host: host, port: port, dataDir: dataDir, configPath: config, accountId: accountId,
                region: region, durability: durability, enableReset: enableReset ? true : nil, metrics: disableMetrics ? false : nil))
        } catch {
            FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
            throw ExitCode(2)
        }
        do {
            try await SluiceServer.run(resolved, logger: logger)
        } catch let error as ConfigError {
            FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}
