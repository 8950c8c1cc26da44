import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SluiceCore
import SluiceFunctions
import SluiceQueues
import SluiceTopics
import SluiceWire

/// Options of the HTTP front door.
public struct HTTPOptions: Sendable {
    /// Whether `POST /_sluice/reset` and `POST /moto-api/reset` may empty all state.
    public var enableReset: Bool
    /// The SNS signing certificate (PEM) and the path it is served at.
    public var certificatePEM = ""
    public var certificatePath = "/_sluice/sns/SimpleNotificationService-sluice.pem"
    /// `GET /metrics`: Prometheus text (false) or OpenMetrics (true) → content type and body.
    public var metrics: (@Sendable (_ openMetrics: Bool) async -> (contentType: String, body: String))?
    /// `GET /metrics/cloudwatch`: the same data named as yet-another-cloudwatch-exporter names it.
    public var cloudWatchMetrics: (@Sendable () async -> String)?
    /// Called once per answered API request: service, action, HTTP status, seconds taken.
    public var recordRequest: (@Sendable (String, String, Int, Double) -> Void)?
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
    let topics: TopicEngine
    let functions: FunctionServices?
    let options: HTTPOptions
    let logger: Logger
    /// Resets anything outside the engines (e.g. re-creates configured queues and topics).
    let afterReset: @Sendable () async -> Void

