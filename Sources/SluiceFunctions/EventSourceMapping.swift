import Foundation
import SluiceCore
import SluiceTopics

/// An SQS event source mapping's settings, as stored.
public struct MappingConfig: Sendable, Codable, Equatable {
    public var uuid: String
    public var functionName: String
    public var eventSourceArn: String
    public var batchSize: Int
    public var batchingWindowSeconds: Int
    public var maximumConcurrency: Int?
    public var reportBatchItemFailures: Bool
    /// FilterCriteria patterns (JSON text).
    public var filters: [String]
    public var enabled: Bool
    /// Epoch milliseconds.
    public var lastModified: Millis
    /// "config" (declared in the config file) or "api".
    public var origin: String

    public init(uuid: String, functionName: String, eventSourceArn: String, batchSize: Int = 10, batchingWindowSeconds: Int = 0,
                maximumConcurrency: Int? = nil, reportBatchItemFailures: Bool = false, filters: [String] = [], enabled: Bool = true,
                lastModified: Millis, origin: String) {
        self.uuid = uuid
        self.functionName = functionName
        self.eventSourceArn = eventSourceArn
        self.batchSize = batchSize
        self.batchingWindowSeconds = batchingWindowSeconds
        self.maximumConcurrency = maximumConcurrency
        self.reportBatchItemFailures = reportBatchItemFailures
        self.filters = filters
        self.enabled = enabled
        self.lastModified = lastModified
        self.origin = origin
    }

    /// Lambda's rules for an SQS mapping; `fifo` is whether the queue is a FIFO queue.
    public func validate(fifo: Bool) throws(LambdaError) {
        let maxBatch = fifo ? 10 : 10_000
        guard (1...maxBatch).contains(batchSize) else {
            throw .invalid("BatchSize must be between 1 and \(maxBatch) for \(fifo ? "FIFO" : "standard") SQS queues.")
        }
        guard (0...300).contains(batchingWindowSeconds) else {
            throw .invalid("1 validation error detected: Value '\(batchingWindowSeconds)' at 'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have value less than or equal to 300")
        }
        if batchSize > 10 && batchingWindowSeconds < 1 {
            throw .invalid("Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10")
        }
        if let concurrency = maximumConcurrency, !(2...1000).contains(concurrency) {
            throw .invalid("1 validation error detected: Value '\(concurrency)' at 'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must have value \(concurrency < 2 ? "greater than or equal to 2" : "less than or equal to 1000")")
        }
        guard filters.count <= 5 else { throw .invalid("The total number of filters exceeds the limit of 5.") }
        for pattern in filters {
            do {
                _ = try FilterPolicy(json: pattern, scope: .messageBody)
            } catch {
                throw .invalid("Invalid filter pattern definition.")
            }
        }
    }

    /// The mapping as the Lambda API shows it, in `state`.
    public func json(region: String, account: String, functionArn: String, state: String) -> String {
        var members: [(String, String)] = [
            ("UUID", JSONText.quoted(uuid)),
            ("BatchSize", String(batchSize)),
            ("MaximumBatchingWindowInSeconds", String(batchingWindowSeconds)),
            ("EventSourceArn", JSONText.quoted(eventSourceArn)),
        ]
        if !filters.isEmpty {
            let list = filters.map { JSONText.object([("Pattern", JSONText.quoted($0))]) }.joined(separator: ",")
            members.append(("FilterCriteria", "{\"Filters\":[\(list)]}"))
        }
        members += [
            ("FunctionArn", JSONText.quoted(functionArn)),
            ("LastModified", String(format: "%.3f", Double(lastModified) / 1000)),
            ("State", JSONText.quoted(state)),
            ("StateTransitionReason", "\"USER_INITIATED\""),
            ("FunctionResponseTypes", reportBatchItemFailures ? "[\"ReportBatchItemFailures\"]" : "[]"),
        ]
        if let maximumConcurrency { members.append(("ScalingConfig", "{\"MaximumConcurrency\":\(maximumConcurrency)}")) }
        members.append(("EventSourceMappingArn", JSONText.quoted("arn:aws:lambda:\(region):\(account):event-source-mapping:\(uuid)")))
        return JSONText.object(members)
    }
}
