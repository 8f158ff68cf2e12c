import JSON

/// The JSON parser: any bytes give a value or a JSONError, never a trap; a parsed value
/// serializes and parses back to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let value = try? JSONValue.parse(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    let again = try? JSONValue.parse(value.serialized())
    precondition(again == value || again == nil && value.containsNonFiniteNumber, "round trip changed \(value)")
    return 0
}

extension JSONValue {
    var containsNonFiniteNumber: Bool {
        switch self {
        case .double(let number): return !number.isFinite
        case .array(let items): return items.contains { $0.containsNonFiniteNumber }
        case .object(let object): return object.contains { $0.value.containsNonFiniteNumber }
        default: return false
        }
    }
}
