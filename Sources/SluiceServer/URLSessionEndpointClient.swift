import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceTopics

/// HTTP(S) deliveries through URLSession.
final class URLSessionEndpointClient: EndpointClient, @unchecked Sendable {
    private let session: URLSession

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 16
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    struct BadURL: Error {}

    func post(url: String, body: String, headers: [String: String], timeoutSeconds: Double) async throws -> Int {
        guard let target = URL(string: url) else { throw BadURL() }
        var request = URLRequest(url: target, timeoutInterval: timeoutSeconds)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (_, response) = try await session.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}
