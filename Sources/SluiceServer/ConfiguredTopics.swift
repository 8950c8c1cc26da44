import Logging
import SluiceCore
import SluiceTopics

/// Creates the topics and subscriptions the config file declares (after the queues).
enum ConfiguredTopics {
    static func apply(_ declarations: [TopicDeclaration], to topics: TopicEngine, account: String, region: String,
                      baseURL: String, file: String, logger: Logger) async throws {
        let context = CallerContext(baseURL: baseURL, account: account)
        for declaration in declarations {
            let arn = "arn:aws:sns:\(region):\(account):\(declaration.name)"
            do {
                do {
                    _ = try await topics.createTopic(account: account, name: declaration.name, attributes: declaration.attributes, tags: declaration.tags)
                } catch where error.message.contains("already exists with different") {
                    // The file changed since the topic was made: bring the topic in line with it.
                    for (name, value) in declaration.attributes where name != "FifoTopic" {
                        try await topics.setTopicAttribute(arn: arn, name: name, value: value)
                    }
                    if !declaration.tags.isEmpty { try await topics.tagResource(arn: arn, tags: declaration.tags) }
                    logger.info("updated configured topic \(declaration.name)")
                }
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
                } else if let function = subscription.function {
                    (proto, endpoint) = ("lambda", "arn:aws:lambda:\(region):\(account):function:\(function)")
                } else {
                    let url = subscription.endpoint ?? ""
                    (proto, endpoint) = (url.lowercased().hasPrefix("https:") ? "https" : "http", url)
                }
                do {
                    do {
                        _ = try await topics.subscribe(topicArn: arn, protocol: proto, endpoint: endpoint, attributes: attributes,
                                                       returnSubscriptionArn: true, context: context)
                    } catch where error.message.contains("already exists with different") {
                        let existing = try topics.listSubscriptions(topicArn: arn, nextToken: nil).items
                            .first { $0.protocol == proto && $0.endpoint == endpoint }
                        if let existing {
                            for (name, value) in attributes {
                                try await topics.setSubscriptionAttribute(arn: existing.subscriptionArn, name: name, value: value)
                            }
                        }
                    }
                } catch {
                    throw ConfigError(file: file, line: subscription.line, problem: "subscription to '\(endpoint)': \(error.message)")
                }
            }
        }
        if !declarations.isEmpty { logger.info("configured \(declarations.count) topic(s)") }
    }
}
