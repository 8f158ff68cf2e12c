import CSpawn
import Essentials
import FoundationEssentials
import Glibc
import Synchronization

/// The app under test as a child process that cannot outlive the runner: it runs in a process
/// group of its own (so stopping it also stops whatever it started), gets SIGKILL if the runner
/// dies (Linux parent-death signal, which covers SIGKILL and crashes), its whole group gets
/// SIGKILL from a supervisor when the runner dies (the parent-death signal alone would spare what
/// a wrapper such as `sh -c` or `npm start` started), and it writes its output to a temp file
/// that is unlinked as soon as it is open, so nothing is left in /tmp either.
///
/// The parent-death signal follows the *thread* that spawned the child: start apps from a
/// thread that lives as long as the run (the main thread does).
package final class AppProcessGroup: Sendable {
    package let pid: pid_t
    private let outputFD: Int32
    private let exitStatus = Mutex<Int32?>(nil)

    /// Every app group still running, so an interrupted run can stop them all.
    private static let live = Mutex<Set<pid_t>>([])

    /// `directory` (the profile's `start.cwd`) is where the app runs; a relative program path in
    /// `command[0]` is still taken from the runner's own directory, as a shell would before `cd`.
    package static func start(command: [String], environment: [String: String], directory: String? = nil) throws(AppUnreachable) -> AppProcessGroup {
        guard let program = command.first else { throw AppUnreachable("app unreachable: the profile's start command is empty") }
        var command = command
        if directory != nil, program.contains("/"), !program.hasPrefix("/") {
            command[0] = FileManager.default.currentDirectoryPath + "/" + program
        }
        var template = Array("\(FileManager.default.temporaryDirectory.path)/mockidp-app-XXXXXX.log".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemps($0, 4) } ?? -1 }
        guard fd >= 0 else {
            throw AppUnreachable(
                "app unreachable: cannot create a log file in \(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { buffer in _ = buffer.baseAddress.map { unlink($0) } }
        var supervisor: Int32 = -1
        let pid = withCStrings(command) { argv in
            withCStrings(environment.map { "\($0.key)=\($0.value)" }) { envp in
                mockidp_spawn_supervised(argv, envp, fd, SIGKILL, directory, 0, &supervisor)
            }
        }
        guard pid > 0 else {
            close(fd)
            throw AppUnreachable(
                "app unreachable: cannot start '\(command.joined(separator: " "))'\(directory.map { " in \($0)" } ?? ""): \(String(cString: strerror(-pid)))"
            )
        }
        live.withLock { _ = $0.insert(pid) }
        return AppProcessGroup(pid: pid, outputFD: fd, supervisor: supervisor)
    }

    private init(pid: pid_t, outputFD: Int32, supervisor: Int32) {
        self.pid = pid
        self.outputFD = outputFD
        self.supervisor = Mutex(supervisor)
    }

    /// The write end of the supervisor's pipe until the group is stopped (then -1).
    private let supervisor: Mutex<Int32>

    deinit {
        stop()
        close(outputFD)
    }

    package var isRunning: Bool { reap(block: false) == nil }

    /// The wait status once the app has exited (`exit code` or `signal`), for messages.
    package var terminationDescription: String {
        guard let status = reap(block: false) else { return "still running" }
        if status & 0x7f == 0 { return "status \((status >> 8) & 0xff)" }
        return "signal \(status & 0x7f)"
    }

    /// SIGTERM to the whole group, SIGKILL after `grace` seconds, then reaps the app. An app that
    /// already exited may have left children in its group: they get SIGKILL.
    package func stop(grace: Double = 3) {
        // Once: a second call (deinit after an explicit stop) must not signal a group ID that,
        // long after the group ended, may name someone else's group.
        let supervisorFD = supervisor.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        guard supervisorFD >= 0 else { return }
        defer { mockidp_release_supervisor(supervisorFD) }
        guard reap(block: false) == nil else {
            kill(-pid, SIGKILL)
            return
        }
        kill(-pid, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        // Polling waitpid: a blocking wait cannot time out, and the app gets `grace` to shut down.
        while reap(block: false) == nil && Date() < deadline { usleep(10_000) }
        kill(-pid, SIGKILL)
        _ = reap(block: true)
    }

    /// SIGKILL to every app group still running: the interrupted run's last act.
    package static func killAll() {
        for pid in live.withLock({ $0 }) { kill(-pid, SIGKILL) }
    }

    /// The app's output so far, for "app unreachable" reports.
    package func output(lastLines lines: Int) -> String {
        var size = stat()
        guard fstat(outputFD, &size) == 0, size.st_size > 0 else { return "" }
        let length = Int(min(size.st_size, 64 * 1024))
        var bytes = [UInt8](repeating: 0, count: length)
        let read = bytes.withUnsafeMutableBytes { pread(outputFD, $0.baseAddress, length, off_t(size.st_size) - off_t(length)) }
        guard read > 0 else { return "" }
        return String(decoding: bytes.prefix(read), as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    private func reap(block: Bool) -> Int32? {
        exitStatus.withLock { known in
            if let known { return known }
            var status: Int32 = 0
            let result = waitpid(pid, &status, block ? 0 : WNOHANG)
            guard result == pid || (result < 0 && errno == ECHILD) else { return nil }
            known = result == pid ? status : 0
            Self.live.withLock { _ = $0.remove(pid) }
            return known
        }
    }
}
