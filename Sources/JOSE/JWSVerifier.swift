import JSON

/// A token whose signature checked out, with its decoded parts.
package struct VerifiedJWS: Sendable {
    package let header: JSONObject
    package let algorithm: JWSAlgorithm
    package let keyID: String?
    package let payloadBytes: [UInt8]
    package let payload: JSONValue
}

/// Verifies compact JWS tokens against a fixed key set and algorithm allow-list.
///
/// The key is always chosen from the configured set: header parameters that carry keys or key
/// locations (`jwk`, `jku`, `x5u`, `x5c`) are ignored, because trusting them lets the token
/// vouch for itself.
package struct JWSVerifier: Sendable {
    package let allowedAlgorithms: Set<JWSAlgorithm>
    let keysByID: [String: PublicKey]
    let keysWithoutID: [PublicKey]
    /// Why each unusable JWKS entry was skipped, for diagnostics.
    package let skippedKeys: [String]

    package init(keys: [String: PublicKey], keysWithoutID: [PublicKey] = [], allowedAlgorithms: Set<JWSAlgorithm> = [.rs256, .es256]) {
        self.keysByID = keys
        self.keysWithoutID = keysWithoutID
        self.allowedAlgorithms = allowedAlgorithms
        self.skippedKeys = []
    }

    /// Reads a JWKS document. Entries that are unparseable, unsupported, not for signatures or
    /// duplicate a kid are skipped rather than failing the whole set (RFC 7517 §5).
    package init(jwks: JSONValue, allowedAlgorithms: Set<JWSAlgorithm> = [.rs256, .es256]) throws(JOSEError) {
        guard let entries = jwks["keys"]?.arrayValue else { throw .invalidKey("a JWKS must be an object with a \"keys\" array") }
        var byID: [String: PublicKey] = [:]
        var withoutID: [PublicKey] = []
        var skipped: [String] = []
        for (index, entry) in entries.enumerated() {
            if let use = entry["use"], use.stringValue != "sig" {
                skipped.append("keys[\(index)]: use is \(use), not \"sig\"")
                continue
            }
            let key: PublicKey
            do {
                key = try PublicKey(jwk: entry)
            } catch {
                skipped.append("keys[\(index)]: \(error)")
                continue
            }
            if let alg = entry["alg"], alg.stringValue != key.algorithm.rawValue {
                skipped.append("keys[\(index)]: alg \(alg) is not usable with a \(key.keyType) key here")
                continue
            }
            switch entry["kid"] {
            case nil:
                withoutID.append(key)
            case .string(let kid)?:
                if byID[kid] != nil {
                    skipped.append("keys[\(index)]: duplicate kid \"\(kid)\"")
                } else {
                    byID[kid] = key
                }
            case let other?:
                skipped.append("keys[\(index)]: kid must be a string, found \(other.typeName)")
            }
        }
        self.keysByID = byID
        self.keysWithoutID = withoutID
        self.allowedAlgorithms = allowedAlgorithms
        self.skippedKeys = skipped
    }

    package func verify(_ token: String) throws(JOSEError) -> VerifiedJWS {
        let segments = try JWSCompact.Segments(token)
        guard !segments.header.isEmpty else { throw .malformedToken("empty header segment") }

        let header = try Self.parseHeader(Base64URL.decode(bytes: segments.header))
        let algorithm = try checkAlgorithm(header)
        if header["crit"] != nil {
            let names = header["crit"]?.arrayValue?.map { $0.stringValue ?? $0.description } ?? [header["crit"]?.description ?? ""]
            throw .unsupportedCriticalHeader(names)
        }
        let keyID: String?
        switch header["kid"] {
        case nil: keyID = nil
        case .string(let kid)?: keyID = kid
        case let other?: throw .invalidHeader("\"kid\" must be a string, found \(other.typeName)")
        }
        let key = try selectKey(keyID: keyID, algorithm: algorithm)

        // All segments are decoded before any crypto so encoding faults are reported as such.
        let payloadBytes = try Base64URL.decode(bytes: segments.payload)
        let signature = try Base64URL.decode(bytes: segments.signature)
        let expectedLength = key.spkiSignatureLength
        guard signature.count == expectedLength else { throw .signatureLength(expected: expectedLength, actual: signature.count) }
        let verifier = try key.verifier
        let checked: Result<Bool, JOSEError> = segments.bytes.withUnsafeBytes { raw in
            Result { () throws(JOSEError) -> Bool in
                try verifier.verify(signature, signs: UnsafeRawBufferPointer(rebasing: raw[..<segments.signingInput.endIndex]))
            }
        }
        guard try checked.get() else { throw .signatureInvalid }

        let payload: JSONValue
        do {
            payload = try JSONValue.parse(payloadBytes)
        } catch {
            throw .invalidJSON(segment: "payload", detail: error.description)
        }
        return VerifiedJWS(header: header, algorithm: algorithm, keyID: keyID, payloadBytes: payloadBytes, payload: payload)
    }

    static func parseHeader(_ bytes: [UInt8]) throws(JOSEError) -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw .invalidJSON(segment: "header", detail: error.description)
        }
        guard case .object(let header) = value else { throw .invalidHeader("must be a JSON object, found \(value.typeName)") }
        // RFC 7515 §5.2 allows rejecting duplicates; accepting them invites parser disagreement
        // about which "alg" counts.
        var seen = Set<String>()
        for member in header.members where !seen.insert(member.key).inserted {
            throw .invalidHeader("duplicate member \"\(member.key)\"")
        }
        return header
    }

    private func checkAlgorithm(_ header: JSONObject) throws(JOSEError) -> JWSAlgorithm {
        guard let value = header["alg"] else { throw .invalidHeader("\"alg\" is missing") }
        guard case .string(let alg) = value else { throw .invalidHeader("\"alg\" must be a string, found \(value.typeName)") }
        if alg.lowercased() == "none" { throw .unsecuredAlgorithm(alg) }
        guard let algorithm = JWSAlgorithm(rawValue: alg), allowedAlgorithms.contains(algorithm) else {
            throw .algorithmNotAllowed(alg)
        }
        return algorithm
    }

    private func selectKey(keyID: String?, algorithm: JWSAlgorithm) throws(JOSEError) -> PublicKey {
        if let keyID {
            guard let key = keysByID[keyID] else { throw .unknownKeyID(keyID) }
            guard algorithm.isCompatible(with: key.keyType) else {
                throw .algorithmKeyMismatch(alg: algorithm.rawValue, keyType: key.keyType.description)
            }
            return key
        }
        let candidates = (Array(keysByID.values) + keysWithoutID).filter { algorithm.isCompatible(with: $0.keyType) }
        guard candidates.count == 1, let only = candidates.first else {
            if candidates.isEmpty { throw .unknownKeyID(nil) }
            throw .ambiguousKey(candidates: candidates.count)
        }
        return only
    }
}

extension PublicKey {
    /// RSA signatures are exactly the modulus length (RFC 8017 §8.2.2).
    var spkiSignatureLength: Int {
        if case .rsa(let bits) = keyType { return (bits + 7) / 8 }
        return 64
    }
}
