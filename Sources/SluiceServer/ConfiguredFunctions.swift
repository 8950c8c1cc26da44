import Logging
import SluiceCore
import SluiceFunctions

/// Defines the functions the config file declares and their event source mappings (after
/// the queues; before the topics, whose `function:` subscriptions need them).
enum ConfiguredFunctions {
    static func apply(_ declarations: [FunctionDeclaration], host: FunctionHost, mappings: EventSourceMappings, account: String,
                      region: String, file: String, logger: Logger) async throws {
        var declared = Set<String>()
        for declaration in declarations {
            var definition = declaration.definition
            definition.origin = "config"
            do {
                try await host.define(definition)
            } catch {
                throw ConfigError(file: file, line: declaration.line, problem: "function '\(definition.name)': \(error.message)")
            }
            for event in declaration.events {
                let arn = event.sourceArn ?? QueueKey(account: account, name: event.queue ?? "").arn(region: region)
                let mapping = MappingConfig(uuid: Identifiers.uuid(), functionName: definition.name, eventSourceArn: arn,
                                            batchSize: event.batchSize, batchingWindowSeconds: event.batchingWindow,
                                            maximumConcurrency: event.maximumConcurrency, reportBatchItemFailures: event.reportBatchItemFailures,
                                            filters: event.filters, enabled: event.enabled, lastModified: SystemClock().now(), origin: "config")
                declared.insert(EventSourceMappings.identity(mapping))
                do {
                    try await mappings.declare(mapping)
                } catch {
                    throw ConfigError(file: file, line: event.line, problem: "event source mapping of '\(definition.name)': \(error.message)")
                }
            }
        }
        await mappings.retainDeclared(declared)
        if !declarations.isEmpty { logger.info("configured \(declarations.count) function(s)") }
    }
}
