import Foundation

/// A CloudWatch namespace sluice reports: its metric names and dimension.
public struct Namespace: Sendable, Hashable {
    /// `AWS/SQS`
    public let name: String
    /// `QueueName`
    public let dimension: String
    /// CloudWatch counter metrics (`NumberOfMessagesSent`, ...).
    public let counters: [String]
    /// CloudWatch distribution metrics and their Prometheus bucket bounds.
    public let histograms: [String: [Double]]
    /// What the distributions measure: `bytes` (message sizes) or `seconds` (durations).
    public var histogramUnit = "bytes"

    /// `sqs`: the prefix of Prometheus names.
    var prefix: String { name.split(separator: "/").last.map { $0.lowercased() } ?? name.lowercased() }

    static let sizeBuckets: [Double] = [256, 1024, 4096, 16384, 65536, 262_144, 1_048_576]

    public static let sqs = Namespace(
        name: "AWS/SQS", dimension: "QueueName",
        counters: ["NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted", "NumberOfEmptyReceives",
                   "NumberOfDeduplicatedSentMessages"],
        histograms: ["SentMessageSize": sizeBuckets])

    public static let sns = Namespace(
        name: "AWS/SNS", dimension: "TopicName",
        counters: ["NumberOfMessagesPublished", "NumberOfNotificationsDelivered", "NumberOfNotificationsFailed",
                   "NumberOfNotificationsFilteredOut", "NumberOfNotificationsFilteredOut-MessageAttributes",
                   "NumberOfNotificationsFilteredOut-MessageBody", "NumberOfNotificationsFilteredOut-InvalidAttributes",
                   "NumberOfNotificationsFilteredOut-InvalidMessageBody", "NumberOfNotificationsFilteredOut-NoMessageAttributes",
                   "NumberOfNotificationsRedrivenToDlq", "NumberOfNotificationsFailedToRedriveToDlq"],
        histograms: ["PublishSize": sizeBuckets])

    static let durationBuckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900]

    public static let lambda = Namespace(
        name: "AWS/Lambda", dimension: "FunctionName",
        counters: ["Invocations", "Errors", "Throttles"],
        histograms: ["Duration": durationBuckets], histogramUnit: "seconds")

    static let all = [sqs, sns, lambda]
}

/// The counters and histograms of one resource (a queue, a topic).
public final class ResourceSeries: Sendable {
    public let name: String
    public let arn: String
    let counters: [String: Counter]
    let histograms: [String: Histogram]

    init(namespace: Namespace, name: String, arn: String, now: @escaping @Sendable () -> Int64) {
        self.name = name
        self.arn = arn
        counters = Dictionary(uniqueKeysWithValues: namespace.counters.map { ($0, Counter(now: now)) })
        histograms = namespace.histograms.mapValues { Histogram(bounds: $0, now: now) }
    }

    /// Adds to a counter by its CloudWatch name.
    public func add(_ metric: String, _ amount: Double = 1) {
        counters[metric]?.add(amount)
    }

    /// Records a sample of a distribution by its CloudWatch name.
    public func observe(_ metric: String, _ value: Double) {
        histograms[metric]?.observe(value)
    }
}

/// A gauge family measured at scrape time, by CloudWatch name.
public struct GaugeFamily: Sendable {
    public var namespace: Namespace
    public var metric: String
    public var help: String
    /// Resource name, ARN and value.
    public var values: [(name: String, arn: String, value: Double)]

    public init(namespace: Namespace, metric: String, help: String, values: [(name: String, arn: String, value: Double)]) {
        self.namespace = namespace
        self.metric = metric
        self.help = help
        self.values = values
    }
}

/// sluice's own metrics at scrape time. A sample's `suffix` follows the family name
/// (`_bucket`, `_sum`, `_count` for histograms; empty otherwise).
public struct ProcessFamily: Sendable {
    public var name: String
    public var type: String
    public var help: String
    public var samples: [(suffix: String, labels: Labels, value: Double)]

    public init(name: String, type: String, help: String, samples: [(suffix: String, labels: Labels, value: Double)]) {
        self.name = name
        self.type = type
        self.help = help
        self.samples = samples
    }
}

/// All series sluice exports: per-resource CloudWatch counters and histograms, kept as the
/// engines report events; gauges are supplied at scrape time.
public final class MetricsRegistry: @unchecked Sendable {
    public let region: String
    public let account: String
    let now: @Sendable () -> Int64
    private let lock = NSLock()
    private var resources: [Namespace: [String: ResourceSeries]] = [:]

    public init(region: String, account: String, now: @escaping @Sendable () -> Int64) {
        self.region = region
        self.account = account
        self.now = now
    }

    /// The series of a resource, created on first use.
    public func series(_ namespace: Namespace, name: String, arn: String) -> ResourceSeries {
        lock.lock()
        defer { lock.unlock() }
        if let existing = resources[namespace]?[arn] { return existing }
        let created = ResourceSeries(namespace: namespace, name: name, arn: arn, now: now)
        resources[namespace, default: [:]][arn] = created
        return created
    }

    /// Stops exporting a deleted resource.
    public func remove(_ namespace: Namespace, arn: String) {
        lock.withLock { _ = resources[namespace]?.removeValue(forKey: arn) }
    }

    func all(_ namespace: Namespace) -> [ResourceSeries] {
        lock.withLock { (resources[namespace] ?? [:]).values.sorted { $0.arn < $1.arn } }
    }

    func labels(_ namespace: Namespace, _ name: String) -> Labels {
        [(ExpositionWriter.snakeCase(namespace.dimension), name), ("region", region), ("account_id", account)]
    }

