/// An incremental, strict HTTP/1.x request parser.
///
/// Feed bytes as they arrive with `feed(_:)`, then call `next()` until it answers `.needMore`:
/// pipelined requests come out one per call. After `.error`, the parser stays failed; the server
/// answers with the error (it carries its status) and closes the connection.
///
/// The header fields and the body's framing follow `HeaderBlock`, the rules the client's
/// response parser shares. Decisions (documented because they are choices):
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
        case error(HTTPParseError)
    }

    private enum State: Sendable {
        case head
        case body(HTTPRequest, remaining: Int)
        case chunked(HTTPRequest, ChunkedDecoder)
        case failed(HTTPParseError)
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
        case .failed(let error):
            return .error(error)
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
            case .error(let error):
                return fail(error)
            }
        }
    }

    private mutating func fail(_ error: HTTPParseError) -> Result {
        state = .failed(error)
        return .error(error)
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
                if let error = HeaderBlock.lineError(byte, afterCR: index > position && bytes[index - 1] == cr) {
                    return .error(error)
                }
                if byte == lf {
                    if index - 1 == lineStart {
                        // An empty line: end of head, or one tolerated CRLF before the request line.
                        if lineCount == 0 {
                            if skippedEmptyLine {
                                return .error(.badRequest("empty lines before the request line"))
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
                            return .error(.headerFieldsTooLarge("more than \(maxLines - 1) header fields"))
                        }
                        if lineCount == 1, let error = validateRequestLineEarly(bytes, lineStart, index - 1) {
                            return error
                        }
                        lineStart = index + 1
                    }
                } else if lineCount == 0 && index - lineStart == limits.maxMethodLength + 1 {
                    // The method must have ended by now.
                    if !bytes[lineStart...index].contains(sp) {
                        return .error(.badRequest("method longer than \(limits.maxMethodLength) bytes"))
                    }
                }
                index += 1
                if index - position > maxHeadSize {
                    return .error(
                        HTTPParseError(
                            lineCount == 0 ? .uriTooLong : .headerFieldsTooLarge,
                            "request head larger than \(maxHeadSize) bytes"))
                }
            }
            return nil
        }
        scanIndex = index
        if case .error(let error)? = scanResult { return fail(error) }
        guard headEnd >= 0 else { return .needMore }
        return buildRequest(headEnd: headEnd)
    }

    /// Checks the request line as soon as its CRLF arrives (so garbage fails fast). `end` is the CR.
    private func validateRequestLineEarly(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Result? {
        switch parseRequestLine(bytes, start, end) {
        case .failure(let error): return .error(error)
        case .success: return nil
        }
    }

    private struct RequestLine {
        var method: String
        var target: String
        var version: HTTPVersion
    }

    private func parseRequestLine(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Swift.Result<RequestLine, HTTPParseError> {
        // method SP request-target SP HTTP-version, single spaces.
        var index = start
        while index < end && bytes[index] != sp {
            guard isTChar(bytes[index]) else { return .failure(.badRequest("invalid byte in method")) }
            index += 1
        }
        let methodEnd = index
        guard methodEnd > start else { return .failure(.badRequest("empty method")) }
        guard methodEnd - start <= limits.maxMethodLength else {
            return .failure(.badRequest("method longer than \(limits.maxMethodLength) bytes"))
        }
        guard index < end else { return .failure(.badRequest("malformed request line")) }
        index += 1
        let targetStart = index
        while index < end && bytes[index] != sp {
            let byte = bytes[index]
            guard byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: "#") else {
                return .failure(.badRequest("invalid byte in request-target"))
            }
            index += 1
        }
        let targetEnd = index
        guard targetEnd > targetStart else { return .failure(.badRequest("empty request-target")) }
        guard targetEnd - targetStart <= limits.maxTargetLength else {
            return .failure(HTTPParseError(.uriTooLong, "request-target longer than \(limits.maxTargetLength) bytes"))
        }
        guard index < end else { return .failure(.badRequest("malformed request line: no HTTP version")) }
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
            return .failure(HTTPParseError(.versionNotSupported, "HTTP version not supported; use HTTP/1.1"))
        } else {
            return .failure(.badRequest("malformed HTTP version"))
        }
        let method = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<methodEnd]), as: UTF8.self)
        let first = bytes[targetStart]
        if first != UInt8(ascii: "/") {
            if first == UInt8(ascii: "*") && targetEnd - targetStart == 1 {
                guard method == "OPTIONS" else {
                    return .failure(.badRequest("asterisk-form request-target is only for OPTIONS"))
                }
            } else {
                return .failure(.badRequest("request-target must start with '/' (absolute-form is not supported)"))
            }
        }
        let target = String(decoding: UnsafeBufferPointer(rebasing: bytes[targetStart..<targetEnd]), as: UTF8.self)
        return .success(RequestLine(method: method, target: target, version: version))
    }

    private mutating func buildRequest(headEnd: Int) -> Result {
        let snapshot = buffer
        let built = snapshot.withUnsafeBufferPointer { bytes in
            Swift.Result { () throws(HTTPParseError) in try readHead(bytes, headEnd: headEnd) }
        }
        switch built {
        case .failure(let error):
            return fail(error)
        case .success(let (request, framing, wantsContinue)):
            position = headEnd
            switch framing {
            case .chunked:
                state = .chunked(request, ChunkedDecoder(maxBodySize: limits.maxBodySize, maxLineLength: limits.maxChunkLineLength))
                let result = next()
                if case .needMore = result, wantsContinue { continuePending = true }
                return result
            case .length(let length) where length > 0:
                state = .body(request, remaining: length)
                let result = finishBody(request, length: length)
                if case .needMore = result, wantsContinue, buffer.count == position { continuePending = true }
                return result
            case .length, .unframed:
                return complete(request)
            }
        }
    }

    /// The request line, the header fields, and the body's framing of a complete head.
    private func readHead(_ bytes: UnsafeBufferPointer<UInt8>, headEnd: Int) throws(HTTPParseError)
        -> (request: HTTPRequest, framing: HeaderBlock.Framing, expectsContinue: Bool)
    {
        var lineStart = position
        // Skip the tolerated empty line.
        if bytes[lineStart] == cr { lineStart += 2 }
        var lineEnd = lineStart
        while bytes[lineEnd] != cr { lineEnd += 1 }
        let requestLine = try parseRequestLine(bytes, lineStart, lineEnd).get()
        var hostCount = 0
        var expectsContinue = false
        let block = try HeaderBlock(fieldLines: bytes, from: lineEnd + 2, to: headEnd - 2, expectedCount: lineCount - 1) { name, value in
            switch name.utf8.count {
            case 4 where asciiCaseInsensitiveEquals(name, "host"): hostCount += 1
            case 6 where asciiCaseInsensitiveEquals(name, "expect"):
                if asciiCaseInsensitiveEquals(value, "100-continue") { expectsContinue = true }
            default: break
            }
        }
        if requestLine.version == .http1_1 && hostCount != 1 {
            throw .badRequest(hostCount == 0 ? "missing Host header" : "multiple Host headers")
        }
        if requestLine.version == .http1_0 && block.hasTransferEncoding {
            throw .badRequest("Transfer-Encoding in an HTTP/1.0 request")
        }
        let framing = try block.framing()
        switch framing {
        case .chunked:
            guard limits.allowChunkedRequests else {
                throw HTTPParseError(.lengthRequired, "chunked request bodies are not accepted; send Content-Length")
            }
        case .length(let length):
            // Decided from the header, before any body byte is read.
            if length > limits.maxBodySize { throw .contentTooLarge("body larger than \(limits.maxBodySize) bytes") }
        case .unframed:
            break
        }
        var request = HTTPRequest(method: requestLine.method, target: requestLine.target, version: requestLine.version, headers: block.headers)
        request.body = []
        return (request, framing, expectsContinue)
    }

    private mutating func finishBody(_ request: HTTPRequest, length: Int) -> Result {
        guard buffer.count - position >= length else { return .needMore }
        var request = request
        request.body = Array(buffer[position..<(position + length)])
        position += length
        return complete(request)
    }
}
