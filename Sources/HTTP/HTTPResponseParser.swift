#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An incremental HTTP/1.x response parser: the same head rules (`HeaderBlock`) and limits as
/// the request parser. Handles Content-Length, chunked, read-until-close, and skips 1xx.
struct HTTPResponseParser: Sendable {
    enum Result: Sendable {
        case needMore
        case response(ClientResponse, reusable: Bool)
        case error(HTTPParseError)
    }

    private enum State: Sendable {
        case head
        case body(ClientResponse, length: Int, keepAlive: Bool)
        case chunked(ClientResponse, ChunkedDecoder, keepAlive: Bool)
        case untilClose(ClientResponse)
        case failed(HTTPParseError)
    }

    let limits: HTTPLimits
    let isHeadRequest: Bool
    private var buffer: [UInt8] = []
    private var position = 0
    private var state: State = .head

    init(limits: HTTPLimits, isHeadRequest: Bool) {
        self.limits = limits
        self.isHeadRequest = isHeadRequest
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) { buffer.append(contentsOf: bytes) }
    mutating func feed(_ bytes: some Collection<UInt8>) { buffer.append(contentsOf: bytes) }

    private mutating func fail(_ error: HTTPParseError) -> Result {
        state = .failed(error)
        return .error(error)
    }

    mutating func next() -> Result {
        while true {
            switch state {
            case .failed(let error):
                return .error(error)
            case .head:
                guard let result = parseHead() else { continue }
                return result
            case .body(var response, let length, let keepAlive):
                guard buffer.count - position >= length else { return .needMore }
                response.body = Array(buffer[position..<(position + length)])
                position += length
                return .response(response, reusable: keepAlive && position == buffer.count)
            case .chunked(var response, var decoder, let keepAlive):
                state = .head
                switch decoder.consume(buffer, &position) {
                case .needMore:
                    state = .chunked(response, decoder, keepAlive: keepAlive)
                    return .needMore
                case .done:
                    response.body = decoder.body
                    return .response(response, reusable: keepAlive && position == buffer.count)
                case .error(let error):
                    return fail(error)
                }
            case .untilClose:
                if buffer.count - position > limits.maxBodySize {
                    return fail(.contentTooLarge("body larger than \(limits.maxBodySize) bytes"))
                }
                return .needMore
            }
        }
    }

    mutating func finishAtEOF() -> Result {
        if case .untilClose(var response) = state {
            response.body = Array(buffer[position...])
            return .response(response, reusable: false)
        }
        if case .failed(let error) = state { return .error(error) }
        return .needMore
    }

    /// Parses one head. Nil means progress (state changed, or a 1xx was skipped): loop again.
    private mutating func parseHead() -> Result? {
        var index = position
        var headEnd = -1
        var lines = 0
        while index < buffer.count {
            let byte = buffer[index]
            if let error = HeaderBlock.lineError(byte, afterCR: index > position && buffer[index - 1] == cr) { return fail(error) }
            if byte == lf {
                if index >= position + 3 && buffer[index - 2] == lf && buffer[index - 3] == cr {
                    headEnd = index + 1
                    break
                }
                lines += 1
            }
            index += 1
            if index - position > limits.maxHeadSize {
                return fail(.headerFieldsTooLarge("response head larger than \(limits.maxHeadSize) bytes"))
            }
        }
        guard headEnd >= 0 else { return .needMore }
        // Every line but the status line is a field.
        guard lines - 1 <= limits.maxHeaderCount else {
            return fail(.headerFieldsTooLarge("more than \(limits.maxHeaderCount) header fields"))
        }
        let snapshot = buffer
        let parsed = snapshot.withUnsafeBufferPointer { bytes in
            Swift.Result { () throws(HTTPParseError) in try readHead(bytes, headEnd: headEnd, fields: lines - 1) }
        }
        let (statusLine, block): (StatusLine, HeaderBlock)
        switch parsed {
        case .failure(let error): return fail(error)
        case .success(let head): (statusLine, block) = head
        }
        position = headEnd
        let status = statusLine.status
        if status < 200 {
            // 1xx interim response (100 Continue): skip it, read the real one.
            if status == 101 { return fail(.badRequest("unexpected 101 Switching Protocols")) }
            return nil
        }
        let response = ClientResponse(status: status, version: statusLine.version, headers: block.headers)
        let connectionTokens = block.headers.tokens(for: "Connection")
        let keepAlive = statusLine.version == .http1_1 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")
        if isHeadRequest || status == 204 || status == 304 {
            return .response(response, reusable: keepAlive && position == buffer.count)
        }
        let framing: HeaderBlock.Framing
        do {
            framing = try block.framing()
        } catch {
            return fail(error)
        }
        switch framing {
        case .chunked:
            state = .chunked(
                response, ChunkedDecoder(maxBodySize: limits.maxBodySize, maxLineLength: limits.maxChunkLineLength), keepAlive: keepAlive)
        case .length(let length):
            guard length <= limits.maxBodySize else { return fail(.contentTooLarge("body larger than \(limits.maxBodySize) bytes")) }
            state = .body(response, length: length, keepAlive: keepAlive)
        case .unframed:
            state = .untilClose(response)
        }
        return nil
    }

    /// The status line and the header fields of a complete head.
    private func readHead(_ bytes: UnsafeBufferPointer<UInt8>, headEnd: Int, fields: Int) throws(HTTPParseError) -> (StatusLine, HeaderBlock) {
        var lineEnd = position
        while bytes[lineEnd] != cr { lineEnd += 1 }
        let statusLine = try StatusLine.parse(UnsafeBufferPointer(rebasing: bytes[position..<lineEnd])).get()
        return (statusLine, try HeaderBlock(fieldLines: bytes, from: lineEnd + 2, to: headEnd - 2, expectedCount: fields))
    }
}

/// `HTTP/1.x SP 3DIGIT [SP reason]`: the version and the status, the reason phrase ignored.
private struct StatusLine {
    let version: HTTPVersion
    let status: Int

    static func parse(_ line: UnsafeBufferPointer<UInt8>) -> Swift.Result<StatusLine, HTTPParseError> {
        let version: HTTPVersion
        if line.starts(with: "HTTP/1.1".utf8) {
            version = .http1_1
        } else if line.starts(with: "HTTP/1.0".utf8) {
            version = .http1_0
        } else {
            return .failure(.badRequest("status line does not start with HTTP/1.1 or HTTP/1.0"))
        }
        let afterVersion = line.dropFirst(8)
        guard afterVersion.first == sp, afterVersion.count >= 4 else { return .failure(.badRequest("malformed status line")) }
        let code = afterVersion.dropFirst().prefix(3)
        guard code.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .failure(.badRequest("malformed status code")) }
        let status = code.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        let afterCode = afterVersion.dropFirst(4)
        guard afterCode.isEmpty || afterCode.first == sp else { return .failure(.badRequest("malformed status line")) }
        guard (100...999).contains(status) else { return .failure(.badRequest("status code out of range")) }
        return .success(StatusLine(version: version, status: status))
    }
}
