@testable import HTTP

/// The client's response parser, fed in two pieces and then told the connection closed: a
/// response within the limits or an error, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let split = min(bytes.count, Int(data[0]) * bytes.count / 255)
    var limits = HTTPLimits()
    limits.maxBodySize = 4096
    var parser = HTTPResponseParser(limits: limits, isHeadRequest: data[1] & 1 == 1)
    for piece in [bytes[..<split], bytes[split...]] {
        parser.feed(piece)
        loop: for _ in 0..<64 {
            switch parser.next() {
            case .needMore: break loop
            case .response(let response, _): precondition(response.body.count <= limits.maxBodySize, "body over the limit")
            case .error: return 0
            }
        }
    }
    if case .response(let response, _) = parser.finishAtEOF() { precondition(response.body.count <= limits.maxBodySize, "body over the limit") }
    return 0
}
