import Logging
import SluiceCore
import SluiceTopics

/// Creates the topics and subscriptions the config file declares (after the queues).
enum ConfiguredTopics {
    static func apply(_ declarations: [TopicDeclaration], to topics: TopicEngine, account: String, region: String,
                      baseURL: String, file: String, logger: Logger) async throws {
        let context = CallerContext(baseURL: baseURL, account: account)
        for declaration in declarations {
            let arn: String
            do {
                arn = try await topics.createTopic(account: account, name: declaration.name, attributes: declaration.attributes, tags: declaration.tags)
            } catch {
                throw ConfigError(file: file, line: declaration.line, problem: "topic '\(declaration.name)': \(error.message)")
            }
            for subscription in declaration.subscriptions {
                var attributes = subscription.attributes
                if let dlq = subscription.deadLetterQueue {
                    attributes["RedrivePolicy"] = "{\"deadLetterTargetArn\":\"\(QueueKey(account: account, name: dlq).arn(region: region))\"}"
                }
                let (proto, endpoint): (String, String)
                if let queue = subscription.queue {
                    (proto, endpoint) = ("sqs", QueueKey(account: account, name: queue).arn(region: region))
                } else {
                    let url = subscription.endpoint ?? ""
                    (proto, endpoint) = (url.lowercased().hasPrefix("https:") ? "https" : "http", url)
                }
                do {
                    _ = try await topics.subscribe(topicArn: arn, protocol: proto, endpoint: endpoint, attributes: attributes,
                                                   returnSubscriptionArn: true, context: context)
                } catch {
                    throw ConfigError(file: file, line: subscription.line, problem: "subscription to '\(endpoint)': \(error.message)")
                }
            }
        }
        if !declarations.isEmpty { logger.info("configured \(declarations.count) topic(s)") }
    }
}
