/// SHA-256 for callers outside JOSE (PKCE `S256` checks in the IdP). Named `SHA256Digest`, not
/// `SHA256`, so it does not shadow OpenSSL's `SHA256` function inside this module.
package enum SHA256Digest {
    package static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        OpenSSL.sha256(Array(bytes))
    }

    package static func hash(_ text: String) -> [UInt8] {
        OpenSSL.sha256(Array(text.utf8))
    }
}
