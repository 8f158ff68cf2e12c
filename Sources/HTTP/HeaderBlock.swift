// The head rules both parsers follow, so the server reads requests and the client reads
// responses by one set of rules (RFC 9112 §2.2, §5, §6):
// - CRLF only: a bare LF or bare CR is an error, and so is a control byte other than HTAB;
// - a field line is `token ":" OWS value OWS`; obs-fold (a line starting with SP or HTAB) and
//   a space before the colon are errors;
// - Content-Length is digits only, and repeated fields (or a list) must agree;
// - Transfer-Encoding together with Content-Length is an error (the classic smuggling pair),
//   and `chunked`, alone, is the only coding understood.

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

// MARK: - Header block

/// The header fields of one message head, read by the shared rules, and what they say about
/// the body's framing. Each parser finds its head and checks its own start line; this reads
/// what lies between that line and the empty line.
struct HeaderBlock {
    private(set) var headers = HTTPHeaders()
    /// The Content-Length all fields agree on; `Int.max` when it has more digits than any body
    /// limit allows (so it fails that limit, not an overflow).
    private(set) var contentLength: Int?
    /// The transfer codings in order, lowercased, empty list items left out.
    private(set) var transferCodings: [String] = []

    /// How the body is delimited.
    enum Framing: Sendable, Equatable {
        case chunked
        case length(Int)
        /// Neither header: no body for a request, read-until-close for a response.
        case unframed
    }

    /// The line rule for one head byte, checked as the head is scanned: `afterCR` tells whether
    /// the byte before it (in the same head) was a CR.
    @inline(__always)
    static func lineError(_ byte: UInt8, afterCR: Bool) -> HTTPParseError? {
        if byte == lf { return afterCR ? nil : .badRequest("bare LF line ending; HTTP/1.1 requires CRLF") }
        if afterCR { return .badRequest("bare CR in the head") }
        if isForbiddenControl(byte) { return .badRequest("control byte 0x\(String(byte, radix: 16)) in the head") }
        return nil
    }

    /// Reads the field lines of `bytes[start..<end]`, where `end` is the CR of the empty line
    /// that closes the head (the scan has already checked every line ending). `inspect` sees
    /// each field as it is added, for the headers only one side cares about (Host, Expect).
    init(
        fieldLines bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, expectedCount: Int = 0,
        inspect: (_ name: String, _ value: String) -> Void = { _, _ in }
    ) throws(HTTPParseError) {
        headers.fields.reserveCapacity(expectedCount)
        var lineStart = start
        while lineStart < end {
            var lineEnd = lineStart
            while bytes[lineEnd] != cr { lineEnd += 1 }
            try addField(bytes, lineStart, lineEnd, inspect)
            lineStart = lineEnd + 2
        }
    }

    private mutating func addField(
        _ bytes: UnsafeBufferPointer<UInt8>, _ lineStart: Int, _ lineEnd: Int,
        _ inspect: (String, String) -> Void
    ) throws(HTTPParseError) {
        let first = bytes[lineStart]
        if first == sp || first == htab { throw .badRequest("obsolete line folding in headers") }
        var colon = lineStart
        while colon < lineEnd && isTChar(bytes[colon]) { colon += 1 }
        guard colon < lineEnd, bytes[colon] == UInt8(ascii: ":"), colon > lineStart else {
            throw .badRequest("malformed header field (expected 'name: value')")
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
        // The length first: most fields are neither, and this skips their comparisons.
        switch nameBytes.count {
        case 14 where asciiCaseInsensitiveEquals(name, "content-length"):
            try addContentLength(valueBytes)
        case 17 where asciiCaseInsensitiveEquals(name, "transfer-encoding"):
            for item in value.split(separator: ",") {
                let coding = item.trimmingASCIIWhitespace().lowercased()
                if !coding.isEmpty { transferCodings.append(coding) }
            }
        default:
            break
        }
        inspect(name, value)
    }

    private mutating func addContentLength(_ value: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        for item in value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            var digits = item[...]
            while let b = digits.first, b == sp || b == htab { digits = digits.dropFirst() }
            while let b = digits.last, b == sp || b == htab { digits = digits.dropLast() }
            guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw .badRequest("Content-Length must be a non-negative decimal integer")
            }
            var length = 0
            if digits.count > 15 {
                length = Int.max
            } else {
                for digit in digits { length = length * 10 + Int(digit - 0x30) }
            }
            if let contentLength, contentLength != length { throw .badRequest("conflicting Content-Length values") }
            contentLength = length
        }
    }

    var hasTransferEncoding: Bool { !transferCodings.isEmpty }

    /// The body's framing by the shared rules; each side then applies its own limits.
    func framing() throws(HTTPParseError) -> Framing {
        if hasTransferEncoding {
            if contentLength != nil { throw .badRequest("both Transfer-Encoding and Content-Length") }
            guard transferCodings == ["chunked"] else {
                throw HTTPParseError(.notImplemented, "unsupported Transfer-Encoding '\(transferCodings.joined(separator: ", "))' (only 'chunked')")
            }
            return .chunked
        }
        return contentLength.map(Framing.length) ?? .unframed
    }
}
