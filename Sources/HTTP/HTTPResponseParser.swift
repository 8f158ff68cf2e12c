#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An incremental HTTP/1.x response parser with the same CRLF/control-byte strictness and limits
/// as the request parser. Handles Content-Length, chunked, read-until-close, and skips 1xx.
struct HTTPResponseParser: Sendable {
    enum Result: Sendable {
        case needMore
        case response(ClientResponse, reusable: Bool)
        case error(String, tooLarge: Bool)
    }

    private enum State: Sendable {
        case head
        case body(ClientResponse, length: Int, keepAlive: Bool)
        case chunked(ClientResponse, ChunkedDecoder, keepAlive: Bool)
        case untilClose(ClientResponse)
        case failed(String, Bool)
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

    private mutating func fail(_ reason: String, tooLarge: Bool = false) -> Result {
        state = .failed(reason, tooLarge)
        return .error(reason, tooLarge: tooLarge)
    }

    mutating func next() -> Result {
        while true {
            switch state {
            case .failed(let reason, let tooLarge):
                return .error(reason, tooLarge: tooLarge)
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
                case .error(let status, let reason):
                    return fail(reason, tooLarge: status == 413)
                }
            case .untilClose:
                if buffer.count - position > limits.maxBodySize {
                    return fail("body larger than \(limits.maxBodySize) bytes", tooLarge: true)
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
        if case .failed(let reason, let tooLarge) = state { return .error(reason, tooLarge: tooLarge) }
        return .needMore
    }

    /// Parses one head. Nil means progress (state changed, or a 1xx was skipped): loop again.
    private mutating func parseHead() -> Result? {
        var index = position
        var headEnd = -1
        while index < buffer.count {
            let byte = buffer[index]
            if byte == lf {
                guard index > position, buffer[index - 1] == cr else { return fail("bare LF in response head") }
                if index >= position + 3 && buffer[index - 2] == lf && buffer[index - 3] == cr {
                    headEnd = index + 1
                    break
                }
            } else if index > position && buffer[index - 1] == cr {
                return fail("bare CR in response head")
            } else if isForbiddenControl(byte) {
                return fail("control byte in response head")
            }
            index += 1
            if index - position > limits.maxHeadSize {
                return fail("response head larger than \(limits.maxHeadSize) bytes", tooLarge: true)
            }
        }
        guard headEnd >= 0 else { return .needMore }
        let text = buffer[position..<(headEnd - 4)]
        var lines = text.split(separator: cr, omittingEmptySubsequences: false).map { line in
            line.first == lf ? line.dropFirst() : line
        }
        guard !lines.isEmpty else { return fail("empty response head") }
        let statusLine = lines.removeFirst()
        guard lines.count <= limits.maxHeaderCount else {
            return fail("more than \(limits.maxHeaderCount) header fields", tooLarge: true)
        }
        // HTTP/1.x SP 3DIGIT [SP reason]
        let version: HTTPVersion
        if statusLine.starts(with: "HTTP/1.1".utf8) {
            version = .http1_1
        } else if statusLine.starts(with: "HTTP/1.0".utf8) {
            version = .http1_0
        } else {
            return fail("status line does not start with HTTP/1.1 or HTTP/1.0")
        }
        let afterVersion = statusLine.dropFirst(8)
        guard afterVersion.first == sp, afterVersion.count >= 4 else { return fail("malformed status line") }
        let code = afterVersion.dropFirst().prefix(3)
        guard code.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return fail("malformed status code") }
        let status = code.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        let afterCode = afterVersion.dropFirst(4)
        guard afterCode.isEmpty || afterCode.first == sp else { return fail("malformed status line") }
        guard (100...999).contains(status) else { return fail("status code out of range") }

        var headers = HTTPHeaders()
        var contentLength: Int? = nil
        var chunked = false
        var hasTransferEncoding = false
        for line in lines {
            guard let first = line.first, first != sp, first != htab else { return fail("obsolete line folding") }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[line.startIndex..<colon].allSatisfy(isTChar)
            else { return fail("malformed header field") }
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self).trimmingASCIIWhitespace()
            headers.add(name, value)
            if asciiCaseInsensitiveEquals(name, "content-length") {
                for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                    let digits = item.trimmingASCIIWhitespace()
                    guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                        return fail("invalid Content-Length '\(value)'")
                    }
                    guard digits.utf8.count <= 15, let length = Int(digits) else {
                        return fail("Content-Length too large", tooLarge: true)
                    }
                    if let contentLength, contentLength != length { return fail("conflicting Content-Length values") }
                    contentLength = length
                }
            } else if asciiCaseInsensitiveEquals(name, "transfer-encoding") {
                hasTransferEncoding = true
                let codings = value.split(separator: ",").map { $0.trimmingASCIIWhitespace().lowercased() }
                if codings.last == "chunked" { chunked = true }
                if codings.contains(where: { $0 != "chunked" }) { return fail("unsupported Transfer-Encoding '\(value)'") }
            }
        }
        position = headEnd
        if status < 200 {
            // 1xx interim response (100 Continue): skip it, read the real one.
            if status == 101 { return fail("unexpected 101 Switching Protocols") }
            return nil
        }
        let response = ClientResponse(status: status, version: version, headers: headers)
        let connectionTokens = headers.tokens(for: "Connection")
        let keepAlive = version == .http1_1 ? !connectionTokens.contains("close") : connectionTokens.contains("keep-alive")
        if isHeadRequest || status == 204 || status == 304 {
            return .response(response, reusable: keepAlive && position == buffer.count)
        }
        if hasTransferEncoding {
            if contentLength != nil { return fail("both Transfer-Encoding and Content-Length") }
            if chunked {
                state = .chunked(response, ChunkedDecoder(maxBodySize: limits.maxBodySize, maxLineLength: limits.maxChunkLineLength), keepAlive: keepAlive)
                return nil
            }
        }
        if let contentLength {
            guard contentLength <= limits.maxBodySize else {
                return fail("body of \(contentLength) bytes exceeds \(limits.maxBodySize)", tooLarge: true)
            }
            state = .body(response, length: contentLength, keepAlive: keepAlive)
            return nil
        }
        state = .untilClose(response)
        return nil
    }
}
