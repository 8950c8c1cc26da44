import SluiceWire

extension SQSActions {
    static let addPermission: SQSAction = { call throws(QueueError) in
        try await call.engine.addPermission(try call.queue(), label: try call.params.string("Label"),
                                            accounts: try call.params.strings("AWSAccountIds", query: "AWSAccountId"),
                                            actions: try call.params.strings("Actions", query: "ActionName"))
        return nil
    }
}
