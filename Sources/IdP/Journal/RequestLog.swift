import Foundation
import Glibc
import Synchronization

/// Writes log lines to a file descriptor from a thread of its own, so a slow or stuck reader
/// of stderr (a pipe nobody drains) never holds up a request: serving threads only append to a
/// bounded buffer, and when it is full the line is dropped and counted. The count is written
/// as a line of its own once the sink drains again.
package final class LineWriter: Sendable {
    private struct Buffer {
        var lines: [String] = []
        var bytes = 0
        var dropped = 0
        var closed = false
    }

    private let fd: Int32
    private let capacityBytes: Int
    private let buffer = Mutex(Buffer())
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let droppedTotal = Atomic<Int>(0)

    /// `capacityBytes` of lines may wait for the sink; past that, lines are dropped.
    package init(fd: Int32 = STDERR_FILENO, capacityBytes: Int = 1 << 20) {
        self.fd = fd
        self.capacityBytes = capacityBytes
        let thread = Thread { [self] in drain() }
        thread.name = "mockidp-log"
        thread.start()
    }

    /// Never blocks on the sink.
    package func write(_ line: String) {
        let size = line.utf8.count + 1
        let accepted = buffer.withLock { buffer in
            guard !buffer.closed, buffer.bytes + size <= capacityBytes else {
                buffer.dropped += 1
                return false
            }
            buffer.lines.append(line)
            buffer.bytes += size
            return true
        }
        if accepted { ready.signal() } else { droppedTotal.add(1, ordering: .relaxed) }
    }

    /// Lines dropped since the start because the sink was slow.
    package var dropped: Int { droppedTotal.load(ordering: .relaxed) }

    /// Writes what is buffered (waiting at most `timeout` for the sink), then stops the thread.
    package func close(timeout: Double = 1) {
        buffer.withLock { $0.closed = true }
        ready.signal()
        _ = finished.wait(timeout: .now() + timeout)
    }

    private func drain() {
        while true {
            ready.wait()
            let (lines, dropped, closed) = buffer.withLock { buffer in
                defer {
                    buffer.lines.removeAll(keepingCapacity: true)
                    buffer.bytes = 0
                    buffer.dropped = 0
                }
                return (buffer.lines, buffer.dropped, buffer.closed)
            }
            var text = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
            if dropped > 0 { text += "mockidp: \(dropped) log line(s) dropped: stderr was not read fast enough\n" }
            writeAll(Array(text.utf8))
            if closed {
                finished.signal()
                return
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress?.advanced(by: offset), bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return  // a closed or broken sink: nothing useful to do with the line
            }
            offset += written
        }
    }
}

/// The request log's line formats.
package enum RequestLogFormat {
    /// `200 GET /path?query req_… ⚑ flags`, with control characters escaped so a request cannot
    /// forge log lines or drive the terminal.
    package static func human(_ entry: JournalEntry) -> String {
        let flags = entry.flags.map { "\($0.kind.rawValue)(\($0.reason): \($0.field)=\($0.value))" }.joined(separator: " ")
        let line = "\(entry.status) \(entry.method) \(entry.path)\(entry.query.isEmpty ? "" : "?" + entry.query) \(entry.requestID)\(flags.isEmpty ? "" : " ⚑ " + flags)"
        return escapingControlCharacters(line)
    }

    /// One JSON object per line (JSON escapes control characters itself).
    package static func json(_ entry: JournalEntry) -> String { entry.json.serializedString() }

    /// C0 controls, DEL and C1 controls as `\xNN` (`\u{NNNN}` for C1); a backslash as `\\`.
    package static func escapingControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\\" }) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C: result += "\\\\"
            case 0..<0x20, 0x7F:
                let hex = String(scalar.value, radix: 16)
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            case 0x80...0x9F: result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
