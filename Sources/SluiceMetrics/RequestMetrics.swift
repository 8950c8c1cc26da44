import Foundation

/// Requests by service, action and outcome, and their latency.
public final class RequestMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [RequestKey: Double] = [:]
    private var latency: [LatencyKey: Histogram] = [:]
    private let now: @Sendable () -> Int64
    static let latencyBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25]

    struct RequestKey: Hashable {
        let service: String
        let action: String
        let outcome: String
    }

    struct LatencyKey: Hashable {
        let service: String
        let action: String
    }

    public init(now: @escaping @Sendable () -> Int64) {
        self.now = now
    }

    /// Records one answered request. `status` decides the outcome: success (2xx/3xx),
    /// client_error (4xx) or server_error (5xx).
    public func record(service: String, action: String, status: Int, seconds: Double) {
        let outcome = status < 400 ? "success" : status < 500 ? "client_error" : "server_error"
        let histogram: Histogram = lock.withLock {
            counts[RequestKey(service: service, action: action, outcome: outcome), default: 0] += 1
            let key = LatencyKey(service: service, action: action)
            if let existing = latency[key] { return existing }
            let created = Histogram(bounds: Self.latencyBounds, now: now)
            latency[key] = created
            return created
        }
        histogram.observe(seconds)
    }

    public func families(format: ExpositionFormat = .prometheus) -> [ProcessFamily] {
        lock.lock()
        let counts = self.counts
        let latency = self.latency
        lock.unlock()
        let keys = counts.keys.sorted { ($0.service, $0.action, $0.outcome) < ($1.service, $1.action, $1.outcome) }
        var requestSamples = [(suffix: String, labels: Labels, value: Double)]()
        for key in keys {
            let labels: Labels = [("service", key.service), ("action", key.action), ("outcome", key.outcome)]
            requestSamples.append((suffix: "", labels: labels, value: counts[key] ?? 0))
        }
        var latencySamples = [(suffix: String, labels: Labels, value: Double)]()
        let writer = ExpositionWriter(format: format)
        for key in latency.keys.sorted(by: { ($0.service, $0.action) < ($1.service, $1.action) }) {
            let histogram = latency[key]!
            let snapshot = histogram.snapshot
            let labels: Labels = [("service", key.service), ("action", key.action)]
            for (index, bound) in histogram.bounds.enumerated() {
                latencySamples.append(("_bucket", labels + [("le", writer.bucketBound(bound))], Double(snapshot.buckets[index])))
            }
            latencySamples.append(("_bucket", labels + [("le", "+Inf")], Double(snapshot.count)))
            latencySamples.append(("_sum", labels, snapshot.sum))
            latencySamples.append(("_count", labels, Double(snapshot.count)))
        }
        return [
            ProcessFamily(name: "sluice_requests_total", type: "counter", help: "API requests answered, by service, action and outcome.", samples: requestSamples),
            ProcessFamily(name: "sluice_request_duration_seconds", type: "histogram", help: "Time to answer API requests, by service and action (ReceiveMessage includes its long poll).", samples: latencySamples),
        ]
    }
}
