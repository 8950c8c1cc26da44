@_exported import SluiceCore

/// Every SQS action sluice serves, by name.
enum SQSActions {
    static let all: [String: SQSAction] = [
        "CreateQueue": createQueue,
        "GetQueueUrl": getQueueUrl,
        "ListQueues": listQueues,
        "DeleteQueue": deleteQueue,
        "GetQueueAttributes": getQueueAttributes,
        "SetQueueAttributes": setQueueAttributes,
        "TagQueue": tagQueue,
        "UntagQueue": untagQueue,
        "ListQueueTags": listQueueTags,
        "SendMessage": sendMessage,
        "SendMessageBatch": sendMessageBatch,
        "ReceiveMessage": receiveMessage,
        "DeleteMessage": deleteMessage,
        "DeleteMessageBatch": deleteMessageBatch,
        "ChangeMessageVisibility": changeMessageVisibility,
        "ChangeMessageVisibilityBatch": changeMessageVisibilityBatch,
        "PurgeQueue": purgeQueue,
        "ListDeadLetterSourceQueues": listDeadLetterSourceQueues,
        "AddPermission": addPermission,
        "RemovePermission": removePermission,
        "StartMessageMoveTask": startMessageMoveTask,
        "ListMessageMoveTasks": listMessageMoveTasks,
        "CancelMessageMoveTask": cancelMessageMoveTask,
    ]
}
