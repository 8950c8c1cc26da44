import Foundation
import SluiceCore
import SluiceFunctions
import SluiceMetrics
import SluiceQueues
import SluiceStorage
import SluiceTopics

/// Turns what the engines report into CloudWatch-named series, and assembles scrapes.
final class MetricsBinding: QueueObserver, TopicObserver, FunctionObserver, @unchecked Sendable {
    let registry: MetricsRegistry
    let requests: RequestMetrics
    let region: String
    let started = Date()

    init(region: String, account: String) {
        let now: @Sendable () -> Int64 = { SystemClock().now() }
        registry = MetricsRegistry(region: region, account: account, now: now)
        requests = RequestMetrics(now: now)
        self.region = region
    }

    // MARK: QueueObserver

    func queueSeries(_ queue: QueueRecord) -> ResourceSeries {
        registry.series(.sqs, name: queue.key.name, arn: queue.key.arn(region: region))
    }

    func sent(_ queue: QueueRecord, _ outcomes: [SendOutcome]) {
        let series = queueSeries(queue)
        for outcome in outcomes {
            if outcome.duplicate {
                series.add("NumberOfDeduplicatedSentMessages")
            } else {
                series.add("NumberOfMessagesSent")
                series.observe("SentMessageSize", Double(outcome.bytes))
            }
        }
    }

    func received(_ queue: QueueRecord, count: Int) {
        let series = queueSeries(queue)
        if count == 0 { series.add("NumberOfEmptyReceives") } else { series.add("NumberOfMessagesReceived", Double(count)) }
    }

    func deleted(_ queue: QueueRecord, count: Int) {
        queueSeries(queue).add("NumberOfMessagesDeleted", Double(count))
    }

    func removed(_ queue: QueueRecord) {
        registry.remove(.sqs, arn: queue.key.arn(region: region))
    }

    // MARK: TopicObserver

    func topicSeries(_ arn: String) -> ResourceSeries {
        registry.series(.sns, name: String(arn.split(separator: ":").last ?? ""), arn: arn)
    }

    func published(topicArn: String, bytes: Int) {
        let series = topicSeries(topicArn)
        series.add("NumberOfMessagesPublished")
        series.observe("PublishSize", Double(bytes))
    }

    func delivered(topicArn: String) { topicSeries(topicArn).add("NumberOfNotificationsDelivered") }
    func failed(topicArn: String) { topicSeries(topicArn).add("NumberOfNotificationsFailed") }

    func filteredOut(topicArn: String, reason: FilterOutcome) {
        let series = topicSeries(topicArn)
        series.add("NumberOfNotificationsFilteredOut")
        if case .filteredOut(let why) = reason { series.add(why.metricName) }
    }

    func redrivenToDeadLetter(topicArn: String, succeeded: Bool) {
        topicSeries(topicArn).add(succeeded ? "NumberOfNotificationsRedrivenToDlq" : "NumberOfNotificationsFailedToRedriveToDlq")
    }

    func removed(topicArn: String) {
        registry.remove(.sns, arn: topicArn)
    }

    // MARK: FunctionObserver

    func functionSeries(_ name: String) -> ResourceSeries {
        registry.series(.lambda, name: name, arn: "arn:aws:lambda:\(region):\(registry.account):function:\(name)")
    }

    func finished(function: String, seconds: Double, error: Bool) {
        let series = functionSeries(function)
        series.add("Invocations")
        if error { series.add("Errors") }
        series.observe("Duration", seconds)
    }

    func throttled(function: String) { functionSeries(function).add("Throttles") }
    func running(function: String, count: Int) {}
    func removed(function: String) {
        registry.remove(.lambda, arn: "arn:aws:lambda:\(region):\(registry.account):function:\(function)")
    }

    /// Functions' running invocations, measured at scrape time.
    func functionGauges(_ functions: FunctionHost?) -> [GaugeFamily] {
        guard let functions else { return [] }
        let running = functions.runningCounts()
        for name in running.keys { _ = functionSeries(name) }
        return [GaugeFamily(namespace: .lambda, metric: "ConcurrentExecutions", help: "invocations running now.", values: running.keys.sorted().map {
            (name: $0, arn: functions.arn($0), value: Double(running[$0] ?? 0))
        })]
    }

