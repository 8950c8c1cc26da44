import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle
import SluiceCore
import SluiceFunctions

/// The functions layer as the front door sees it.
public struct FunctionServices: Sendable {
    public let host: FunctionHost
    public let mappings: EventSourceMappings
    public let bus: EventBus

    public init(host: FunctionHost, mappings: EventSourceMappings, bus: EventBus) {
        self.host = host
        self.mappings = mappings
        self.bus = bus
    }
}

/// `GET /_sluice/events`: the event bus as server-sent events, filtered by the query
/// (`queue`, `topic`, `function`, `kind`). A comment line every 15 s keeps proxies from
/// closing an idle stream.
enum EventStream {
    static func respond(_ request: Request, bus: EventBus, requestId: String) -> Response {
        let query = LambdaAPI.query(request.uri.query)
        let filter = EventFilter(queue: query["queue"], topic: query["topic"], function: query["function"], kind: query["kind"])
        let events = bus.listen(filter)
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("x-amzn-RequestId")!] = requestId
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": sluice event stream\n\n"))
            let (merged, input) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(4096))
            // The stream ends when the server shuts down, so it never holds up a stop.
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events { input.yield("event: \(event.kind)\ndata: \(event.json)\n\n") }
                        input.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(nanoseconds: 15_000_000_000)
                            input.yield(": keep-alive\n\n")
                        }
                    }
                    do {
                        for await text in merged { try await writer.write(ByteBuffer(string: text)) }
                    } catch {
                        // The client went away.
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                input.finish()
            }
            try? await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}
