/// Named limits shared by the server's request parser and the client's response parser.
package struct HTTPLimits: Sendable, Hashable {
    /// Request line (or status line) plus all header lines, including CRLFs. Past it: 431.
    package var maxHeadSize: Int = 16 * 1024
    /// Header fields per message. Past it: 431.
    package var maxHeaderCount: Int = 100
    /// Decoded body bytes (Content-Length or the sum of chunks). Past it: 413.
    package var maxBodySize: Int = 1 << 20
    /// Method token length. Past it: 400 (nobody's real method is 33 bytes long).
    package var maxMethodLength: Int = 32
    /// Request-target length. Past it: 414.
    package var maxTargetLength: Int = 8 * 1024
    /// A chunk-size line (with extensions), and each trailer line.
    package var maxChunkLineLength: Int = 1024
    /// Accept `Transfer-Encoding: chunked` request bodies (always within `maxBodySize`).
    /// When false, a chunked request gets 411 Length Required.
    package var allowChunkedRequests: Bool = true

    package init() {}
}

// MARK: - Byte classes

@usableFromInline let cr: UInt8 = 0x0D
@usableFromInline let lf: UInt8 = 0x0A
@usableFromInline let sp: UInt8 = 0x20
@usableFromInline let htab: UInt8 = 0x09

private let tcharTable: [Bool] = {
    var table = [Bool](repeating: false, count: 256)
    for byte in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(byte)] = true }
    for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(byte)] = true }
    for byte in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(byte)] = true }
    for byte in "!#$%&'*+-.^_`|~".utf8 { table[Int(byte)] = true }
    return table
}()

@inline(__always) func isTChar(_ byte: UInt8) -> Bool { tcharTable[Int(byte)] }

/// Control bytes forbidden anywhere in a head (CR and LF are handled separately, HTAB is allowed).
@inline(__always) func isForbiddenControl(_ byte: UInt8) -> Bool {
    (byte < 0x20 && byte != htab && byte != cr && byte != lf) || byte == 0x7F
}

// MARK: - Request parser