    // MARK: Scrapes

    /// Gauges measured now: the AWS/SQS approximate counts, exact.
    func gauges(_ queues: QueueEngine) async -> [GaugeFamily] {
        let now = SystemClock().now()
        let all = await queues.allQueueCounts()
        // Every queue's counters exist from its first scrape, so rate() works from the first event.
        for entry in all { _ = queueSeries(entry.queue) }
        func family(_ metric: String, _ help: String, _ value: (QueueRecord, QueueCounts) -> Double) -> GaugeFamily {
            GaugeFamily(namespace: .sqs, metric: metric, help: help, values: all.map {
                (name: $0.queue.key.name, arn: $0.queue.key.arn(region: region), value: value($0.queue, $0.counts))
            })
        }
        return [
            family("ApproximateNumberOfMessagesVisible", "messages available for retrieval.") { Double($1.visible) },
            family("ApproximateNumberOfMessagesNotVisible", "messages in flight.") { Double($1.notVisible) },
            family("ApproximateNumberOfMessagesDelayed", "messages delayed, not yet visible.") { Double($1.delayed) },
            family("ApproximateAgeOfOldestMessage", "age in seconds of the oldest message.") { _, counts in
                counts.oldestSentAt.map { Double(max(0, now - $0) / 1000) } ?? 0
            },
            family("ApproximateNumberOfGroupsWithInflightMessages", "FIFO message groups with messages in flight.") { Double($1.groupsInFlight) },
        ]
    }

    func process(_ queues: QueueEngine, _ topics: TopicEngine, format: ExpositionFormat = .prometheus) async -> [ProcessFamily] {
        let storage = queues.storage
        let backlog = await topics.pendingDeliveries()
        func one(_ name: String, _ type: String, _ help: String, _ value: Double) -> ProcessFamily {
            ProcessFamily(name: name, type: type, help: help, samples: [(suffix: "", labels: [], value: value)])
        }
        return requests.families(format: format) + [
            one("sluice_storage_bytes", "gauge", "Bytes the database occupies on disk (database and write-ahead log).", Double(storage.bytes)),
            one("sluice_storage_commits_total", "counter", "Transactions committed; concurrent requests share commits.", Double(storage.commits)),
            one("sluice_storage_committed_operations_total", "counter", "Operations carried by those commits (divide by commits for the group-commit batch size).", Double(storage.jobs)),
            one("sluice_long_poll_waiters", "gauge", "ReceiveMessage calls waiting in a long poll.", Double(queues.parkedReceivers)),
            one("sluice_http_delivery_backlog", "gauge", "HTTP(S) notifications waiting to be delivered or retried.", Double(backlog)),
            one("sluice_process_resident_memory_bytes", "gauge", "Resident memory of the sluice process.", Self.residentBytes()),
            one("sluice_uptime_seconds", "gauge", "Seconds since sluice started.", Date().timeIntervalSince(started).rounded()),
        ]
    }

    func render(format: ExpositionFormat, queues: QueueEngine, topics: TopicEngine, functions: FunctionHost?) async -> String {
        for arn in topics.topicArns { _ = topicSeries(arn) }
        let gauges = await gauges(queues) + functionGauges(functions)
        let process = await process(queues, topics, format: format)
        return await Self.offEventLoop { self.registry.render(format: format, gauges: gauges, process: process) }
    }

    func renderCloudWatch(queues: QueueEngine, functions: FunctionHost?) async -> String {
        let gauges = await gauges(queues) + functionGauges(functions)
        return await Self.offEventLoop { self.registry.renderCloudWatch(gauges: gauges) }
    }

    /// Runs CPU-heavy scrape work on a dispatch thread, so it never holds an event loop.
    static func offEventLoop(_ work: @escaping @Sendable () -> String) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }

    static func residentBytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
    }
}
