import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `sluice tail`: prints the broker's events as they happen (the `/_sluice/events` stream).
struct Tail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the events of a running broker as they happen (message available, dead-lettered, notification delivered or failed, function invoked, finished, failed, throttled).")

    @Option(help: "The broker's URL (SLUICE_ENDPOINT; default http://127.0.0.1:4566).") var endpoint: String?
    @Option(help: "Only events of this queue.") var queue: String?
    @Option(help: "Only events of this topic.") var topic: String?
    @Option(help: "Only events of this function.") var function: String?
    @Option(help: "Only events of this kind, or kinds starting with it when it ends in '.' (e.g. function.).") var kind: String?
    @Flag(help: "Print each event as one JSON object per line.") var json = false

    func run() throws {
        let base = endpoint ?? ProcessInfo.processInfo.environment["SLUICE_ENDPOINT"] ?? "http://127.0.0.1:4566"
        guard let url = URL(string: base), url.scheme == "http", let host = url.host else {
            throw ValidationError("--endpoint must be an http:// URL, not '\(base)'")
        }
        let port = url.port ?? 80
        var query = [(String, String)]()
        if let queue { query.append(("queue", queue)) }
        if let topic { query.append(("topic", topic)) }
        if let function { query.append(("function", function)) }
        if let kind { query.append(("kind", kind)) }
        let encoded = query.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $1)" }.joined(separator: "&")
        let path = "/_sluice/events" + (encoded.isEmpty ? "" : "?" + encoded)
        let fd = try Self.connect(host: host, port: port)
        defer { close(fd) }
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var pending = [UInt8]()
        var headerDone = false
        var event = ""
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            pending += buffer[0..<n]
            while let newline = pending.firstIndex(of: 0x0a) {
                var line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if line.hasSuffix("\r") { line.removeLast() }
                if !headerDone {
                    if line.hasPrefix("HTTP/1.1 "), !line.hasPrefix("HTTP/1.1 200") {
                        throw ValidationError("the broker answered \(line): is \(base) a sluice server?")
                    }
                    if line.isEmpty { headerDone = true }
                    continue
                }
                // Chunked transfer: chunk sizes are hex-only lines; event lines have a colon.
                if line.hasPrefix("event: ") {
                    event = String(line.dropFirst(7))
                } else if line.hasPrefix("data: ") {
                    let text = json ? String(line.dropFirst(6)) : Self.describe(event: event, json: String(line.dropFirst(6)))
                    FileHandle.standardOutput.write(Data((text + "\n").utf8))
                }
            }
        }
        throw ValidationError("the event stream from \(base) ended")
    }

    /// `time kind resource key=value ...` from one event.
    static func describe(event: String, json: String) -> String {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] else { return json }
        var parts = [object["time"] as? String ?? "", object["kind"] as? String ?? event]
        for key in ["queue", "topic", "function"] {
            if let value = object[key] as? String { parts.append("\(key)=\(value)") }
        }
        for key in object.keys.sorted() where !["time", "kind", "queue", "topic", "function"].contains(key) {
            let value = object[key]!
            if let text = value as? String {
                parts.append("\(key)=\(text)")
            } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed]) {
                parts.append("\(key)=\(String(decoding: data, as: UTF8.self))")
            }
        }
        return parts.joined(separator: " ")
    }

    static func connect(host: String, port: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let first = result else {
            throw ValidationError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
                close(fd)
            }
            entry = info.pointee.ai_next
        }
        throw ValidationError("cannot connect to \(host):\(port): is sluice running there?")
    }
}
