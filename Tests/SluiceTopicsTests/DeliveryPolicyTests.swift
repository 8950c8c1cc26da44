import Testing
@testable import SluiceCore
@testable import SluiceTopics

@Suite struct DeliveryPolicyTests {
    @Test func defaultsAreThreeRetriesTwentySecondsApart() {
        let policy = DeliveryPolicy()
        #expect((1...3).map { policy.delay(beforeRetry: $0) } == [20, 20, 20])
        #expect(policy.delay(beforeRetry: 4) == nil)
        #expect(policy.delay(beforeRetry: 0) == nil)
    }

    @Test func phasesInOrder() throws {
        let policy = try DeliveryPolicy(subscriptionJSON: """
            {"healthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":40,"numRetries":10,"numNoDelayRetries":2,
             "numMinDelayRetries":2,"numMaxDelayRetries":2,"backoffFunction":"linear"}}
            """)
        let delays = (1...10).map { policy.delay(beforeRetry: $0)! }
        #expect(delays[0...1] == [0, 0])
        #expect(delays[2...3] == [2, 2])
        #expect(delays[8...9] == [40, 40])
        let backoff = Array(delays[4...7])
        #expect(backoff == backoff.sorted())
        #expect(backoff.last == 40)
        #expect(policy.delay(beforeRetry: 11) == nil)
    }

    @Test(arguments: ["linear", "arithmetic", "geometric", "exponential"])
    func everyBackoffRisesFromMinToMax(function: String) throws {
        let policy = try DeliveryPolicy(subscriptionJSON: """
            {"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":60,"numRetries":8,"backoffFunction":"\(function)"}}
            """)
        let delays = (1...8).map { policy.delay(beforeRetry: $0)! }
        #expect(delays == delays.sorted())
        #expect(delays.allSatisfy { $0 >= 1 && $0 <= 60 })
        #expect(delays.last == 60)
    }

    @Test func throttleAndContentType() throws {
        let policy = try DeliveryPolicy(subscriptionJSON: #"{"throttlePolicy":{"maxReceivesPerSecond":5},"requestPolicy":{"headerContentType":"application/json"}}"#)
        #expect(policy.maxReceivesPerSecond == 5)
        #expect(policy.headerContentType == "application/json")
    }

    @Test(arguments: [
        "not json",
        #"{"healthyRetryPolicy":{"minDelayTarget":30,"maxDelayTarget":20}}"#,
        #"{"healthyRetryPolicy":{"numRetries":101}}"#,
        #"{"healthyRetryPolicy":{"backoffFunction":"cubic"}}"#,
        #"{"healthyRetryPolicy":{"numRetries":2,"numNoDelayRetries":3}}"#,
        #"{"throttlePolicy":{"maxReceivesPerSecond":0}}"#,
        #"{"requestPolicy":{"headerContentType":"image/png"}}"#,
    ])
    func invalidPoliciesAreRejected(json: String) {
        #expect(throws: TopicError.self) { try DeliveryPolicy(subscriptionJSON: json) }
    }

    @Test func topicPolicyAndOverrides() throws {
        let (policy, overridable) = try DeliveryPolicy.topic(json: DeliveryPolicy.defaultTopicJSON)
        #expect(policy == DeliveryPolicy())
        #expect(overridable)
        let locked = try DeliveryPolicy.topic(json: #"{"http":{"defaultHealthyRetryPolicy":{"numRetries":5},"disableSubscriptionOverrides":true}}"#)
        #expect(locked.policy.numRetries == 5)
        #expect(!locked.overridable)
    }

    @Test func throttleBookSpacesDeliveries() {
        let book = ThrottleBook()
        #expect(book.reserve("s", perSecond: nil, now: 1000) == 1000)
        #expect(book.reserve("s", perSecond: 2, now: 1000) == 1000)
        // Not yet: the next slot is named but not taken, so a retry at that time gets it.
        #expect(book.reserve("s", perSecond: 2, now: 1000) == 1500)
        #expect(book.reserve("s", perSecond: 2, now: 1100) == 1500)
        #expect(book.reserve("s", perSecond: 2, now: 1500) == 1500)
        #expect(book.reserve("s", perSecond: 2, now: 1600) == 2000)
        #expect(book.reserve("t", perSecond: 2, now: 1100) == 1100)
    }
}
