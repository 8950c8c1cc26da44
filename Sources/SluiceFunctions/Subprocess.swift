import Foundation
#if canImport(Glibc)
import Glibc
#endif

@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func spawnAddCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32

@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func spawnAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32

/// A child process in its own process group, with pipes for its standard streams. Output
/// arrives in chunks on reader threads; the exit status once the process ended and its
/// output was read. ``kill()`` ends the whole group, helpers the command started included.
final class Subprocess: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var stdinFD: Int32
    private var exited = false
    /// The stdout pipe and whether its reader holds bytes not yet handed on.
    private let outputFD: Int32
    private let reader = ReaderState()

    final class ReaderState: @unchecked Sendable {
        let lock = NSLock()
        var busy = false
    }

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `argv` (argv[0] looked up on PATH). With `mergeOutput`, stderr goes to the
    /// stdout pipe and `onStderr` is never called.
    init(argv: [String], environment: [String: String], directory: String?, mergeOutput: Bool,
         onStdout: @escaping @Sendable ([UInt8]) -> Void, onStderr: @escaping @Sendable ([UInt8]) -> Void,
         onExit: @escaping @Sendable (_ status: Int32) -> Void) throws {
        guard let program = argv.first else { throw SpawnError(description: "empty command") }
        _ = Self.ignoreBrokenPipes
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, mergeOutput || pipe(&stderrPipe) == 0 else {
            throw SpawnError(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, mergeOutput ? stdoutPipe[1] : stderrPipe[1], 2)
        for fd in [stdinPipe[0], stdinPipe[1], stdoutPipe[0], stdoutPipe[1]] + (mergeOutput ? [] : [stderrPipe[0], stderrPipe[1]]) {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        // Nothing of sluice's (sockets, the database, logs) leaks into the child.
        _ = spawnAddCloseFrom(&actions, 3)
        if let directory { _ = spawnAddChdir(&actions, directory) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        // Default signal handling in the child (the server ignores SIGPIPE).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        // Through setpriv, the child is killed when sluice dies (even by kill -9) instead of
        // living on as an orphan.
        let launched = Self.launcher.map { [$0, "--pdeathsig", "KILL", "--"] + argv } ?? argv
        let args: [UnsafeMutablePointer<CChar>?] = launched.map { (arg: String) in strdup(arg) } + [nil]
        let env: [UnsafeMutablePointer<CChar>?] = environment.map { (key: String, value: String) in strdup("\(key)=\(value)") } + [nil]
        defer {
            args.forEach { free($0) }
            env.forEach { free($0) }
        }
        var child: pid_t = 0
        let status = Spawner.shared.run { posix_spawnp(&child, Self.launcher ?? program, &actions, &attributes, args, env) }
        close(stdinPipe[0])
        close(stdoutPipe[1])
        if !mergeOutput { close(stderrPipe[1]) }
        guard status == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            if !mergeOutput { close(stderrPipe[0]) }
            throw SpawnError(description: "cannot start \(program): \(String(cString: strerror(status)))")
        }
        let spawned = child
        pid = spawned
        stdinFD = stdinPipe[1]
        outputFD = stdoutPipe[0]
        let readers = DispatchGroup()
        Self.drain(stdoutPipe[0], group: readers, state: reader, onStdout)
        if !mergeOutput { Self.drain(stderrPipe[0], group: readers, state: ReaderState(), onStderr) }
        let thread = Thread { [self] in
            var raw: Int32 = 0
            while waitpid(spawned, &raw, 0) < 0 && errno == EINTR {}
            lock.withLock { exited = true }
            // Output still buffered in the pipes is read first (briefly: a helper the
            // command left running may hold them open).
            _ = readers.wait(timeout: .now() + 1)
            onExit(raw)
        }
        thread.name = "sluice-wait-\(spawned)"
        thread.start()
    }

    /// Reads `fd` until end of file. It waits with poll() and marks itself busy before
    /// reading, so ``hasPendingOutput`` never misses bytes between the pipe and the sink.
    private static func drain(_ fd: Int32, group: DispatchGroup, state: ReaderState, _ sink: @escaping @Sendable ([UInt8]) -> Void) {
        group.enter()
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&waiting, 1, -1)
                if ready < 0 && errno == EINTR { continue }
                state.lock.withLock { state.busy = true }
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 { sink(Array(buffer[0..<n])) }
                state.lock.withLock { state.busy = false }
                if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) { break }
            }
            close(fd)
            group.leave()
        }
        thread.name = "sluice-pipe-\(fd)"
        thread.start()
    }

    /// A child that exits without reading its stdin must give our write EPIPE, not kill
    /// sluice with SIGPIPE (children get the default action back at spawn).
    static let ignoreBrokenPipes: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    /// util-linux's setpriv, when installed (Linux).
    static let launcher: String? = {
        #if os(Linux)
        return FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") ? "/usr/bin/setpriv" : nil
        #else
        return nil
        #endif
    }()

    /// Writes `bytes` to the child's stdin and closes it. Blocks: call off the event loops.
    func writeInputAndClose(_ bytes: [UInt8]) {
        let fd: Int32 = lock.withLock {
            let fd = stdinFD
            stdinFD = -1
            return fd
        }
        guard fd >= 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
        }
        close(fd)
    }

    /// Whether output the process wrote is still in the pipe or on its way to the sink.
    var hasPendingOutput: Bool {
        if reader.lock.withLock({ reader.busy }) { return true }
        let done = lock.withLock { exited }
        if done { return false }
        var waiting = pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)
        return poll(&waiting, 1, 0) > 0 && waiting.revents & Int16(POLLIN) != 0
    }

    /// SIGKILL to the process group (nothing once the process was reaped).
    func kill() {
        lock.lock()
        defer { lock.unlock() }
        guard !exited else { return }
        _ = Glibc.kill(-pid, SIGKILL)
    }

    /// Exit code, or 128 + signal for a killed process.
    static func exitCode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    static func signalled(_ raw: Int32) -> Int32? {
        let signal = raw & 0x7f
        return signal == 0 ? nil : signal
    }
}

/// Starts processes from one long-lived thread: a parent-death signal fires when the
/// thread that started the child ends, and pool threads come and go.
final class Spawner: @unchecked Sendable {
    static let shared = Spawner()
    private struct Job {
        let work: () -> Void
        let done: DispatchSemaphore
    }
    private let condition = NSCondition()
    private var jobs: [Job] = []

    private init() {
        let thread = Thread { [unowned self] in
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                var job: Job? = jobs.removeFirst()
                condition.unlock()
                job!.work()
                let done = job!.done
                job = nil  // the caller's closure is released before the caller resumes
                done.signal()
            }
        }
        thread.name = "sluice-spawner"
        thread.start()
    }

    /// Runs `work` on the spawner thread and returns its result.
    func run<T>(_ work: () -> T) -> T {
        withoutActuallyEscaping(work) { work in
            var result: T?
            let done = DispatchSemaphore(value: 0)
            let box = UnsafeTransfer { result = work() }
            condition.lock()
            jobs.append(Job(work: box.value, done: done))
            condition.signal()
            condition.unlock()
            done.wait()
            return result!
        }
    }
}

struct UnsafeTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
