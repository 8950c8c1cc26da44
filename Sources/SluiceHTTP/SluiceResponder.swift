import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SluiceQueues
import SluiceWire

/// Options of the HTTP front door.
public struct HTTPOptions: Sendable {
    /// Whether `POST /_sluice/reset` and `POST /moto-api/reset` may empty all state.
    public var enableReset: Bool
    /// Largest request body accepted.
    public var maxBodyBytes: Int
    /// Host used in queue URLs when a request carries no Host header.
    public var defaultHost: String

    public init(enableReset: Bool = false, maxBodyBytes: Int = 4 * 1024 * 1024, defaultHost: String = "localhost:4566") {
        self.enableReset = enableReset
        self.maxBodyBytes = maxBodyBytes
        self.defaultHost = defaultHost
    }
}

/// The one responder behind the port: tells the protocols apart and hands each request to
/// its service.
public struct SluiceResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let queues: QueueEngine
    let options: HTTPOptions
    let logger: Logger

    public init(queues: QueueEngine, options: HTTPOptions, logger: Logger) {
        self.queues = queues
        self.options = options
        self.logger = logger
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let requestId = UUID().uuidString.lowercased()
        let path = request.uri.path
        let target = request.headers[HTTPField.Name("X-Amz-Target")!]

        if target == nil && request.method == .get {
            if path == "/health" || path == "/_sluice/health" {
                return HTTPReply.make(status: 200, contentType: "application/json", body: "{\"status\":\"ok\"}", requestId: requestId)
            }
        }
        if request.method == .post && (path == "/_sluice/reset" || path == "/moto-api/reset") && target == nil {
            return await reset(requestId: requestId)
        }

        var request = request
        let body: [UInt8]
        do {
            body = Array(try await request.collectBody(upTo: options.maxBodyBytes).readableBytesView)
        } catch {
            let proto: SQSProtocol = target == nil ? .query : .json
            return proto.failure(QueueError(.requestTooLarge, "The request is larger than \(options.maxBodyBytes) bytes."), requestId: requestId)
        }

        if let target {
            return await json(target: target, request: request, body: body, requestId: requestId)
        }
        return await query(request: request, body: body, requestId: requestId)
    }

    /// AWS JSON 1.0: `X-Amz-Target: AmazonSQS.<Action>`.
    func json(target: String, request: Request, body: [UInt8], requestId: String) async -> Response {
        guard target.hasPrefix("AmazonSQS.") else {
            return SQSProtocol.json.failure(QueueError(.invalidAction, "Unknown operation \(target)."), requestId: requestId)
        }
        let action = String(target.dropFirst("AmazonSQS.".count))
        if let contentType = request.headers[.contentType]?.lowercased(),
           !(contentType.hasPrefix("application/x-amz-json") || contentType.hasPrefix("application/json")) {
            return SQSProtocol.json.failure(QueueError(.malformedRequest, "Unsupported content type \(contentType) for the JSON protocol."), requestId: requestId)
        }
        return await SQSProtocol.json.respond(action: action, call: try sqsCall(request, JSONParams(body: body)), requestId: requestId, logger: logger)
    }

    /// The Query protocol: form fields in the body (POST) and/or the query string.
    func query(request: Request, body: [UInt8], requestId: String) async -> Response {
        var fields: [String: String]
        do {
            fields = try QueryParams.decodeForm(request.uri.query ?? "")
            if !body.isEmpty {
                let contentType = request.headers[.contentType]?.lowercased() ?? ""
                guard contentType.isEmpty || contentType.hasPrefix("application/x-www-form-urlencoded") else {
                    throw QueueError(.malformedRequest, "Unsupported content type \(contentType): send a form (application/x-www-form-urlencoded) with Action, or a JSON body with X-Amz-Target.")
                }
                guard let text = String(validating: body, as: UTF8.self) else {
                    throw QueueError(.malformedRequest, "The request body is not valid UTF-8.")
                }
                fields.merge(try QueryParams.decodeForm(text)) { _, form in form }
            }
        } catch let error as QueueError {
            return SQSProtocol.query.failure(error, requestId: requestId)
        } catch {
            return SQSProtocol.query.failure(QueueError(.malformedRequest, "\(error)"), requestId: requestId)
        }
        guard let action = fields["Action"], !action.isEmpty else {
            return SQSProtocol.query.failure(QueueError(.invalidAction, "Could not find the Action parameter: send Action=<SQS action> in the form or query string."), requestId: requestId)
        }
        let params = QueryParams(fields: fields)
        return await SQSProtocol.query.respond(action: action, call: sqsCall(request, params), requestId: requestId, logger: logger)
    }

    func sqsCall(_ request: Request, _ params: any RequestParams) -> SQSCall {
        let host = request.head.authority ?? options.defaultHost
        let path = request.uri.path
        let pathQueue = path.split(separator: "/").count >= 2 ? SQSCall.queueKey(fromURL: path) : nil
        return SQSCall(params: params, engine: queues, baseURL: "http://\(host)", pathQueue: pathQueue, senderId: queues.defaultAccount)
    }

    func reset(requestId: String) async -> Response {
        guard options.enableReset else {
            return HTTPReply.make(status: 404, contentType: "application/json",
                                  body: "{\"message\":\"reset is disabled: start sluice with --enable-reset\"}", requestId: requestId)
        }
        do {
            try await queues.reset()
            return HTTPReply.make(status: 200, contentType: "application/json", body: "{\"reset\":true}", requestId: requestId)
        } catch {
            return HTTPReply.make(status: 500, contentType: "application/json", body: "{\"message\":\"reset failed\"}", requestId: requestId)
        }
    }
}
