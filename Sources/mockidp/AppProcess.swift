import CSpawn
import Dispatch
import FoundationEssentials
import Glibc
import HTTP
import Synchronization

/// The app `mockidp serve -- COMMAND ARGS…` runs beside the mock: started in a process group of
/// its own with the SDK environment, sharing serve's stdout and stderr (so its output reaches the
/// terminal as it would alone). SIGINT, SIGTERM and SIGHUP to serve go to the app's whole group;
/// an app that has not exited 10 s after that gets SIGKILL. On Linux the app also gets SIGTERM
/// if serve itself dies (parent-death signal), and a supervisor sends its whole group SIGTERM,
/// then SIGKILL 10 s later, once serve is gone by any signal (SIGKILL included), so nothing a
/// wrapper such as `sh -c` started is left behind either.
struct AppProcess {
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    /// What the signal handlers and the waiter share: the app's pid once it runs, a signal that
    /// came before that, and the exit code once it is known.
    private struct State {
        var pid: pid_t?
        var pendingSignal: Int32?
        var exitCode: Int32?
    }

    private final class Shared: Sendable {
        let state = Mutex(State())
        func withLock<T>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
    }

    /// Starts the app and blocks until it exits, forwarding termination signals to its group
    /// meanwhile; `started` runs once it is running. Returns its exit status, or 128 + the signal
    /// that ended it (the shell's convention). Must be called on the main thread: the
    /// parent-death signal fires when the forking thread ends.
    static func run(
        _ command: [String], environment: [String: String], killAfter grace: Int = 10,
        started: (pid_t) -> Void = { _ in }
    ) throws -> Int32 {
        let shared = Shared()
        // Observed before the app starts; one that came even earlier is still pending (`main`
        // blocks them), and one before the app has a pid is forwarded once it has.
        TerminationSignals.observe { signalNumber in
            let target = shared.withLock { state -> pid_t? in
                if state.pid == nil { state.pendingSignal = signalNumber }
                return state.exitCode == nil ? state.pid : nil
            }
            if let target { forward(signalNumber, to: target, shared: shared, grace: grace) }
        }

        let pid = try spawn(command, environment: environment, grace: grace)
        let pending = shared.withLock { state -> Int32? in
            state.pid = pid
            return state.pendingSignal
        }
        if let pending { forward(pending, to: pid, shared: shared, grace: grace) }
        started(pid)
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let code = exitCode(raw)
        shared.withLock { $0.exitCode = code }
        // Anything the app left running in its group goes with it.
        kill(-pid, SIGTERM)
        return code
    }

    /// To the app's whole group (a shell wrapper's children get it too); SIGKILL if it is still
    /// running `grace` seconds later.
    private static func forward(_ signalNumber: Int32, to pid: pid_t, shared: Shared, grace: Int) {
        kill(-pid, signalNumber)
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(grace)) {
            if shared.withLock({ $0.exitCode == nil }) { kill(-pid, SIGKILL) }
        }
    }

    /// The supervisor's pipe stays open for serve's whole life (it is never released): its EOF
    /// when serve exits is what ends anything left in the app's group.
    private static func spawn(_ command: [String], environment: [String: String], grace: Int) throws -> pid_t {
        guard let program = command.first, !program.isEmpty else {
            throw StartError(description: "mockidp serve --: name the command to start after --, e.g. mockidp serve -- python app.py")
        }
        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        let pid = argv.withUnsafeBufferPointer { args in
            envp.withUnsafeBufferPointer { env in
                var supervisor: Int32 = -1
                return mockidp_spawn_supervised(args.baseAddress, env.baseAddress, -1, SIGTERM, nil, Int32(clamping: grace), &supervisor)
            }
        }
        guard pid > 0 else {
            throw StartError(description: "mockidp serve: cannot start '\(program)': \(String(cString: strerror(-pid)))")
        }
        return pid
    }

    static func exitCode(_ raw: Int32) -> Int32 {
        let signalNumber = raw & 0x7F
        if signalNumber == 0 { return (raw >> 8) & 0xFF }
        return 128 + signalNumber
    }
}
