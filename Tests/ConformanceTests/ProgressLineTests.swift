import Foundation
import Synchronization
import TestSupport
import Testing

@testable import Conformance

/// The live status line of `mockidp run`: when it is drawn, what it says, and (through a
/// pseudo-terminal) that a real run draws it in place only where a person reads it.
@Suite struct ProgressLineTests {
    @Test func onlyAPersonAtATerminalGetsIt() {
        #expect(ProgressLine.wanted(environment: [:], noColorFlag: false, isTerminal: true))
        #expect(!ProgressLine.wanted(environment: [:], noColorFlag: false, isTerminal: false))
        #expect(!ProgressLine.wanted(environment: ["CI": "true"], noColorFlag: false, isTerminal: true))
        #expect(!ProgressLine.wanted(environment: ["CI": "1"], noColorFlag: false, isTerminal: true))
        #expect(ProgressLine.wanted(environment: ["CI": "false"], noColorFlag: false, isTerminal: true))
        #expect(ProgressLine.wanted(environment: ["CI": ""], noColorFlag: false, isTerminal: true))
        #expect(!ProgressLine.wanted(environment: ["NO_COLOR": ""], noColorFlag: false, isTerminal: true))
        #expect(!ProgressLine.wanted(environment: [:], noColorFlag: true, isTerminal: true))
    }

    @Test func theLineSaysWhatIsDoneWhatWaitsAndWhatIsLeft() {
        let line = ProgressLine(
            done: 12, total: 139, failures: 1, elapsed: 24,
            running: [.init(id: "token.expired", seconds: 2.2), .init(id: "jwks.rotation", seconds: 45), .init(id: "a", seconds: 1)])
        #expect(line.text(width: 200) == "[12/139] 1 failed · waiting for jwks.rotation 45s, token.expired 2s, a 1s · about 4m14s left")
        let start = ProgressLine(done: 0, total: 5, failures: 0, elapsed: 3, running: [])
        #expect(start.text(width: 200) == "[0/5] no failures · estimating the time left")
        let many = ProgressLine(done: 1, total: 9, failures: 0, elapsed: 1, running: (1...5).map { .init(id: "s\($0)", seconds: Double($0)) })
        #expect(many.text(width: 200).contains("waiting for s5 5s, s4 4s, s3 3s +2 more"))
        let cut = line.text(width: 30)
        #expect(cut.count == 30 && cut.hasSuffix("…"))
        #expect(ProgressLine.duration(3725) == "1h02m" && ProgressLine.duration(65) == "1m05s" && ProgressLine.duration(.infinity) == "0s")
    }

    @Test func finishedLinesArePrintedAboveTheStatusLine() {
        let written = Mutex<[String]>([])
        let display = ProgressDisplay(total: 2) { text in written.withLock { $0.append(text) } }
        display.started("a")
        display.started("b")
        display.finished("a", failed: true, line: "[1/2] FAIL  a")
        display.stop()
        display.finished("b", failed: false, line: "[2/2] PASS  b")
        let output = written.withLock { $0 }
        #expect(output.count == 2)
        #expect(
            output.first?.hasPrefix(ProgressDisplay.clear + "[1/2] FAIL  a\n" + ProgressDisplay.clear + "[1/2] 1 failed · waiting for b ") == true)
        #expect(output.last == ProgressDisplay.clear)
    }

    /// `mockidp run` on a pseudo-terminal draws the status line (erase, then the line) after the
    /// scenario lines; with `CI` set, on the same terminal, it prints plain lines only.
    @Test func aRunOnATerminalDrawsTheLineAndACILogDoesNot() throws {
        let arguments = ["run", "--filter", "token.expired", "--seed", "3"]
        let terminal = try PseudoTerminal.run(arguments, environment: ["CI": nil, "NO_COLOR": nil])
        #expect(terminal.status == 0, "\(terminal.output)")
        #expect(terminal.output.contains("\r\u{1B}[K[1/1] no failures"), "\(terminal.output.debugDescription)")
        let ci = try PseudoTerminal.run(arguments, environment: ["CI": "true", "NO_COLOR": nil])
        #expect(ci.status == 0)
        #expect(ci.output.contains("PASS") && ci.output.contains("token.expired"))
        #expect(!ci.output.contains("\u{1B}[K"))
    }
}

/// Runs the built mockidp with a pseudo-terminal as its stdout and stderr.
enum PseudoTerminal {
    static func run(_ arguments: [String], environment changes: [String: String?]) throws -> (status: Int32, output: String) {
        guard let path = BuiltTool.path else { throw TestFailure("the mockidp executable was not built next to the tests") }
        // Glibc's posix_openpt family is not visible to Swift, nor are these ioctls' macros: their
        // asm-generic values, _IOW('T', 0x31, int) and _IOR('T', 0x30, unsigned int).
        let unlockRequest: UInt = 0x4004_5431
        let numberRequest: UInt = 0x8004_5430
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, unlockRequest, &unlock) == 0, ioctl(master, numberRequest, &number) == 0 else {
            throw TestFailure("no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw TestFailure("cannot open /dev/pts/\(number)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = Interop.root
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in changes { environment[key] = value }
        process.environment = environment
        let handle = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        close(slave)
        // Read until the last holder of the terminal's other end is gone (EIO on Linux).
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        close(master)
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
