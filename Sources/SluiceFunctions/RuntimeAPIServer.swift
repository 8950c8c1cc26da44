import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SluiceCore

/// What a runtime worker's Runtime API calls do; implemented by ``RuntimeExecutor``.
protocol RuntimeAPIRouter: AnyObject, Sendable {
    /// `GET /runtime/invocation/next`: `reply` is called (from any thread) with the next
    /// invocation when there is one.
    func next(worker: Int, reply: @escaping @Sendable (Invocation) -> Void)
    /// `POST /runtime/invocation/{id}/response` or `/error`; false for an unknown id.
    func complete(worker: Int, requestId: String, result: InvocationResult) -> Bool
    /// `POST /runtime/init/error`.
    func initError(worker: Int, result: InvocationResult)
    /// An invocation handed to `/next` could not be written (the connection closed): it
    /// goes back to the queue.
    func undelivered(worker: Int, requestId: String)
    /// The worker's connection parked on `/next` went away.
    func disconnected(worker: Int)
}

/// The AWS Lambda Runtime API for one worker process, on its own loopback port
/// (`AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port>`: the runtime clients accept a host and port
/// only, so the port tells the workers apart).
enum RuntimeAPIServer {
    static func bind(worker: Int, router: any RuntimeAPIRouter, group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(RuntimeAPIHandler(worker: worker, router: router))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }
}

final class RuntimeAPIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let worker: Int
    let router: any RuntimeAPIRouter
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var parked = false

    init(worker: Int, router: any RuntimeAPIRouter) {
        self.worker = worker
        self.router = router
    }

    static let prefix = "/2018-06-01/runtime/"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
        case .body(var chunk):
            if body == nil { body = chunk } else { body!.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            route(context: context, head: head, body: body.map { Array($0.readableBytesView) } ?? [])
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if parked { router.disconnected(worker: worker) }
        context.fireChannelInactive()
    }

    private func route(context: ChannelHandlerContext, head: HTTPRequestHead, body: [UInt8]) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard path.hasPrefix(Self.prefix) else {
            return respond(context, head, .notFound, Self.error("InvalidPath", "no such Runtime API path: \(path)"))
        }
        let rest = path.dropFirst(Self.prefix.count).split(separator: "/").map(String.init)
        switch (head.method, rest.count, rest.first, rest.last) {
        case (.GET, 2, "invocation", "next"):
            parked = true
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let keepAlive = head.isKeepAlive
            let version = head.version
            router.next(worker: worker) { invocation in
                loopBound.eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.parked = false
                    handler.deliver(context, invocation, keepAlive: keepAlive, version: version)
                }
            }
        case (.POST, 3, "invocation", "response"):
            let ok = router.complete(worker: worker, requestId: rest[1], result: .success(body.isEmpty ? Array("null".utf8) : body))
            respond(context, head, ok ? .accepted : .badRequest, ok ? "{\"status\":\"OK\"}" : Self.error("InvalidRequestID", "unknown request id \(rest[1])"))
        case (.POST, 3, "invocation", "error"):
            let type = head.headers.first(name: "Lambda-Runtime-Function-Error-Type") ?? "Unhandled"
            let ok = router.complete(worker: worker, requestId: rest[1], result: Self.errorResult(type: type, body: body))
            respond(context, head, ok ? .accepted : .badRequest, ok ? "{\"status\":\"OK\"}" : Self.error("InvalidRequestID", "unknown request id \(rest[1])"))
        case (.POST, 2, "init", "error"):
            let type = head.headers.first(name: "Lambda-Runtime-Function-Error-Type") ?? "Runtime.Unknown"
            router.initError(worker: worker, result: Self.errorResult(type: type, body: body))
            respond(context, head, .accepted, "{\"status\":\"OK\"}")
        default:
            respond(context, head, .notFound, Self.error("InvalidPath", "no such Runtime API call: \(head.method) \(path)"))
        }
    }

    /// The error document as the runtime sent it, or one built around its text.
    static func errorResult(type: String, body: [UInt8]) -> InvocationResult {
        if InvocationResult.errorDocument(body) != nil { return .functionError(type: type, body: body) }
        return .error(type: type, message: String(decoding: body, as: UTF8.self))
    }

    static func error(_ type: String, _ message: String) -> String {
        JSONText.object([("errorType", JSONText.quoted(type)), ("errorMessage", JSONText.quoted(message))])
    }

    private func deliver(_ context: ChannelHandlerContext, _ invocation: Invocation, keepAlive: Bool, version: HTTPVersion) {
        guard context.channel.isActive else {
            router.undelivered(worker: worker, requestId: invocation.requestId)
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Lambda-Runtime-Aws-Request-Id", value: invocation.requestId)
        headers.add(name: "Lambda-Runtime-Deadline-Ms", value: String(invocation.deadline))
        headers.add(name: "Lambda-Runtime-Invoked-Function-Arn", value: invocation.functionArn)
        headers.add(name: "Lambda-Runtime-Trace-Id", value: Self.traceId(invocation.requestId))
        if let clientContext = invocation.clientContext { headers.add(name: "Lambda-Runtime-Client-Context", value: clientContext) }
        headers.add(name: "Content-Length", value: String(invocation.payload.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: invocation.payload)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if !keepAlive { context.close(promise: nil) }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ text: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(text.utf8.count))
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        if !head.isKeepAlive { context.close(promise: nil) }
    }

    /// An X-Ray trace header for the invocation (sampled off).
    static func traceId(_ requestId: String) -> String {
        let seconds = String(UInt64(SystemClock().now() / 1000), radix: 16)
        let hex = requestId.replacingOccurrences(of: "-", with: "")
        return "Root=1-\(seconds)-\(hex.prefix(24));Parent=\(hex.suffix(16));Sampled=0"
    }
}
