import JOSE
import JSON

/// JWK and JWKS documents: a public key (whose JWK reads back to the same key) or a JOSEError.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard let document = try? JSONValue.parse(UnsafeBufferPointer(start: data, count: size)) else { return 0 }
    if let key = try? PublicKey(jwk: document) {
        let again = try? PublicKey(jwk: .object(key.jwk(kid: nil)))
        precondition(again?.spkiDER == key.spkiDER, "a key's own JWK does not read back")
    }
    _ = try? JWSVerifier(jwks: document)
    return 0
}