    public init(queues: QueueEngine, topics: TopicEngine, functions: FunctionServices? = nil, options: HTTPOptions, logger: Logger,
                afterReset: @escaping @Sendable () async -> Void = {}) {
        self.queues = queues
        self.topics = topics
        self.functions = functions
        self.options = options
        self.logger = logger
        self.afterReset = afterReset
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        var route = Route(service: "sluice", action: "other")
        let response = await respond(to: request, route: &route)
        if let record = options.recordRequest, route.service != "sluice" {
            record(route.service, route.action, response.status.code, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
        }
        return response
    }

    /// Which API a request reached, for request metrics.
    struct Route {
        var service: String
        var action: String
    }

    func respond(to request: Request, route: inout Route) async -> Response {
        let requestId = Identifiers.uuid()
        let path = request.uri.path
        let target = request.headers[HTTPField.Name("X-Amz-Target")!]

        if target == nil && request.method == .get {
            if path == "/health" || path == "/_sluice/health" {
                return HTTPReply.make(status: 200, contentType: "application/json", body: "{\"status\":\"ok\"}", requestId: requestId)
            }
            if path == options.certificatePath {
                return HTTPReply.make(status: 200, contentType: "application/x-pem-file", body: options.certificatePEM, requestId: requestId)
            }
            if path == "/metrics", let metrics = options.metrics {
                let accept = request.headers[.accept] ?? ""
                let (contentType, body) = await metrics(accept.contains("application/openmetrics-text"))
                return HTTPReply.make(status: 200, contentType: contentType, body: body, requestId: requestId)
            }
            if path == "/metrics/cloudwatch", let metrics = options.cloudWatchMetrics {
                return HTTPReply.make(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: await metrics(), requestId: requestId)
            }
        }
        if request.method == .post && (path == "/_sluice/reset" || path == "/moto-api/reset") && target == nil {
            return await reset(requestId: requestId)
        }
        if let functions, target == nil {
            if let response = await functionRoutes(request, path: path, functions: functions, requestId: requestId, route: &route) {
                return response
            }
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
            let action = String(target.split(separator: ".").last ?? "")
            route = Route(service: "sqs", action: SQSActions.all[action] != nil ? action : "unknown")
            return await json(target: target, request: request, body: body, requestId: requestId)
        }
        if request.method == .post && path.hasPrefix("/topics/") {
            route = Route(service: "sns", action: "HTTPPublish")
            return await HTTPPublish.respond(path: path, request: request, body: body, topics: topics,
                                             context: callerContext(request), requestId: requestId)
        }
        return await query(request: request, body: body, requestId: requestId, route: &route)
    }

    /// AWS JSON 1.0: `X-Amz-Target: AmazonSQS.<Action>`.
    func json(target: String, request: Request, body: [UInt8], requestId: String) async -> Response {
        let prefix = "AmazonSQS.".utf8
        guard target.utf8.starts(with: prefix) else {
            return SQSProtocol.json.failure(QueueError(.invalidAction, "Unknown operation \(target)."), requestId: requestId)
        }
        let action = String(decoding: target.utf8.dropFirst(prefix.count), as: UTF8.self)
        if let contentType = request.headers[.contentType]?.lowercased(),
           !(contentType.hasPrefix("application/x-amz-json") || contentType.hasPrefix("application/json")) {
            return SQSProtocol.json.failure(QueueError(.malformedRequest, "Unsupported content type \(contentType) for the JSON protocol."), requestId: requestId)
        }
        return await SQSProtocol.json.respond(action: action, call: try sqsCall(request, JSONParams(body: body)), requestId: requestId, logger: logger)
    }

    /// The Query protocol: form fields in the body (POST) and/or the query string.
    func query(request: Request, body: [UInt8], requestId: String, route: inout Route) async -> Response {
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
        let sns = Self.isSNS(action: action, fields: fields, request: request)
        let known = sns ? SNSActions.all[action] != nil : SQSActions.all[action] != nil
        route = Route(service: sns ? "sns" : "sqs", action: known ? action : "unknown")
        if sns {
            let call = SNSCall(params: params, engine: topics, context: callerContext(request))
            return await SNSProtocol.respond(action: action, call: call, requestId: requestId, logger: logger)
        }
        return await SQSProtocol.query.respond(action: action, call: sqsCall(request, params), requestId: requestId, logger: logger)
    }

    /// SQS or SNS? The signature's service, then the API version, then the action's name.
    static func isSNS(action: String, fields: [String: String], request: Request) -> Bool {
        if let authorization = request.headers[.authorization], let credential = SigV4Credential(authorization: authorization) {
            if credential.service == "sns" { return true }
            if credential.service == "sqs" { return false }
        }
        if let scope = fields["X-Amz-Credential"], let credential = SigV4Credential(scope: scope, signedHeaders: "", signature: "") {
            if credential.service == "sns" { return true }
            if credential.service == "sqs" { return false }
        }
        switch fields["Version"] {
        case "2010-03-31": return true
        case "2012-11-05": return false
        default: break
        }
        if SQSActions.all[action] != nil {
            // AddPermission and RemovePermission exist in both: a TopicArn means SNS.
            return fields["TopicArn"] != nil && fields["QueueUrl"] == nil
        }
        return SNSActions.all[action] != nil || SNSActions.unsupported.contains(action)
    }

    func callerContext(_ request: Request) -> CallerContext {
        CallerContext(baseURL: "http://\(request.head.authority ?? options.defaultHost)", account: queues.defaultAccount)
    }

    func sqsCall(_ request: Request, _ params: any RequestParams) -> SQSCall {
        let host = request.head.authority ?? options.defaultHost
        let path = request.uri.path
        let pathQueue = path.split(separator: "/").count >= 2 ? SQSCall.queueKey(fromURL: path) : nil
        return SQSCall(params: params, engine: queues, baseURL: "http://\(host)", pathQueue: pathQueue, senderId: queues.defaultAccount)
    }

    /// The Lambda API, the event stream and the function logs; nil for other paths.
    func functionRoutes(_ request: Request, path: String, functions: FunctionServices, requestId: String, route: inout Route) async -> Response? {
        if request.method == .get && path == "/_sluice/events" {
            return EventStream.respond(request, bus: functions.bus, requestId: requestId)
        }
        if request.method == .get && path.hasPrefix("/_sluice/functions/") {
            let parts = path.split(separator: "/").map(String.init)
            guard parts.count == 4, let definition = functions.host.definition(parts[2]) else {
                return HTTPReply.make(status: 404, contentType: "application/json", body: "{\"message\":\"no such function\"}", requestId: requestId)
            }
            switch parts[3] {
            case "logs":
                let lines = LambdaAPI.query(request.uri.query)["tail"].flatMap { Int($0) } ?? 200
                return HTTPReply.make(status: 200, contentType: "text/plain; charset=utf-8",
                                      body: functions.host.logs(definition.name, lines: lines) ?? "", requestId: requestId)
            case "code.zip":
                guard let zip = functions.host.package(of: definition) else {
                    return HTTPReply.make(status: 404, contentType: "application/json", body: "{\"message\":\"the function has no zip package\"}", requestId: requestId)
                }
                return LambdaAPI.bytes(200, zip, requestId: requestId, extra: [("Content-Type", "application/zip")])
            default:
                return HTTPReply.make(status: 404, contentType: "application/json", body: "{\"message\":\"not found\"}", requestId: requestId)
            }
        }
        guard LambdaAPI.handles(path) else { return nil }
        var request = request
        let body: [UInt8]
        do {
            body = Array(try await request.collectBody(upTo: LambdaAPI.maxBodyBytes).readableBytesView)
        } catch {
            return LambdaAPI.error(.tooLarge("Request must be smaller than \(LambdaAPI.maxBodyBytes) bytes"), requestId: requestId)
        }
        var action = "unknown"
        let response = await LambdaAPI(host: functions.host, mappings: functions.mappings).respond(request, body: body, requestId: requestId, action: &action)
        route = Route(service: "lambda", action: action)
        return response
    }

    func reset(requestId: String) async -> Response {
        guard options.enableReset else {
            return HTTPReply.make(status: 404, contentType: "application/json",
                                  body: "{\"message\":\"reset is disabled: start sluice with --enable-reset\"}", requestId: requestId)
        }
        do {
            if let functions {
                functions.mappings.reset()
                await functions.host.reset()
            }
            try await queues.reset()
            topics.resetCatalog()
            await afterReset()
            return HTTPReply.make(status: 200, contentType: "application/json", body: "{\"reset\":true}", requestId: requestId)
        } catch {
            return HTTPReply.make(status: 500, contentType: "application/json", body: "{\"message\":\"reset failed\"}", requestId: requestId)
        }
    }
}
