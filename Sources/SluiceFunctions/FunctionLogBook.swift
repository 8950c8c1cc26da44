import Foundation

/// A function's log: every invocation's lines, appended to `<data-dir>/functions/logs/<name>.log`
/// and the most recent kept in memory for `GET /_sluice/functions/<name>/logs`.
final class FunctionLogBook: @unchecked Sendable {
    private let lock = NSLock()
    private var recent: [String] = []
    private let file: FileHandle?
    private let writes = DispatchQueue(label: "sluice.function-log")
    static let keptLines = 2000

    init(path: String?) {
        if let path {
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            file = FileHandle(forWritingAtPath: path)
            // What earlier runs wrote stays readable after a restart.
            if let reader = FileHandle(forReadingAtPath: path) {
                let size = (try? reader.seekToEnd()) ?? 0
                try? reader.seek(toOffset: size > 262_144 ? size - 262_144 : 0)
                if let data = try? reader.readToEnd() {
                    var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    if size > 262_144, !lines.isEmpty { lines.removeFirst() }  // a partial first line
                    if lines.last == "" { lines.removeLast() }
                    recent = Array(lines.suffix(Self.keptLines))
                }
                try? reader.close()
            }
            _ = try? file?.seekToEnd()
        } else {
            file = nil
        }
    }

    func append(_ text: String) {
        guard !text.isEmpty else { return }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0).map(String.init)
        lock.withLock {
            recent.append(contentsOf: lines)
            if recent.count > Self.keptLines { recent.removeFirst(recent.count - Self.keptLines) }
        }
        if let file {
            let data = Data((text.hasSuffix("\n") ? text : text + "\n").utf8)
            writes.async { try? file.write(contentsOf: data) }
        }
    }

    func tail(_ lines: Int) -> String {
        lock.withLock {
            let slice = recent.suffix(max(0, lines))
            return slice.isEmpty ? "" : slice.joined(separator: "\n") + "\n"
        }
    }

    func close() {
        writes.sync { try? file?.close() }
    }
}
