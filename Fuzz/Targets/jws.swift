import Foundation
import JOSE
import JSON

/// Compact JWS parsing and verification: any text is verified or refused with a JOSEError, never
/// a trap. The key set is the mock's own embedded JWKS (Fuzz/corpus/jwk/jwks.json, read from the
/// repository root where Fuzz/run starts), so the seed token `valid` verifies all the way.
let verifier: JWSVerifier = {
    do {
        let text = try String(contentsOfFile: "Fuzz/corpus/jwk/jwks.json", encoding: .utf8)
        return try JWSVerifier(jwks: try JSONValue.parse(text))
    } catch {
        fatalError("fuzz setup: cannot read Fuzz/corpus/jwk/jwks.json: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? verifier.verify(text)
    return 0
}