/// An incremental, strict HTTP/1.x request parser.
///
/// Feed bytes as they arrive with `feed(_:)`, then call `next()` until it answers `.needMore`:
/// pipelined requests come out one per call. After `.error`, the parser stays failed; the server
/// answers with the status and closes the connection.
///
/// Decisions (documented because they are choices):
/// - Only origin-form targets (`/path?query`) and `*` (OPTIONS only). Absolute-form
///   (`http://host/path`) and authority-form are refused with 400: this is not a proxy.
/// - `HTTP/1.0` and `HTTP/1.1` only. Another well-formed `HTTP/x.y` (e.g. the HTTP/2 preface
///   `PRI * HTTP/2.0`) gets 505; anything else in the version slot is 400.
/// - CRLF only: a bare LF or bare CR is 400. Control bytes (NUL...) are 400. obs-fold is 400.
/// - HTTP/1.1 requests need exactly one Host header (400 otherwise, RFC 9112 §3.2).
/// - Up to one empty line before the request line is ignored (RFC 9112 §2.2); more count as head.
/// - `Transfer-Encoding: chunked` is supported within `maxBodySize` (unless disabled: 411); any
///   other transfer coding is 501; Transfer-Encoding together with Content-Length is 400;
///   Transfer-Encoding in an HTTP/1.0 request is 400.
/// - Content-Length: digits only; repeated fields (or a list) must agree, else 400; larger than
///   `maxBodySize` is 413 (decided from the header, before any body byte is read).
package struct HTTPRequestParser: Sendable {
    package enum Result: Sendable, Equatable {
        case needMore
        case request(HTTPRequest)
        case error(status: Int, reason: String)
    }

    private enum State: Sendable {
        case head
        case body(HTTPRequest, remaining: Int)
        case chunked(HTTPRequest, ChunkedDecoder)
        case failed(status: Int, reason: String)
    }

    package let limits: HTTPLimits
    private var buffer: [UInt8] = []
    /// Start of the unconsumed bytes (the current message).
    private var position = 0
    /// Next byte to scan in the head.
    private var scanIndex = 0
    private var lineStart = 0
    private var lineCount = 0
    private var skippedEmptyLine = false
    private var state: State = .head
    private var continuePending = false

    package init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
        buffer.reserveCapacity(4096)
    }

    /// True when no byte of a next request has arrived (between requests).
    package var isIdle: Bool {
        if case .head = state { return position == buffer.count }
        return false
    }

    /// True once the head of the current request is complete and its body is being read.
    package var isReadingBody: Bool {
        switch state {
        case .body, .chunked: return true
        default: return false
        }
    }

    /// True (once) when the request being read asked for `Expect: 100-continue` and its body has
    /// not fully arrived: the server should send `100 Continue`.
    package mutating func takeContinueRequest() -> Bool {
        defer { continuePending = false }
        return continuePending
    }

    package mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        compactIfBetweenRequests()
        buffer.append(contentsOf: bytes)
    }

    package mutating func feed(_ bytes: some Collection<UInt8>) {
        compactIfBetweenRequests()
        buffer.append(contentsOf: bytes)
    }

    private mutating func compactIfBetweenRequests() {
        guard position > 0, case .head = state, scanIndex == position else { return }
        if position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else {
            buffer.removeSubrange(0..<position)
        }
        position = 0
        scanIndex = 0
        lineStart = 0
    }

    /// Parses the next complete request from the buffered bytes.
    package mutating func next() -> Result {
        switch state {
        case .failed(let status, let reason):
            return .error(status: status, reason: reason)
        case .head:
            return parseHead()
        case .body(let request, let remaining):
            return finishBody(request, length: remaining)
        case .chunked(let request, var decoder):
            state = .head  // avoid a copy-on-write of the decoder's body while it is in `state`
            switch decoder.consume(buffer, &position) {
            case .needMore:
                state = .chunked(request, decoder)
                return .needMore
            case .done:
                var request = request
                request.body = decoder.body
                return complete(request)
            case .error(let status, let reason):
                return fail(status, reason)
            }
        }
    }

    private mutating func fail(_ status: Int, _ reason: String) -> Result {
        state = .failed(status: status, reason: reason)
        return .error(status: status, reason: reason)
    }

    private mutating func complete(_ request: HTTPRequest) -> Result {
        state = .head
        scanIndex = position
        lineStart = position
        lineCount = 0
        skippedEmptyLine = false
        continuePending = false
        return .request(request)
    }

    private mutating func parseHead() -> Result {
        let end = buffer.count
        var index = scanIndex
        var headEnd = -1
        let maxHeadSize = limits.maxHeadSize
        let maxLines = limits.maxHeaderCount + 1
        let snapshot = buffer
        let scanResult: Result? = snapshot.withUnsafeBufferPointer { bytes -> Result? in
            while index < end {
                let byte = bytes[index]
                if byte == lf {
                    guard index > position, bytes[index - 1] == cr else {
                        return .error(status: 400, reason: "bare LF line ending; HTTP/1.1 requires CRLF")
                    }
                    if index - 1 == lineStart {
                        // An empty line: end of head, or one tolerated CRLF before the request line.
                        if lineCount == 0 {
                            if skippedEmptyLine {
                                return .error(status: 400, reason: "empty lines before the request line")
                            }
                            skippedEmptyLine = true
                            lineStart = index + 1
                        } else {
                            headEnd = index + 1
                            index += 1
                            return nil
                        }
                    } else {
                        lineCount += 1
                        if lineCount > maxLines {
                            return .error(status: 431, reason: "more than \(maxLines - 1) header fields")
                        }
                        if lineCount == 1, let error = validateRequestLineEarly(bytes, lineStart, index - 1) {
                            return error
                        }
                        lineStart = index + 1
                    }
                } else {
                    if index > position && bytes[index - 1] == cr {
                        return .error(status: 400, reason: "bare CR in the request head")
                    }
                    if isForbiddenControl(byte) {
                        return .error(status: 400, reason: "control byte 0x\(String(byte, radix: 16)) in the request head")
                    }
                    if lineCount == 0 && index - lineStart == limits.maxMethodLength + 1 {
                        // The method must have ended by now.
                        if !bytes[lineStart...index].contains(sp) {
                            return .error(status: 400, reason: "method longer than \(limits.maxMethodLength) bytes")
                        }
                    }
                }
                index += 1
                if index - position > maxHeadSize {
                    return .error(
                        status: lineCount == 0 ? 414 : 431,
                        reason: "request head larger than \(maxHeadSize) bytes")
                }
            }
            return nil
        }
        scanIndex = index
        if case .error(let status, let reason)? = scanResult { return fail(status, reason) }
        guard headEnd >= 0 else { return .needMore }
        return buildRequest(headEnd: headEnd)
    }

    /// Checks the request line as soon as its CRLF arrives (so garbage fails fast). `end` is the CR.
    private func validateRequestLineEarly(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Result? {
        switch parseRequestLine(bytes, start, end) {
        case .failure(let error): return .error(status: error.status, reason: error.reason)
        case .success: return nil
        }
    }

    private struct LineError: Error {
        let status: Int
        let reason: String
    }

    private struct RequestLine {
        var method: String
        var target: String
        var version: HTTPVersion
    }

    private func parseRequestLine(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Swift.Result<RequestLine, LineError> {
        // method SP request-target SP HTTP-version, single spaces.
        var index = start
        while index < end && bytes[index] != sp {
            guard isTChar(bytes[index]) else { return .failure(LineError(status: 400, reason: "invalid byte in method")) }
            index += 1
        }
        let methodEnd = index
        guard methodEnd > start else { return .failure(LineError(status: 400, reason: "empty method")) }
        guard methodEnd - start <= limits.maxMethodLength else {
            return .failure(LineError(status: 400, reason: "method longer than \(limits.maxMethodLength) bytes"))
        }
        guard index < end else { return .failure(LineError(status: 400, reason: "malformed request line")) }
        index += 1
        let targetStart = index
        while index < end && bytes[index] != sp {
            let byte = bytes[index]
            guard byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "#") else {
                return .failure(LineError(status: 400, reason: "invalid byte in request-target"))
            }
            index += 1
        }
        let targetEnd = index
        guard targetEnd > targetStart else { return .failure(LineError(status: 400, reason: "empty request-target")) }
        guard targetEnd - targetStart <= limits.maxTargetLength else {
            return .failure(LineError(status: 414, reason: "request-target longer than \(limits.maxTargetLength) bytes"))
        }
        guard index < end else { return .failure(LineError(status: 400, reason: "malformed request line: no HTTP version")) }
        index += 1
        let versionBytes = UnsafeBufferPointer(rebasing: bytes[index..<end])
        let version: HTTPVersion
        if versionBytes.elementsEqual("HTTP/1.1".utf8) {
            version = .http1_1
        } else if versionBytes.elementsEqual("HTTP/1.0".utf8) {
            version = .http1_0
        } else if versionBytes.count == 8, versionBytes.starts(with: "HTTP/".utf8),
            (0x30...0x39).contains(versionBytes[5]), versionBytes[6] == UInt8(ascii: "."),
            (0x30...0x39).contains(versionBytes[7])
        {
            return .failure(LineError(status: 505, reason: "HTTP version not supported; use HTTP/1.1"))
        } else {
            return .failure(LineError(status: 400, reason: "malformed HTTP version"))
        }
        let method = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<methodEnd]), as: UTF8.self)
        let first = bytes[targetStart]
        if first != UInt8(ascii: "/") {
            if first == UInt8(ascii: "*") && targetEnd - targetStart == 1 {
                guard method == "OPTIONS" else {
                    return .failure(LineError(status: 400, reason: "asterisk-form request-target is only for OPTIONS"))
                }
            } else {
                return .failure(LineError(status: 400, reason: "request-target must start with '/' (absolute-form is not supported)"))
            }
        }
        let target = String(decoding: UnsafeBufferPointer(rebasing: bytes[targetStart..<targetEnd]), as: UTF8.self)
        return .success(RequestLine(method: method, target: target, version: version))
    }

    private mutating func buildRequest(headEnd: Int) -> Result {
        let snapshot = buffer
        let built: Swift.Result<(HTTPRequest, bodyLength: Int?, chunked: Bool), LineError> =
            snapshot.withUnsafeBufferPointer { bytes in
                var lineStart = position
                // Skip the tolerated empty line.
                if bytes[lineStart] == cr { lineStart += 2 }
                var lineEnd = lineStart
                while bytes[lineEnd] != cr { lineEnd += 1 }
                let requestLine: RequestLine
                switch parseRequestLine(bytes, lineStart, lineEnd) {
                case .failure(let error): return .failure(error)
                case .success(let line): requestLine = line
                }
                var headers = HTTPHeaders()
                headers.fields.reserveCapacity(lineCount - 1)
                var hostCount = 0
                var contentLength: Int? = nil
                var transferEncoding: [String] = []
                var expectContinue = false
                lineStart = lineEnd + 2
                while lineStart < headEnd - 2 {
                    lineEnd = lineStart
                    while bytes[lineEnd] != cr { lineEnd += 1 }
                    let first = bytes[lineStart]
                    if first == sp || first == htab {
                        return .failure(LineError(status: 400, reason: "obsolete line folding in headers"))
                    }
                    var colon = lineStart
                    while colon < lineEnd && isTChar(bytes[colon]) { colon += 1 }
                    guard colon < lineEnd, bytes[colon] == UInt8(ascii: ":"), colon > lineStart else {
                        return .failure(LineError(status: 400, reason: "malformed header field (expected 'name: value')"))
                    }
                    var valueStart = colon + 1
                    var valueEnd = lineEnd
                    while valueStart < valueEnd && (bytes[valueStart] == sp || bytes[valueStart] == htab) { valueStart += 1 }
                    while valueEnd > valueStart && (bytes[valueEnd - 1] == sp || bytes[valueEnd - 1] == htab) { valueEnd -= 1 }
                    let nameBytes = UnsafeBufferPointer(rebasing: bytes[lineStart..<colon])
                    let valueBytes = UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd])
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    let value = String(decoding: valueBytes, as: UTF8.self)
                    headers.fields.append((name: name, value: value))
                    switch nameBytes.count {
                    case 4 where asciiCaseInsensitiveEquals(name, "host"):
                        hostCount += 1
                    case 14 where asciiCaseInsensitiveEquals(name, "content-length"):
                        for item in valueBytes.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                            var digits = item[...]
                            while let b = digits.first, b == sp || b == htab { digits = digits.dropFirst() }
                            while let b = digits.last, b == sp || b == htab { digits = digits.dropLast() }
                            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                                return .failure(LineError(status: 400, reason: "Content-Length must be a non-negative decimal integer"))
                            }
                            var length = 0
                            if digits.count > 15 {
                                length = Int.max
                            } else {
                                for digit in digits { length = length * 10 + Int(digit - 0x30) }
                            }
                            if let existing = contentLength, existing != length {
                                return .failure(LineError(status: 400, reason: "conflicting Content-Length values"))
                            }
                            contentLength = length
                        }
                    case 17 where asciiCaseInsensitiveEquals(name, "transfer-encoding"):
                        for item in value.split(separator: ",") {
                            let token = item.trimmingASCIIWhitespace().lowercased()
                            if !token.isEmpty { transferEncoding.append(token) }
                        }
                    case 6 where asciiCaseInsensitiveEquals(name, "expect"):
                        if asciiCaseInsensitiveEquals(value, "100-continue") { expectContinue = true }
                    default:
                        break
                    }
                    lineStart = lineEnd + 2
                }
                if requestLine.version == .http1_1 && hostCount != 1 {
                    return .failure(LineError(status: 400, reason: hostCount == 0 ? "missing Host header" : "multiple Host headers"))
                }
                var request = HTTPRequest(
                    method: requestLine.method, target: requestLine.target, version: requestLine.version,
                    headers: headers)
                request.body = []
                var chunked = false
                if !transferEncoding.isEmpty {
                    if contentLength != nil {
                        return .failure(LineError(status: 400, reason: "both Transfer-Encoding and Content-Length"))
                    }
                    if requestLine.version == .http1_0 {
                        return .failure(LineError(status: 400, reason: "Transfer-Encoding in an HTTP/1.0 request"))
                    }
                    guard transferEncoding == ["chunked"] else {
                        return .failure(LineError(status: 501, reason: "unsupported Transfer-Encoding (only 'chunked')"))
                    }
                    guard limits.allowChunkedRequests else {
                        return .failure(LineError(status: 411, reason: "chunked request bodies are not accepted; send Content-Length"))
                    }
                    chunked = true
                }
                if let contentLength, contentLength > limits.maxBodySize {
                    return .failure(LineError(status: 413, reason: "body larger than \(limits.maxBodySize) bytes"))
                }
                if expectContinue { continuePendingHint = true }
                return .success((request, contentLength, chunked))
            }
        switch built {
        case .failure(let error):
            return fail(error.status, error.reason)
        case .success(let (request, bodyLength, chunked)):
            position = headEnd
            let wantsContinue = continuePendingHint
            continuePendingHint = false
            if chunked {
                state = .chunked(request, ChunkedDecoder(maxBodySize: limits.maxBodySize, maxLineLength: limits.maxChunkLineLength))
                let result = next()
                if case .needMore = result, wantsContinue { continuePending = true }
                return result
            }
            let length = bodyLength ?? 0
            if length == 0 { return complete(request) }
            state = .body(request, remaining: length)
            let result = finishBody(request, length: length)
            if case .needMore = result, wantsContinue, buffer.count == position { continuePending = true }
            return result
        }
    }

    private var continuePendingHint = false

    private mutating func finishBody(_ request: HTTPRequest, length: Int) -> Result {
        guard buffer.count - position >= length else { return .needMore }
        var request = request
        request.body = Array(buffer[position..<(position + length)])
        position += length
        return complete(request)
    }
}

