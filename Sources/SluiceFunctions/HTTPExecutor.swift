import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SluiceCore

/// POSTs the event to a URL: a 2xx answer is success and its body the response; any other
/// status, no answer or the timeout is a function error.
final class HTTPExecutor: FunctionExecutor, @unchecked Sendable {
    let url: URL
    let functionName: String
    private let session: URLSession

    init(url: URL, functionName: String) {
        self.url = url
        self.functionName = functionName
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    func invoke(_ invocation: Invocation, log: InvocationLog) async -> InvocationResult {
        let seconds = Double(max(1, invocation.deadline - SystemClock().now())) / 1000
        var request = URLRequest(url: url, timeoutInterval: seconds)
        request.httpMethod = "POST"
        request.httpBody = Data(invocation.payload)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(invocation.requestId, forHTTPHeaderField: "Lambda-Runtime-Aws-Request-Id")
        request.setValue(String(invocation.deadline), forHTTPHeaderField: "Lambda-Runtime-Deadline-Ms")
        request.setValue(invocation.functionArn, forHTTPHeaderField: "Lambda-Runtime-Invoked-Function-Arn")
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let error as URLError where error.code == .timedOut {
            log.line("POST \(url.absoluteString) timed out")
            return .timedOut(invocation)
        } catch {
            log.line("POST \(url.absoluteString) failed: \(error.localizedDescription)")
            return .error(type: "Http.ConnectionError", message: "POST \(url.absoluteString) failed: \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        log.line("POST \(url.absoluteString) -> HTTP \(status), \(data.count) bytes")
        guard (200..<300).contains(status) else {
            let body = Array(data)
            if let document = InvocationResult.errorDocument(body) { return .functionError(type: document.type, body: body) }
            return .error(type: "Http.Status\(status)", message: "POST \(url.absoluteString) answered HTTP \(status)")
        }
        return .success(data.isEmpty ? Array("null".utf8) : Array(data))
    }

    func shutdown() async {
        session.invalidateAndCancel()
    }
}
