import Dispatch
import FoundationEssentials
import Glibc
import HTTP
import Synchronization

/// Writes log lines to a file descriptor from a thread of its own, so a slow or stuck reader
/// of stderr (a pipe nobody drains) never holds up a request: serving threads only append to a
/// bounded buffer, and when it is full the line is dropped and counted. The count is written
/// as a line of its own once the sink drains again.
///
/// Cheap on the request path (logging to a file cost 60 % of the JWKS throughput): a line is
/// bytes appended under the lock of one of several buffers, chosen by thread, so 50 connection
/// threads do not queue on one lock (as the journal found too); only a line that finds the
/// writer idle wakes it, and it lets lines gather for 2 ms before it takes them all in one
/// `write`. A connection's lines stay in order (its thread keeps its buffer); lines of
/// different connections within those 2 ms may not be.
package final class LineWriter: Sendable {
    private struct Buffer {
        var bytes: [UInt8] = []
        var dropped = 0
        var closed = false
    }
    private final class Shard: Sendable {
        let buffer = Mutex(Buffer())
    }

    private let fd: Int32
    private let capacityBytes: Int
    private let buffers: [Shard]
    /// Set by the line that wakes the writer, cleared by the writer before it takes the lines.
    private let wakeRequested = Atomic<Bool>(false)
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let droppedTotal = Atomic<Int>(0)
    /// How long a line may wait for others before the writer takes them all in one `write`.
    private static let gatherMicroseconds: UInt32 = 2_000

    /// `capacityBytes` of lines may wait for the sink (shared by the buffers); past that, lines are dropped.
    package init(fd: Int32 = STDERR_FILENO, capacityBytes: Int = 1 << 20, bufferCount: Int = 16) {
        self.fd = fd
        self.capacityBytes = max(1, capacityBytes / max(1, bufferCount))
        buffers = (0..<max(1, bufferCount)).map { _ in Shard() }
        BackgroundThread.start { [self] in drain() }
    }

    /// Never blocks on the sink.
    package func write(_ line: String) {
        var line = line
        line.withUTF8 { write(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// One line without its newline. Never blocks on the sink.
    package func write(bytes line: UnsafeRawBufferPointer) {
        let size = line.count + 1
        let thread = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: UInt(pthread_self()))))
        // Thread structures are aligned: the low bits carry nothing.
        let shard = buffers[Int((thread >> 12) % UInt(buffers.count))]
        let accepted = shard.buffer.withLock { buffer -> Bool in
            guard !buffer.closed, buffer.bytes.count + size <= capacityBytes else {
                buffer.dropped += 1
                return false
            }
            buffer.bytes.append(contentsOf: line)
            buffer.bytes.append(UInt8(ascii: "\n"))
            return true
        }
        if !accepted { droppedTotal.add(1, ordering: .relaxed) }
        if !wakeRequested.load(ordering: .relaxed), !wakeRequested.exchange(true, ordering: .acquiringAndReleasing) { ready.signal() }
    }

    /// Lines dropped since the start because the sink was slow.
    package var dropped: Int { droppedTotal.load(ordering: .relaxed) }

    /// Writes what is buffered (waiting at most `timeout` for the sink), then stops the thread.
    package func close(timeout: Double = 1) {
        for shard in buffers { shard.buffer.withLock { $0.closed = true } }
        ready.signal()
        _ = finished.wait(timeout: .now() + timeout)
    }

    private func drain() {
        // Swapped with each shared buffer: both keep their capacity, so steady logging allocates nothing.
        var taken: [UInt8] = []
        var out: [UInt8] = []
        while true {
            ready.wait()
            // Let lines gather: taking them one wake-up at a time made this thread fight the
            // serving threads for the locks.
            usleep(Self.gatherMicroseconds)
            wakeRequested.store(false, ordering: .sequentiallyConsistent)
            var dropped = 0
            var closed = false
            for shard in buffers {
                shard.buffer.withLock { buffer in
                    swap(&buffer.bytes, &taken)
                    dropped += buffer.dropped
                    buffer.dropped = 0
                    closed = closed || buffer.closed
                }
                out.append(contentsOf: taken)
                taken.removeAll(keepingCapacity: true)
            }
            if dropped > 0 { out.append(contentsOf: "mockidp: \(dropped) log line(s) dropped: stderr was not read fast enough\n".utf8) }
            writeAll(out)
            out.removeAll(keepingCapacity: true)
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
    /// Bytes of a path, a query or a flag's value the human log keeps; the rest is cut with a
    /// marker that says how much (an 8 KB URL made an 8 KB line, 726 MB in 30 s).
    package static let valueLimit = 512

    /// `200 GET /path?query req_… ⚑ flags`, with control characters escaped so a request cannot
    /// forge log lines or drive the terminal, and long values cut (`valueLimit`).
    package static func human(_ entry: JournalEntry) -> String { String(decoding: humanBytes(entry), as: UTF8.self) }

    /// The human line as UTF-8, written byte by byte: the log runs on every request.
    package static func humanBytes(_ entry: JournalEntry) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(96 + min(entry.path.utf8.count + entry.query.utf8.count, 2 * valueLimit))
        appendDecimal(entry.status, to: &line)
        line.append(UInt8(ascii: " "))
        appendValue(entry.method, to: &line)
        line.append(UInt8(ascii: " "))
        appendValue(entry.path, to: &line)
        if !entry.query.isEmpty {
            line.append(UInt8(ascii: "?"))
            appendValue(entry.query, to: &line)
        }
        line.append(UInt8(ascii: " "))
        appendValue(entry.requestID, to: &line)
        for (index, flag) in entry.flags.enumerated() {
            line.append(contentsOf: index == 0 ? " ⚑ ".utf8 : " ".utf8)
            appendValue("\(flag.kind.rawValue)(\(flag.reason): \(flag.field)=", to: &line)
            appendValue(flag.value, to: &line)
            line.append(UInt8(ascii: ")"))
        }
        return line
    }
    /// One JSON object per line (JSON escapes control characters itself).
    package static func json(_ entry: JournalEntry) -> String { entry.json.serializedString() }

    /// C0 controls, DEL and C1 controls as `\xNN` (`\u{NNNN}` for C1); a backslash as `\\`.
    package static func escapingControlCharacters(_ text: String) -> String {
        var bytes: [UInt8] = []
        appendEscaped(text.utf8, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `text` escaped, cut after `valueLimit` bytes (at a character boundary) with `…[+N bytes]`.
    static func appendValue(_ text: String, to line: inout [UInt8]) {
        let utf8 = text.utf8
        guard utf8.count > valueLimit else {
            appendEscaped(utf8, to: &line)
            return
        }
        var end = utf8.index(utf8.startIndex, offsetBy: valueLimit)
        // Back to the start of a scalar: a continuation byte is 0b10xxxxxx.
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
        appendEscaped(utf8[..<end], to: &line)
        line.append(contentsOf: "…[+".utf8)
        appendDecimal(utf8.distance(from: end, to: utf8.endIndex), to: &line)
        line.append(contentsOf: " bytes]".utf8)
    }

    /// Valid UTF-8 in, so a C1 control is always the pair C2 80…9F.
    static func appendEscaped(_ bytes: some Collection<UInt8>, to line: inout [UInt8]) {
        var afterC2 = false
        for byte in bytes {
            if afterC2 {
                afterC2 = false
                if (0x80...0x9F).contains(byte) {
                    line.append(contentsOf: "\\u{".utf8)
                    line.append(hex[Int(byte >> 4)])
                    line.append(hex[Int(byte & 0x0F)])
                    line.append(UInt8(ascii: "}"))
                    continue
                }
                line.append(0xC2)
            }
            switch byte {
            case UInt8(ascii: "\\"):
                line.append(UInt8(ascii: "\\"))
                line.append(UInt8(ascii: "\\"))
            case 0..<0x20, 0x7F:
                line.append(contentsOf: "\\x".utf8)
                line.append(hex[Int(byte >> 4)])
                line.append(hex[Int(byte & 0x0F)])
            case 0xC2:
                afterC2 = true
            default:
                line.append(byte)
            }
        }
        if afterC2 { line.append(0xC2) }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func appendDecimal(_ value: Int, to line: inout [UInt8]) {
        if value < 0 { line.append(UInt8(ascii: "-")) }
        let start = line.count
        var magnitude = value.magnitude
        repeat {
            line.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        line[start...].reverse()
    }
}
