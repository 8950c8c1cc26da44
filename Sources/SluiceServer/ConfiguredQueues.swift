import Logging
import SluiceCore
import SluiceQueues

/// Creates (or updates) the queues the config file declares, dead-letter queues first.
enum ConfiguredQueues {
    static func apply(_ declarations: [QueueDeclaration], to engine: QueueEngine, account: String, region: String,
                      file: String, logger: Logger) async throws {
        var pending = declarations
        var done = Set<String>()
        while !pending.isEmpty {
            let ready = pending.filter { $0.deadLetterQueue.map(done.contains) ?? true }
            guard !ready.isEmpty else {
                throw ConfigError(file: file, line: pending[0].line, problem: "dead-letter queues form a cycle")
            }
            for declaration in ready {
                var attributes = declaration.attributes
                if let dlq = declaration.deadLetterQueue {
                    let arn = QueueKey(account: account, name: dlq).arn(region: region)
                    attributes["RedrivePolicy"] = RedrivePolicy(deadLetterTargetArn: arn, maxReceiveCount: declaration.maxReceiveCount ?? 10).json
                }
                do {
                    let key = QueueKey(account: account, name: declaration.name)
                    do {
                        _ = try await engine.createQueue(account: account, name: declaration.name, attributes: attributes, tags: declaration.tags)
                    } catch let error where error.code == .queueNameExists {
                        var settable = attributes
                        settable["FifoQueue"] = nil
                        if !settable.isEmpty { try await engine.setQueueAttributes(key, settable) }
                        if !declaration.tags.isEmpty { try await engine.tagQueue(key, declaration.tags) }
                        logger.info("updated configured queue \(declaration.name)")
                    }
                } catch {
                    throw ConfigError(file: file, line: declaration.line, problem: "queue '\(declaration.name)': \(error.message)")
                }
                done.insert(declaration.name)
            }
            pending.removeAll { done.contains($0.name) }
        }
    }
}
