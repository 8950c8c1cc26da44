import Testing
@testable import SluiceCore

@Suite struct QueueSettingsTests {
    @Test func defaultsRenderAsAWS() {
        let rendered = QueueSettings().renderedAttributes()
        #expect(rendered == [
            "DelaySeconds": "0", "MaximumMessageSize": "1048576", "MessageRetentionPeriod": "345600",
            "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "SqsManagedSseEnabled": "true",
        ])
        let fifo = QueueSettings(fifo: true).renderedAttributes()
        #expect(fifo["FifoQueue"] == "true")
        #expect(fifo["ContentBasedDeduplication"] == "false")
        #expect(fifo["DeduplicationScope"] == "queue")
        #expect(fifo["FifoThroughputLimit"] == "perQueue")
    }

    @Test(arguments: [
        ("DelaySeconds", "901"), ("DelaySeconds", "-1"), ("MaximumMessageSize", "1023"), ("MaximumMessageSize", "1048577"),
        ("MessageRetentionPeriod", "59"), ("MessageRetentionPeriod", "1209601"), ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "43201"), ("VisibilityTimeout", "abc"), ("KmsDataKeyReusePeriodSeconds", "59"),
        ("SqsManagedSseEnabled", "maybe"),
    ])
    func outOfRangeValues(name: String, value: String) {
        var settings = QueueSettings()
        #expect(throws: QueueError.invalidAttributeValue(name)) { try settings.apply([name: value], creating: true) }
    }

    @Test func boundaryValuesAccepted() throws {
        var settings = QueueSettings()
        try settings.apply(["DelaySeconds": "900", "MaximumMessageSize": "1024", "MessageRetentionPeriod": "60",
                            "ReceiveMessageWaitTimeSeconds": "20", "VisibilityTimeout": "43200"], creating: true)
        #expect(settings.delaySeconds == 900)
        #expect(settings.maximumMessageSize == 1024)
    }

    @Test func unknownAndFifoOnlyNames() {
        var standard = QueueSettings()
        #expect(throws: QueueError(.invalidAttributeName, "Unknown Attribute Bogus.")) { try standard.apply(["Bogus": "1"], creating: true) }
        #expect(throws: QueueError(.invalidAttributeName, "Unknown Attribute ContentBasedDeduplication.")) {
            try standard.apply(["ContentBasedDeduplication": "true"], creating: true)
        }
        #expect(throws: QueueError.self) { try standard.apply(["FifoQueue": "true"], creating: false) }
        var fifo = QueueSettings(fifo: true)
        #expect(throws: QueueError(.invalidAttributeValue, "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")) {
            try fifo.apply(["FifoQueue": "false"], creating: false)
        }
        #expect(throws: QueueError.self) { try fifo.apply(["FifoThroughputLimit": "perMessageGroupId"], creating: false) }
    }

    @Test func redrivePolicyParsing() throws {
        let policy = try RedrivePolicy(parsing: #"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"}"#)
        #expect(policy.maxReceiveCount == 3)
        #expect(policy.json == #"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}"#)
        #expect(throws: QueueError.self) { try RedrivePolicy(parsing: "not json") }
        #expect(throws: QueueError.self) { try RedrivePolicy(parsing: #"{"deadLetterTargetArn":"nope","maxReceiveCount":3}"#) }
        #expect(throws: QueueError.self) { try RedrivePolicy(parsing: #"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":0}"#) }
        #expect(throws: QueueError.self) { try RedrivePolicy(parsing: #"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq"}"#) }
    }

    @Test func redriveAllowPolicy() throws {
        let byQueue = try RedriveAllowPolicy(parsing: #"{"redrivePermission":"byQueue","sourceQueueArns":["arn:aws:sqs:us-east-1:000000000000:a"]}"#)
        #expect(byQueue.allows(sourceArn: "arn:aws:sqs:us-east-1:000000000000:a"))
        #expect(!byQueue.allows(sourceArn: "arn:aws:sqs:us-east-1:000000000000:b"))
        #expect(try !RedriveAllowPolicy(parsing: #"{"redrivePermission":"denyAll"}"#).allows(sourceArn: "x"))
        #expect(throws: QueueError.self) { try RedriveAllowPolicy(parsing: #"{"redrivePermission":"allowAll","sourceQueueArns":["x"]}"#) }
    }

    @Test func kmsTurnsOffManagedSSE() throws {
        var settings = QueueSettings()
        try settings.apply(["KmsMasterKeyId": "alias/aws/sqs"], creating: true)
        #expect(!settings.sqsManagedSseEnabled)
        #expect(settings.renderedAttributes()["KmsDataKeyReusePeriodSeconds"] == "300")
        var both = QueueSettings()
        #expect(throws: QueueError.self) { try both.apply(["KmsMasterKeyId": "k", "SqsManagedSseEnabled": "true"], creating: true) }
    }
}
