import Foundation

/// Something that happened in the broker, as the event bus carries it.
public struct BrokerEvent: Sendable {
    /// `message.available`, `message.dead-lettered`, `notification.delivered`,
    /// `notification.failed`, `function.invoked`, `function.finished`, `function.failed`,
    /// `function.throttled`.
    public var kind: String
    public var time: Millis
    public var queue: String?
    public var topic: String?
    public var function: String?
    /// Further members, values already JSON.
    public var detail: [(String, String)]

    public init(kind: String, time: Millis, queue: String? = nil, topic: String? = nil, function: String? = nil, detail: [(String, String)] = []) {
        self.kind = kind
        self.time = time
        self.queue = queue
        self.topic = topic
        self.function = function
        self.detail = detail
    }

    /// One JSON object: time, kind, the resource names, then the details.
    public var json: String {
        var members: [(String, String)] = [("time", JSONText.quoted(AWSTime.iso8601(time))), ("kind", JSONText.quoted(kind))]
        if let queue { members.append(("queue", JSONText.quoted(queue))) }
        if let topic { members.append(("topic", JSONText.quoted(topic))) }
        if let function { members.append(("function", JSONText.quoted(function))) }
        return JSONText.object(members + detail)
    }
}

/// Which events a listener wants: every field given must match.
public struct EventFilter: Sendable {
    public var queue: String?
    public var topic: String?
    public var function: String?
    /// A kind, or a kind prefix ending in `.` (`function.`).
    public var kind: String?

    public init(queue: String? = nil, topic: String? = nil, function: String? = nil, kind: String? = nil) {
        self.queue = queue
        self.topic = topic
        self.function = function
        self.kind = kind
    }

    public func admits(_ event: BrokerEvent) -> Bool {
        if let queue, event.queue != queue { return false }
        if let topic, event.topic != topic { return false }
        if let function, event.function != function { return false }
        if let kind {
            if kind.hasSuffix(".") ? !event.kind.hasPrefix(kind) : event.kind != kind { return false }
        }
        return true
    }
}

/// The broker's one spine of events. Publishing costs a lock check when nobody listens;
/// each listener gets its own bounded buffer, so a slow one loses its oldest events and
/// never slows the broker down.
public final class EventBus: @unchecked Sendable {
    private struct Listener {
        let filter: EventFilter
        let continuation: AsyncStream<BrokerEvent>.Continuation
    }

    private let lock = NSLock()
    private var listeners: [UInt64: Listener] = [:]
    private var nextId: UInt64 = 0
    private var count = 0
    public let bufferSize: Int

    public init(bufferSize: Int = 1024) {
        self.bufferSize = bufferSize
    }

    /// Whether anyone listens (callers may skip building events when nobody does).
    public var isObserved: Bool { lock.withLock { count > 0 } }

    /// Delivers `event` to every listener whose filter admits it.
    public func publish(_ event: @autoclosure () -> BrokerEvent) {
        lock.lock()
        guard count > 0 else {
            lock.unlock()
            return
        }
        let targets = Array(listeners.values)
        lock.unlock()
        let event = event()
        for listener in targets where listener.filter.admits(event) {
            listener.continuation.yield(event)
        }
    }

    /// Ends every listener's stream (at shutdown, so event-stream requests finish).
    public func close() {
        let all: [Listener] = lock.withLock {
            let all = Array(listeners.values)
            listeners.removeAll()
            count = 0
            return all
        }
        for listener in all { listener.continuation.finish() }
    }

    /// A stream of the events `filter` admits, from now until the stream's consumer stops.
    public func listen(_ filter: EventFilter) -> AsyncStream<BrokerEvent> {
        let (stream, continuation) = AsyncStream<BrokerEvent>.makeStream(bufferingPolicy: .bufferingNewest(bufferSize))
        let id: UInt64 = lock.withLock {
            nextId += 1
            listeners[nextId] = Listener(filter: filter, continuation: continuation)
            count = listeners.count
            return nextId
        }
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            self.lock.withLock {
                self.listeners[id] = nil
                self.count = self.listeners.count
            }
        }
        return stream
    }
}
