import Foundation
import SluiceStorage

/// The settings sluice runs with, resolved from flags, then `SLUICE_*` environment
/// variables, then the config file, then defaults.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 4566
    public var dataDir = "./.sluice"
    public var accountId = "000000000000"
    public var region = "us-east-1"
    public var durability = Durability.full
    public var enableReset = false
    /// Count and export metrics at `/metrics` (on by default; off only to measure their cost).
    public var metrics = true
    public var configPath: String?
    public var queues: [QueueDeclaration] = []
    public var topics: [TopicDeclaration] = []
    public var functions: [FunctionDeclaration] = []
    /// Seconds before the first retry of an asynchronous invocation (Lambda: 60; the second waits twice as long).
    public var asyncRetryDelay: Double = 60

    public init() {}

    /// Values given on the command line (nil when not given).
    public struct Overrides: Sendable {
        public var host: String?
        public var port: Int?
        public var dataDir: String?
        public var configPath: String?
        public var accountId: String?
        public var region: String?
        public var durability: Durability?
        public var enableReset: Bool?
        public var metrics: Bool?

        public init(host: String? = nil, port: Int? = nil, dataDir: String? = nil, configPath: String? = nil, accountId: String? = nil,
                    region: String? = nil, durability: Durability? = nil, enableReset: Bool? = nil, metrics: Bool? = nil) {
            self.metrics = metrics
            self.host = host
            self.port = port
            self.dataDir = dataDir
            self.configPath = configPath
            self.accountId = accountId
            self.region = region
            self.durability = durability
            self.enableReset = enableReset
        }
    }

    /// Resolves the configuration; throws ``ConfigError`` for a bad file or value.
    public static func resolve(_ flags: Overrides, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerConfiguration {
        func env(_ name: String) -> String? {
            guard let value = environment["SLUICE_" + name], !value.isEmpty else { return nil }
            return value
        }
        func bad(_ what: String) -> ConfigError { ConfigError(file: "environment", line: 0, problem: what) }

        var config = ServerConfiguration()
        config.configPath = flags.configPath ?? env("CONFIG")
        if let path = config.configPath {
            let file = try ConfigFile.load(path: path)
            config.host = file.host ?? config.host
            config.port = file.port ?? config.port
            config.dataDir = file.dataDir ?? config.dataDir
            config.accountId = file.accountId ?? config.accountId
            config.region = file.region ?? config.region
            config.durability = file.durability ?? config.durability
            config.enableReset = file.enableReset ?? config.enableReset
            config.metrics = file.metrics ?? config.metrics
            config.queues = file.queues
            config.topics = file.topics
            config.functions = file.functions
            config.asyncRetryDelay = file.asyncRetryDelay ?? config.asyncRetryDelay
        }
        if let v = env("HOST") { config.host = v }
        if let v = env("PORT") {
            guard let n = Int(v), (0...65535).contains(n) else { throw bad("SLUICE_PORT must be a port number, not '\(v)'") }
            config.port = n
        }
        if let v = env("DATA_DIR") { config.dataDir = v }
        if let v = env("ACCOUNT_ID") { config.accountId = v }
        if let v = env("REGION") { config.region = v }
        if let v = env("DURABILITY") {
            guard let mode = Durability(rawValue: v) else { throw bad("SLUICE_DURABILITY must be 'full' or 'relaxed', not '\(v)'") }
            config.durability = mode
        }
        if let v = env("ENABLE_RESET") { config.enableReset = ["1", "true", "yes", "on"].contains(v.lowercased()) }
        if let v = env("ASYNC_RETRY_DELAY") {
            guard let seconds = Double(v), seconds >= 0, seconds <= 3600 else { throw bad("SLUICE_ASYNC_RETRY_DELAY must be seconds between 0 and 3600, not '\(v)'") }
            config.asyncRetryDelay = seconds
        }
        if let v = env("METRICS") { config.metrics = !["0", "false", "no", "off"].contains(v.lowercased()) }

        config.host = flags.host ?? config.host
        config.port = flags.port ?? config.port
        config.dataDir = flags.dataDir ?? config.dataDir
        config.accountId = flags.accountId ?? config.accountId
        config.region = flags.region ?? config.region
        config.durability = flags.durability ?? config.durability
        config.enableReset = flags.enableReset ?? config.enableReset
        config.metrics = flags.metrics ?? config.metrics

        guard config.accountId.count == 12, config.accountId.allSatisfy(\.isNumber) else {
            throw bad("the account id must be 12 digits, not '\(config.accountId)'")
        }
        return config
    }
}
