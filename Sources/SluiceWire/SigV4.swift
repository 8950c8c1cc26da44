/// The parts of an `AWS4-HMAC-SHA256` Authorization header (or presigned query) that sluice
/// reads: who signed, and for which region and service.
public struct SigV4Credential: Sendable, Equatable {
    public let accessKeyId: String
    public let date: String
    public let region: String
    public let service: String
    public let signedHeaders: [String]
    public let signature: String

    /// Parses `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request, SignedHeaders=a;b, Signature=hex`.
    public init?(authorization: String) {
        guard authorization.hasPrefix("AWS4-HMAC-SHA256") else { return nil }
        var parts = [String: String]()
        for piece in authorization.dropFirst("AWS4-HMAC-SHA256".count).split(separator: ",") {
            let trimmed = piece.trimmingCharacters(in: .whitespaces)
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            parts[String(trimmed[..<eq])] = String(trimmed[trimmed.index(after: eq)...])
        }
        guard let credential = parts["Credential"] else { return nil }
        self.init(scope: credential, signedHeaders: parts["SignedHeaders"] ?? "", signature: parts["Signature"] ?? "")
    }

    /// Parses a credential scope `AKID/date/region/service/aws4_request`.
    public init?(scope: String, signedHeaders: String, signature: String) {
        let fields = scope.split(separator: "/", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[4] == "aws4_request", !fields[0].isEmpty else { return nil }
        accessKeyId = String(fields[0])
        date = String(fields[1])
        region = String(fields[2])
        service = String(fields[3])
        self.signedHeaders = signedHeaders.split(separator: ";").map(String.init)
        self.signature = signature
    }
}

import Foundation