// MARK: - Chunked decoding (shared by the request and response parsers)

struct ChunkedDecoder: Sendable {
    enum Step: Sendable {
        case needMore
        case done
        case error(status: Int, reason: String)
    }

    private enum Phase: Sendable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailer
    }

    private var phase: Phase = .size
    private(set) var body: [UInt8] = []
    private var trailerLines = 0
    let maxBodySize: Int
    let maxLineLength: Int

    init(maxBodySize: Int, maxLineLength: Int) {
        self.maxBodySize = maxBodySize
        self.maxLineLength = maxLineLength
    }

    /// Finds a CRLF-terminated line starting at `position`; returns the CR's index.
    private func findLine(_ buffer: [UInt8], _ position: Int) -> Swift.Result<Int?, ChunkError> {
        var index = position
        while index < buffer.count {
            let byte = buffer[index]
            if byte == lf { return .failure(ChunkError(reason: "bare LF in chunked encoding")) }
            if byte == cr {
                guard index + 1 < buffer.count else { return .success(nil) }
                guard buffer[index + 1] == lf else { return .failure(ChunkError(reason: "bare CR in chunked encoding")) }
                return .success(index)
            }
            if isForbiddenControl(byte) { return .failure(ChunkError(reason: "control byte in chunked encoding")) }
            index += 1
            if index - position > maxLineLength { return .failure(ChunkError(reason: "chunk line too long")) }
        }
        return .success(nil)
    }

    private struct ChunkError: Error { let reason: String }

    mutating func consume(_ buffer: [UInt8], _ position: inout Int) -> Step {
        while true {
            switch phase {
            case .size:
                let lineEnd: Int
                switch findLine(buffer, position) {
                case .failure(let error): return .error(status: 400, reason: error.reason)
                case .success(nil): return .needMore
                case .success(let end?): lineEnd = end
                }
                var size = 0
                var index = position
                while index < lineEnd, let digit = hexValue(buffer[index]) {
                    size = size * 16 + Int(digit)
                    index += 1
                    if index - position > 8 { return .error(status: 413, reason: "chunk size too large") }
                }
                guard index > position else { return .error(status: 400, reason: "malformed chunk size") }
                // Allow chunk extensions (`;name=value`) and whitespace before them; ignore them.
                if index < lineEnd {
                    let rest = buffer[index..<lineEnd].drop { $0 == sp || $0 == htab }
                    guard rest.first == UInt8(ascii: ";") else { return .error(status: 400, reason: "malformed chunk size line") }
                }
                position = lineEnd + 2
                if size == 0 {
                    phase = .trailer
                } else {
                    guard body.count + size <= maxBodySize else {
                        return .error(status: 413, reason: "body larger than \(maxBodySize) bytes")
                    }
                    body.reserveCapacity(body.count + size)
                    phase = .data(remaining: size)
                }
            case .data(let remaining):
                let available = buffer.count - position
                guard available > 0 else { return .needMore }
                let take = min(available, remaining)
                body.append(contentsOf: buffer[position..<(position + take)])
                position += take
                phase = take == remaining ? .dataEnd : .data(remaining: remaining - take)
                if take < remaining { return .needMore }
            case .dataEnd:
                guard buffer.count - position >= 2 else { return .needMore }
                guard buffer[position] == cr, buffer[position + 1] == lf else {
                    return .error(status: 400, reason: "chunk data not followed by CRLF")
                }
                position += 2
                phase = .size
            case .trailer:
                let lineEnd: Int
                switch findLine(buffer, position) {
                case .failure(let error): return .error(status: 400, reason: error.reason)
                case .success(nil): return .needMore
                case .success(let end?): lineEnd = end
                }
                let empty = lineEnd == position
                position = lineEnd + 2
                if empty { return .done }
                trailerLines += 1
                if trailerLines > 32 { return .error(status: 431, reason: "too many trailer fields") }
            }
        }
    }
}
