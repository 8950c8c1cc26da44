import Foundation
import SluiceCore

/// An HTTP(S) delivery policy: retry schedule, throttle and request content type.
public struct DeliveryPolicy: Sendable, Equatable {
    public var minDelayTarget = 20
    public var maxDelayTarget = 20
    public var numRetries = 3
    public var numNoDelayRetries = 0
    public var numMinDelayRetries = 0
    public var numMaxDelayRetries = 0
    public var backoffFunction = "linear"
    public var maxReceivesPerSecond: Int?
    public var headerContentType = "text/plain; charset=UTF-8"

    public init() {}

    static let backoffFunctions: Set<String> = ["linear", "arithmetic", "geometric", "exponential"]
    static let contentTypes: Set<String> = [
        "application/json", "application/xml", "text/html", "text/plain", "text/xml",
    ]

    /// The topic's EffectiveDeliveryPolicy when none is set.
    public static let defaultTopicJSON = #"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#

    /// Parses a subscription DeliveryPolicy (`healthyRetryPolicy`, `throttlePolicy`, `requestPolicy`).
    public init(subscriptionJSON text: String) throws(TopicError) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw TopicError.invalid("DeliveryPolicy: failed to parse JSON")
        }
        try apply(retry: object["healthyRetryPolicy"], throttle: object["throttlePolicy"], request: object["requestPolicy"])
    }

    /// Parses a topic DeliveryPolicy (`{"http": {"defaultHealthyRetryPolicy": ..., "disableSubscriptionOverrides": ...}}`);
    /// returns the policy and whether subscriptions may override it.
    public static func topic(json text: String) throws(TopicError) -> (policy: DeliveryPolicy, overridable: Bool) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw TopicError.invalid("DeliveryPolicy: failed to parse JSON")
        }
        var policy = DeliveryPolicy()
        let http = object["http"] as? [String: Any] ?? [:]
        try policy.apply(retry: http["defaultHealthyRetryPolicy"], throttle: http["defaultThrottlePolicy"], request: http["defaultRequestPolicy"])
        return (policy, !((http["disableSubscriptionOverrides"] as? Bool) ?? false))
    }

    mutating func apply(retry: Any?, throttle: Any?, request: Any?) throws(TopicError) {
        if let retry = retry as? [String: Any] {
            func int(_ key: String, _ range: ClosedRange<Int>, _ current: Int) throws(TopicError) -> Int {
                guard let raw = retry[key] else { return current }
                guard let n = (raw as? NSNumber)?.intValue ?? (raw as? String).flatMap(Int.init), range.contains(n) else {
                    throw TopicError.invalid("DeliveryPolicy: \(key) must be an integer between \(range.lowerBound) and \(range.upperBound)")
                }
                return n
            }
            minDelayTarget = try int("minDelayTarget", 1...3600, minDelayTarget)
            maxDelayTarget = try int("maxDelayTarget", 1...3600, maxDelayTarget)
            numRetries = try int("numRetries", 0...100, numRetries)
            numNoDelayRetries = try int("numNoDelayRetries", 0...100, numNoDelayRetries)
            numMinDelayRetries = try int("numMinDelayRetries", 0...100, numMinDelayRetries)
            numMaxDelayRetries = try int("numMaxDelayRetries", 0...100, numMaxDelayRetries)
            if let function = retry["backoffFunction"] {
                guard let name = function as? String, Self.backoffFunctions.contains(name) else {
                    throw TopicError.invalid("DeliveryPolicy: backoffFunction must be one of linear, arithmetic, geometric, exponential")
                }
                backoffFunction = name
            }
            guard minDelayTarget <= maxDelayTarget else {
                throw TopicError.invalid("DeliveryPolicy: minDelayTarget must be less than or equal to maxDelayTarget")
            }
            guard numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries <= numRetries else {
                throw TopicError.invalid("DeliveryPolicy: numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries")
            }
        } else if retry != nil && !(retry is NSNull) {
            throw TopicError.invalid("DeliveryPolicy: healthyRetryPolicy must be an object")
        }
        if let throttle = throttle as? [String: Any], let raw = throttle["maxReceivesPerSecond"] {
            guard let n = (raw as? NSNumber)?.intValue, n >= 1 else {
                throw TopicError.invalid("DeliveryPolicy: maxReceivesPerSecond must be a positive integer")
            }
            maxReceivesPerSecond = n
        }
        if let request = request as? [String: Any], let raw = request["headerContentType"] {
            guard let type = raw as? String, Self.contentTypes.contains(type.split(separator: ";")[0].trimmingCharacters(in: .whitespaces)) else {
                throw TopicError.invalid("DeliveryPolicy: headerContentType is not supported")
            }
            headerContentType = type
        }
    }

    /// A subscription DeliveryPolicy as SNS stores and echoes it: the parts given, with
    /// `sicklyRetryPolicy`, `throttlePolicy` (null when absent) and `guaranteed` filled in.
    public static func normalizedSubscriptionJSON(_ text: String) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return text }
        func render(_ value: Any?) -> String {
            guard let value, !(value is NSNull) else { return "null" }
            if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]) {
                return String(decoding: data, as: UTF8.self)
            }
            return "null"
        }
        return JSONText.object([
            ("healthyRetryPolicy", render(object["healthyRetryPolicy"])),
            ("sicklyRetryPolicy", render(object["sicklyRetryPolicy"])),
            ("throttlePolicy", render(object["throttlePolicy"])),
            ("requestPolicy", render(object["requestPolicy"])),
            ("guaranteed", (object["guaranteed"] as? Bool) == true ? "true" : "false"),
        ])
    }

    /// This policy in the subscription shape (an HTTP subscription's EffectiveDeliveryPolicy).
    public var subscriptionJSON: String {
        let retry = JSONText.object([
            ("minDelayTarget", String(minDelayTarget)), ("maxDelayTarget", String(maxDelayTarget)), ("numRetries", String(numRetries)),
            ("numMaxDelayRetries", String(numMaxDelayRetries)), ("numNoDelayRetries", String(numNoDelayRetries)),
            ("numMinDelayRetries", String(numMinDelayRetries)), ("backoffFunction", JSONText.quoted(backoffFunction)),
        ])
        let throttle = maxReceivesPerSecond.map { JSONText.object([("maxReceivesPerSecond", String($0))]) } ?? "null"
        return JSONText.object([
            ("healthyRetryPolicy", retry), ("sicklyRetryPolicy", "null"), ("throttlePolicy", throttle),
            ("requestPolicy", JSONText.object([("headerContentType", JSONText.quoted(headerContentType))])), ("guaranteed", "false"),
        ])
    }

    /// Seconds to wait before retry number `retry` (1-based), or nil when retries are exhausted.
    /// Phases: no-delay retries, then retries at the minimum delay, then the backoff phase
    /// rising from minimum to maximum by `backoffFunction`, then retries at the maximum delay.
    public func delay(beforeRetry retry: Int) -> Double? {
        guard retry >= 1, retry <= numRetries else { return nil }
        var n = retry
        if n <= numNoDelayRetries { return 0 }
        n -= numNoDelayRetries
        if n <= numMinDelayRetries { return Double(minDelayTarget) }
        n -= numMinDelayRetries
        let backoffRetries = numRetries - numNoDelayRetries - numMinDelayRetries - numMaxDelayRetries
        if n > backoffRetries { return Double(maxDelayTarget) }
        let low = Double(minDelayTarget)
        let high = Double(maxDelayTarget)
        let k = Double(backoffRetries)
        let i = Double(n)
        let value: Double
        switch backoffFunction {
        case "arithmetic": value = low + (high - low) * (i * (i + 1) / 2) / max(1, k * (k + 1) / 2)
        case "geometric": value = low * pow(high / low, i / max(1, k))
        case "exponential": value = low + (high - low) * (pow(2, i) - 1) / max(1, pow(2, k) - 1)
        default: value = low + (high - low) * i / max(1, k)
        }
        return min(high, max(low, value))
    }
}
