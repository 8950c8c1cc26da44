import Foundation
import Testing
@testable import SluiceMetrics

final class TestTime: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64 = 1_700_000_000_000
    var now: @Sendable () -> Int64 { { self.lock.withLock { self.value } } }
    func advance(_ millis: Int64) { lock.withLock { value += millis } }
}

@Suite struct MetricsTests {
    @Test func counterKeepsTotalAndLastMinute() {
        let time = TestTime()
        time.advance(60_000 - 1_700_000_000_000 % 60_000)  // start of a minute
        let counter = Counter(now: time.now)
        counter.add()
        counter.add(2)
        #expect(counter.value == 3)
        #expect(counter.lastMinuteIncrease == 0)
        time.advance(60_000)
        #expect(counter.lastMinuteIncrease == 3)
        counter.add(5)
        #expect(counter.lastMinuteIncrease == 3)
        time.advance(60_000)
        #expect(counter.lastMinuteIncrease == 5)
        time.advance(120_000)
        #expect(counter.lastMinuteIncrease == 0)
        #expect(counter.value == 8)
    }

    @Test func histogramBucketsAreCumulative() {
        let time = TestTime()
        let histogram = Histogram(bounds: [10, 100], now: time.now)
        for value in [5.0, 50, 500] { histogram.observe(value) }
        let snapshot = histogram.snapshot
        #expect(snapshot.buckets == [1, 2])
        #expect(snapshot.count == 3)
        #expect(snapshot.sum == 555)
        time.advance(60_000)
        let minute = histogram.lastMinute
        #expect(minute.count == 3 && minute.maximum == 500 && minute.minimum == 5)
    }

    @Test(arguments: [
        ("ApproximateNumberOfMessagesVisible", "approximate_number_of_messages_visible"),
        ("NumberOfNotificationsFilteredOut-MessageAttributes", "number_of_notifications_filtered_out_message_attributes"),
        ("SentMessageSize", "sent_message_size"),
        ("NumberOfNotificationsRedrivenToDlq", "number_of_notifications_redriven_to_dlq"),
    ])
    func snakeCase(name: String, expected: String) {
        #expect(ExpositionWriter.snakeCase(name) == expected)
    }

    @Test func escapingAndFormats() {
        var writer = ExpositionWriter(format: .prometheus)
        writer.family("x_total", type: "counter", help: "a \\ b\nc")
        writer.sample("x_total", [("q", "a\"b\\c\nd")], 1.5)
        writer.finish()
        #expect(writer.text == "# HELP x_total a \\\\ b\\nc\n# TYPE x_total counter\nx_total{q=\"a\\\"b\\\\c\\nd\"} 1.5\n")
        var open = ExpositionWriter(format: .openMetrics)
        open.family("x_total", type: "counter", help: "h")
        open.sample("x_total", [], 2)
        open.finish()
        #expect(open.text == "# HELP x h\n# TYPE x counter\nx_total 2\n# EOF\n")
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text; version=1.0.0") == .openMetrics)
        #expect(ExpositionFormat.negotiate(accept: "text/plain") == .prometheus)
        #expect(ExpositionFormat.negotiate(accept: nil) == .prometheus)
    }

    @Test func registryRendersEveryFamilyOnceAndForgetsRemovedResources() {
        let time = TestTime()
        let registry = MetricsRegistry(region: "us-east-1", account: "000000000000", now: time.now)
        let orders = registry.series(.sqs, name: "orders", arn: "arn:aws:sqs:us-east-1:000000000000:orders")
        orders.add("NumberOfMessagesSent", 3)
        orders.observe("SentMessageSize", 300)
        _ = registry.series(.sqs, name: "gone", arn: "arn:aws:sqs:us-east-1:000000000000:gone")
        registry.remove(.sqs, arn: "arn:aws:sqs:us-east-1:000000000000:gone")
        let gauges = [GaugeFamily(namespace: .sqs, metric: "ApproximateNumberOfMessagesVisible", help: "visible",
                                  values: [(name: "orders", arn: "arn:aws:sqs:us-east-1:000000000000:orders", value: 7)])]
        let text = registry.render(format: .prometheus, gauges: gauges, process: [])
        #expect(text.contains("sqs_number_of_messages_sent_total{queue_name=\"orders\",region=\"us-east-1\",account_id=\"000000000000\"} 3\n"))
        #expect(text.contains("sqs_approximate_number_of_messages_visible{queue_name=\"orders\",region=\"us-east-1\",account_id=\"000000000000\"} 7\n"))
        #expect(text.contains("sqs_sent_message_size_bytes_bucket{queue_name=\"orders\",region=\"us-east-1\",account_id=\"000000000000\",le=\"1024\"} 1\n"))
        #expect(!text.contains("gone"))
        let types = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(Set(types).count == types.count)
        time.advance(60_000)
        let yace = registry.renderCloudWatch(gauges: gauges)
        #expect(yace.contains("aws_sqs_number_of_messages_sent_sum{account_id=\"000000000000\",dimension_QueueName=\"orders\",name=\"arn:aws:sqs:us-east-1:000000000000:orders\",region=\"us-east-1\"} 3\n"))
        #expect(yace.contains("aws_sqs_approximate_number_of_messages_visible_sum{account_id=\"000000000000\",dimension_QueueName=\"orders\",name=\"arn:aws:sqs:us-east-1:000000000000:orders\",region=\"us-east-1\"} 7\n"))
        #expect(yace.contains("aws_sqs_sent_message_size_average{"))
    }

    @Test func requestMetricsByOutcome() {
        let requests = RequestMetrics(now: TestTime().now)
        requests.record(service: "sqs", action: "SendMessage", status: 200, seconds: 0.001)
        requests.record(service: "sqs", action: "SendMessage", status: 400, seconds: 0.002)
        requests.record(service: "sqs", action: "SendMessage", status: 500, seconds: 0.003)
        let families = requests.families()
        let counts = families[0].samples.map { ($0.labels.last!.1, $0.value) }
        #expect(counts.map(\.0) == ["client_error", "server_error", "success"])
        #expect(families[1].samples.contains { $0.suffix == "_count" && $0.value == 3 })
    }
}
