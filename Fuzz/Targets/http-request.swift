@testable import HTTP

/// The server's request parser, fed the input in two pieces (the first byte picks the split, so
/// a request split across reads is covered): every outcome is a request within the limits, an
/// error status, or a wait for more bytes, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let split = min(bytes.count, Int(data[0]) * bytes.count / 255)
    var limits = HTTPLimits()
    limits.maxBodySize = 4096
    var parser = HTTPRequestParser(limits: limits)
    for piece in [bytes[..<split], bytes[split...]] {
        parser.feed(piece)
        loop: for _ in 0..<64 {
            switch parser.next() {
            case .needMore: break loop
            case .request(let request):
                precondition(request.body.count <= limits.maxBodySize, "body over the limit")
                precondition(request.method.utf8.count <= limits.maxMethodLength, "method over the limit")
            case .error(let error):
                precondition((400...599).contains(error.status), "error status \(error.status)")
                return 0
            }
        }
    }
    return 0
}
