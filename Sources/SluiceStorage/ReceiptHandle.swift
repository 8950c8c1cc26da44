import Foundation

/// Identifies one receive of one message: the queue, the message's row and a per-receive token.
/// Opaque to clients (base64 text); a new one is minted by every receive.
public struct ReceiptHandle: Sendable, Hashable {
    public let queueId: Int64
    public let sequence: Int64
    public let token: Int64

    public init(queueId: Int64, sequence: Int64, token: Int64) {
        self.queueId = queueId
        self.sequence = sequence
        self.token = token
    }

    public var encoded: String {
        let raw = "sluice:1:\(queueId):\(sequence):\(token)"
        return Data(raw.utf8).base64EncodedString()
    }

    public init?(encoded: String) {
        guard let data = Data(base64Encoded: encoded), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0] == "sluice", parts[1] == "1",
              let queueId = Int64(parts[2]), let sequence = Int64(parts[3]), let token = Int64(parts[4]) else { return nil }
        self.init(queueId: queueId, sequence: sequence, token: token)
    }
}
