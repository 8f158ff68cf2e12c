/// Chunked transfer decoding (RFC 9112 §7.1), shared by the request and response parsers:
/// sizes in hex, extensions ignored, trailers skipped, everything within the body limit.
struct ChunkedDecoder: Sendable {
    enum Step: Sendable {
        case needMore
        case done
        case error(HTTPParseError)
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

    /// Finds a CRLF-terminated line starting at `position`; returns the CR's index, nil until
    /// the line is complete.
    private func findLine(_ buffer: [UInt8], _ position: Int) -> Swift.Result<Int?, HTTPParseError> {
        var index = position
        while index < buffer.count {
            let byte = buffer[index]
            if byte == lf { return .failure(.badRequest("bare LF in chunked encoding")) }
            if byte == cr {
                guard index + 1 < buffer.count else { return .success(nil) }
                guard buffer[index + 1] == lf else { return .failure(.badRequest("bare CR in chunked encoding")) }
                return .success(index)
            }
            if isForbiddenControl(byte) { return .failure(.badRequest("control byte in chunked encoding")) }
            index += 1
            if index - position > maxLineLength { return .failure(.badRequest("chunk line too long")) }
        }
        return .success(nil)
    }

    mutating func consume(_ buffer: [UInt8], _ position: inout Int) -> Step {
        while true {
            switch phase {
            case .size:
                let lineEnd: Int
                switch findLine(buffer, position) {
                case .failure(let error): return .error(error)
                case .success(nil): return .needMore
                case .success(let end?): lineEnd = end
                }
                var size = 0
                var index = position
                while index < lineEnd, let digit = hexValue(buffer[index]) {
                    size = size * 16 + Int(digit)
                    index += 1
                    if index - position > 8 { return .error(.contentTooLarge("chunk size too large")) }
                }
                guard index > position else { return .error(.badRequest("malformed chunk size")) }
                // Allow chunk extensions (`;name=value`) and whitespace before them; ignore them.
                if index < lineEnd {
                    let rest = buffer[index..<lineEnd].drop { $0 == sp || $0 == htab }
                    guard rest.first == UInt8(ascii: ";") else { return .error(.badRequest("malformed chunk size line")) }
                }
                position = lineEnd + 2
                if size == 0 {
                    phase = .trailer
                } else {
                    guard body.count + size <= maxBodySize else {
                        return .error(.contentTooLarge("body larger than \(maxBodySize) bytes"))
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
                    return .error(.badRequest("chunk data not followed by CRLF"))
                }
                position += 2
                phase = .size
            case .trailer:
                let lineEnd: Int
                switch findLine(buffer, position) {
                case .failure(let error): return .error(error)
                case .success(nil): return .needMore
                case .success(let end?): lineEnd = end
                }
                let empty = lineEnd == position
                position = lineEnd + 2
                if empty { return .done }
                trailerLines += 1
                if trailerLines > 32 { return .error(.headerFieldsTooLarge("too many trailer fields")) }
            }
        }
    }
}
