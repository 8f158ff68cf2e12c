import CSpawn
import Dispatch
import Essentials
import FoundationEssentials
import Glibc

/// A program the bench starts (`mockidp serve`, nginx, wrk) in a process group of its own, its
/// stdout and stderr on one descriptor: a pipe the bench reads, a file, or /dev/null.
final class ChildProcess {
    enum Output {
        case discard
        case file(String)
        case pipe
    }

    let pid: pid_t
    /// The read end of the output pipe (`.pipe`), else -1.
    private let reader: Int32
    private var status: Int32?

    init(_ arguments: [String], output: Output) throws {
        var ends: [Int32] = [-1, -1]
        let writer: Int32
        switch output {
        case .discard: writer = open("/dev/null", O_WRONLY | O_CLOEXEC)
        case .file(let path): writer = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        case .pipe:
            writer = pipe(&ends) == 0 ? ends[1] : -1
            for end in ends where end >= 0 { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        }
        guard writer >= 0 else { throw BenchError("cannot open the output of \(arguments.first ?? ""): \(String(cString: strerror(errno)))") }
        defer { close(writer) }
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let pid = withCStrings(arguments) { argv in withCStrings(environment) { envp in mockidp_spawn_group_with(argv, envp, writer, SIGTERM) } }
        guard pid > 0 else {
            if ends[0] >= 0 { close(ends[0]) }
            throw BenchError("cannot start \(arguments.joined(separator: " ")): \(String(cString: strerror(-pid)))")
        }
        self.pid = pid
        reader = ends[0]
    }

    deinit {
        stop()
        if reader >= 0 { close(reader) }
    }

    /// The output up to the first newline (or everything, if the program ends first).
    func readLine() -> String {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(reader, &byte, 1) == 1, byte != UInt8(ascii: "\n") { line.append(byte) }
        return String(decoding: line, as: UTF8.self)
    }

    /// The output until the program closes it.
    func readToEnd() -> String {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = read(reader, &chunk, chunk.count)
            if count > 0 { output.append(contentsOf: chunk[..<count]) } else if count == 0 || errno != EINTR { break }
        }
        return String(decoding: output, as: UTF8.self)
    }

    var isRunning: Bool { reap(block: false) == nil }

    /// The exit status once the program has ended by itself (nil if it died of a signal).
    func waitForExit() -> Int32? {
        guard let status = reap(block: true), status & 0x7f == 0 else { return nil }
        return (status >> 8) & 0xff
    }

    /// SIGTERM to the group, SIGKILL after 5 s: `serve` installs its SIGTERM handler after it
    /// starts answering, so a SIGTERM sent right after the first answer can land while it is ignored.
    func stop() {
        guard isRunning else { return }
        kill(-pid, SIGTERM)
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        while isRunning && DispatchTime.now().uptimeNanoseconds < deadline { usleep(20_000) }
        if isRunning { kill(-pid, SIGKILL) }
        _ = reap(block: true)
    }

    private func reap(block: Bool) -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, block ? 0 : WNOHANG)
        if result == pid { status = raw } else if result < 0 { status = -1 }
        return status
    }
}
