import Conformance
import JSON

/// The target-profile loader: a TargetProfile or a ConfigError, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let document = try? JSONValue.parse(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    _ = try? TargetProfile.parse(document, file: "fuzz.json")
    return 0
}