    /// Prometheus-native exposition: counters `<ns>_<metric>_total`, gauges `<ns>_<metric>`,
    /// histograms `<ns>_<metric>_bytes`, labelled with the dimension, region and account.
    public func render(format: ExpositionFormat, gauges: [GaugeFamily], process: [ProcessFamily]) -> String {
        var writer = ExpositionWriter(format: format)
        for namespace in Namespace.all {
            let series = all(namespace)
            let seriesLabels = series.map { ExpositionWriter.render(labels(namespace, $0.name)) }
            for metric in namespace.counters {
                let name = "\(namespace.prefix)_\(ExpositionWriter.snakeCase(metric))_total"
                writer.family(name, type: "counter", help: "\(namespace.name) \(metric): events since sluice started.")
                for (resource, rendered) in zip(series, seriesLabels) {
                    writer.sample(name, rendered: rendered, resource.counters[metric]!.value)
                }
            }
            var gaugeLabels = [String: String]()
            for gauge in gauges where gauge.namespace == namespace {
                let name = "\(namespace.prefix)_\(ExpositionWriter.snakeCase(gauge.metric))"
                writer.family(name, type: "gauge", help: "\(namespace.name) \(gauge.metric): \(gauge.help)")
                for value in gauge.values {
                    let rendered = gaugeLabels[value.arn] ?? ExpositionWriter.render(labels(namespace, value.name))
                    gaugeLabels[value.arn] = rendered
                    writer.sample(name, rendered: rendered, value.value)
                }
            }
            for metric in namespace.histograms.keys.sorted() {
                let unit = namespace.histogramUnit
                let name = "\(namespace.prefix)_\(ExpositionWriter.snakeCase(metric))_\(unit)"
                writer.family(name, type: "histogram", help: "\(namespace.name) \(metric) in \(unit).", unit: unit)
                for resource in series { writer.histogram(name, labels(namespace, resource.name), resource.histograms[metric]!) }
            }
        }
        for family in process {
            writer.family(family.name, type: family.type, help: family.help)
            for sample in family.samples { writer.sample(family.name + sample.suffix, sample.labels, sample.value) }
        }
        writer.finish()
        return writer.text
    }

    /// The same data under the names and labels yet-another-cloudwatch-exporter produces
    /// (`aws_sqs_number_of_messages_sent_sum{dimension_QueueName=...,name=<arn>,region=...}`), so
    /// dashboards and alerts written for production keep working. Counters report the last
    /// completed minute, as CloudWatch's 60-second `Sum` does.
    public func renderCloudWatch(gauges: [GaugeFamily]) -> String {
        var writer = ExpositionWriter(format: .prometheus)
        var rendered = [String: String]()
        func yaceLabels(_ namespace: Namespace, _ name: String, _ arn: String) -> String {
            if let known = rendered[arn] { return known }
            let text = ExpositionWriter.render([("account_id", account), ("dimension_\(namespace.dimension)", name), ("name", arn), ("region", region)])
            rendered[arn] = text
            return text
        }
        for namespace in Namespace.all {
            let series = all(namespace)
            for metric in namespace.counters {
                let name = "aws_\(namespace.prefix)_\(ExpositionWriter.snakeCase(metric))_sum"
                writer.family(name, type: "gauge", help: "CloudWatch metric \(namespace.name) \(metric) Dimensions: [\(namespace.dimension)] Statistic: Sum Unit: Count")
                for resource in series {
                    writer.sample(name, rendered: yaceLabels(namespace, resource.name, resource.arn), resource.counters[metric]!.lastMinuteIncrease)
                }
            }
            for gauge in gauges where gauge.namespace == namespace {
                for statistic in ["average", "maximum", "minimum", "sum"] {
                    let name = "aws_\(namespace.prefix)_\(ExpositionWriter.snakeCase(gauge.metric))_\(statistic)"
                    writer.family(name, type: "gauge", help: "CloudWatch metric \(namespace.name) \(gauge.metric) Dimensions: [\(namespace.dimension)] Statistic: \(statistic.capitalized)")
                    for value in gauge.values { writer.sample(name, rendered: yaceLabels(namespace, value.name, value.arn), value.value) }
                }
            }
            for metric in namespace.histograms.keys.sorted() {
                let base = "aws_\(namespace.prefix)_\(ExpositionWriter.snakeCase(metric))"
                let windows = series.map { ($0, $0.histograms[metric]!.lastMinute) }
                typealias Window = (sum: Double, count: Double, maximum: Double, minimum: Double)
                let statistics: [(name: String, value: (Window) -> Double)] = [
                    ("average", { $0.count > 0 ? $0.sum / $0.count : 0 }), ("maximum", { $0.maximum }), ("minimum", { $0.minimum }),
                    ("sum", { $0.sum }), ("sample_count", { $0.count }),
                ]
                for (statistic, value) in statistics {
                    let name = "\(base)_\(statistic)"
                    // CloudWatch reports Lambda durations in milliseconds.
                    let scale = namespace.histogramUnit == "seconds" && statistic != "sample_count" ? 1000.0 : 1.0
                    let unit = namespace.histogramUnit == "seconds" ? "Milliseconds" : "Bytes"
                    writer.family(name, type: "gauge", help: "CloudWatch metric \(namespace.name) \(metric) Dimensions: [\(namespace.dimension)] Statistic: \(statistic) Unit: \(unit)")
                    for (resource, window) in windows { writer.sample(name, rendered: yaceLabels(namespace, resource.name, resource.arn), value(window) * scale) }
                }
            }
        }
        return writer.text
    }
}
