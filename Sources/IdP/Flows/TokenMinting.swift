import JOSE
import JSON

/// How a minted token is signed. Everything but `.valid` is a forgery a correct app must reject.
package enum SignMode: String, Sendable, CaseIterable {
    case valid
    /// `alg` from the header (default `none`) and an empty signature.
    case none
    /// Validly signed, then one signature bit flipped.
    case badSignature = "bad-signature"
    /// `header.payload.` with the signature removed but `alg` unchanged.
    case stripSignature = "strip-signature"
    /// `alg: HS256`, HMAC keyed with the active key's public PEM (the RS/HS confusion attack).
    case hs256PublicKey = "hs256-public-key"
    /// Signed by a key the JWKS never published, under a fresh `kid`.
    case unknownKey = "unknown-key"
    /// Signed by an attacker key that the header carries as `jwk` (CVE-2018-0114).
    case embeddedJWK = "embedded-jwk"
    // HS256 keyed with the other encodings of the active key's public half (`hs256-public-key`
    // is its SPKI PEM with the final newline): each one a library or snippet hands around.
    case hs256PublicKeyNoNewline = "hs256-public-key-no-newline"
    case hs256PKCS1PEM = "hs256-pkcs1-pem"
    case hs256PKCS1PEMNoNewline = "hs256-pkcs1-pem-no-newline"
    case hs256SPKIDER = "hs256-spki-der"
    case hs256PKCS1DER = "hs256-pkcs1-der"
    /// The JWK exactly as the JWKS publishes it, serialized.
    case hs256JWKJSON = "hs256-jwk-json"
    case hs256Modulus = "hs256-modulus"
    /// Signed by an attacker key whose self-signed certificate the header carries as `x5c`.
    case embeddedX5C = "embedded-x5c"
}

/// What a scenario or `/_mock/tokens` asks for. Unset fields follow the IdP's normal policy.
package struct TokenRequest: Sendable {
    package var user: String
    package var organization: String?
    /// Claims to set or override; any JSON value, including `""`, `null`, numbers and arrays.
    package var claims: JSONObject = [:]
    package var omit: [String] = []
    /// Header members to set or override; a JSON null sets a literal null.
    package var header: JSONObject = [:]
    /// Header members to remove (`["kid"]` for a kid-less token).
    package var omitHeader: [String] = []
    package var sign: SignMode = .valid
    /// Sign with this published key instead of the active one.
    package var kid: String?
    package var expiresIn: Int64?
    package var notBeforeIn: Int64?
    package var issuedAtOffset: Int64 = 0
    /// Exact payload bytes (duplicate keys, odd spacing): replaces the claims entirely.
    package var rawPayload: String?
    package var impersonatorEmail: String?
    /// Where an embedded attacker key points: `x5u` inside the `jwk`, the `x5c` certificate's
    /// `caIssuers`. A correct app never fetches it.
    package var keyURL: String?

    package init(user: String, organization: String? = nil) {
        self.user = user
        self.organization = organization
    }
}

package struct MintedToken: Sendable {
    package var token: String
    package var claims: JSONObject
    package var header: JSONObject
    package var sessionID: String?
}

/// Builds access tokens the way WorkOS does: `{alg, kid}` header without `typ`; claims in
/// WorkOS's order (template claims first, then `iss sub act org_id role roles permissions
/// entitlements feature_flags sid jti exp iat auth_time`; docs/auth-flows.md names the sources).
struct TokenMinter: Sendable {
    let issuer: String
    let lifetime: Int64
    let ids: IDGenerator

    func claims(
        user: User, membership: Membership?, organization: Organization?, role: Role?, sessionID: String,
        now: Int64, template: JSONObject, impersonator: String?, authTime: Int64? = nil
    ) -> JSONObject {
        var claims = template
        claims["iss"] = .string(issuer)
        claims["sub"] = .string(user.id)
        if let impersonator { claims["act"] = ["sub": .string(impersonator)] }
        if let membership, let organization {
            claims["org_id"] = .string(organization.id)
            claims["role"] = .string(membership.primaryRole)
            claims["roles"] = .array(membership.roleSlugs.map(JSONValue.string))
            claims["permissions"] = .array((role?.permissions ?? []).map(JSONValue.string))
            claims["entitlements"] = []
            claims["feature_flags"] = []
        }
        claims["sid"] = .string(sessionID)
        claims["jti"] = .string(ids.ulid())
        claims["exp"] = .int(now + lifetime)
        claims["iat"] = .int(now)
        // When the user signed in: the session's start, kept across refreshes (OIDC Core §2).
        // The 10.x Python SDK refuses a session token without a numeric one.
        claims["auth_time"] = .int(authTime ?? now)
        return claims
    }

    /// Applies the request's overrides to policy claims, then signs as asked.
    func sign(claims base: JSONObject, request: TokenRequest, keys: KeyRing, now: Int64) throws(IdPError) -> MintedToken {
        var claims = base
        // Saturating: the JSON decoder range-checks these, an in-process caller may not.
        if request.issuedAtOffset != 0 { claims["iat"] = .int(now.saturatingAdd(request.issuedAtOffset)) }
        if let expiresIn = request.expiresIn { claims["exp"] = .int(now.saturatingAdd(expiresIn)) }
        if let notBeforeIn = request.notBeforeIn { claims["nbf"] = .int(now.saturatingAdd(notBeforeIn)) }
        for member in request.claims { claims[member.key] = member.value }
        for name in request.omit { claims[name] = nil }
        let payload = request.rawPayload.map { Array($0.utf8) } ?? JSONValue.object(claims).serialized()

        var signingKey = keys.activeKey
        if let kid = request.kid {
            guard let chosen = keys.key(kid: kid) else { throw .notFound(entity: "Signing key", id: kid) }
            signingKey = chosen
        }
        var header: JSONObject = ["alg": .string(signingKey.algorithm.rawValue), "kid": .string(signingKey.kid)]
        let signer: (any JWSSigner)?
        switch request.sign {
        case .valid, .badSignature, .stripSignature:
            signer = signingKey.signer
        case .none:
            header["alg"] = "none"
            signer = nil
        case .hs256PublicKey, .hs256PublicKeyNoNewline, .hs256PKCS1PEM, .hs256PKCS1PEMNoNewline, .hs256SPKIDER, .hs256PKCS1DER,
            .hs256JWKJSON, .hs256Modulus:
            header["alg"] = "HS256"
            signer = HMACSigner(secret: try Self.confusedSecret(request.sign, signingKey))
        case .unknownKey, .embeddedJWK, .embeddedX5C:
            let attacker = try keys.attackerKey(algorithm: signingKey.algorithm)
            header["kid"] = .string(attacker.kid)
            if request.sign == .embeddedJWK {
                var jwk = attacker.privateKey.publicKey.jwk(kid: attacker.kid)
                if let url = request.keyURL { jwk["x5u"] = .string(url) }
                header["jwk"] = .object(jwk)
            }
            if request.sign == .embeddedX5C {
                var certificate = attacker.certificateDER
                if let url = request.keyURL {
                    do { certificate = try attacker.certificate(issuerURL: url) } catch {
                        throw .invalidRequest(code: "signing_failed", message: "\(error)")
                    }
                }
                header["x5c"] = [.string(Base64Standard.encode(certificate))]
            }
            signer = attacker.signer
        }
        header = merged(header, request)
        // One serializer for the real token and every forgery: the header is written once, the
        // signing input encoded once, and a forgery only edits the signature afterwards.
        var jws = JWSCompact(headerBytes: JSONValue.object(header).serialized(), payloadBytes: payload)
        if let signer {
            do {
                jws.signature = try signer.sign(jws.signingInput)
            } catch {
                throw .invalidRequest(code: "signing_failed", message: "\(error)")
            }
        }
        if request.sign == .badSignature, !jws.signature.isEmpty { jws.signature[jws.signature.count / 2] ^= 0x01 }
        if request.sign == .stripSignature { jws.signature = [] }
        return MintedToken(token: jws.serialized, claims: claims, header: header, sessionID: claims["sid"]?.stringValue)
    }

    /// The bytes an RS/HS-confused verifier would use as the HMAC secret, per encoding.
    private static func confusedSecret(_ mode: SignMode, _ key: SigningKey) throws(IdPError) -> [UInt8] {
        let publicKey = key.privateKey.publicKey
        let secret: [UInt8]?
        switch mode {
        case .hs256PublicKeyNoNewline: secret = Array(publicKey.spkiPEM.trimmingSuffixNewline().utf8)
        case .hs256PKCS1PEM: secret = publicKey.pkcs1PEM.map { Array($0.utf8) }
        case .hs256PKCS1PEMNoNewline: secret = publicKey.pkcs1PEM.map { Array($0.trimmingSuffixNewline().utf8) }
        case .hs256SPKIDER: secret = publicKey.spkiDER
        case .hs256PKCS1DER: secret = publicKey.pkcs1DER
        case .hs256JWKJSON: secret = JSONValue.object(key.publicJWK()).serialized()
        case .hs256Modulus: secret = publicKey.modulus
        default: secret = Array(publicKey.spkiPEM.utf8)
        }
        guard let secret else {
            throw .invalidRequest(
                code: "signing_failed", message: "sign \(mode.rawValue) needs an RSA signing key (this one is \(key.algorithm.rawValue))")
        }
        return secret
    }

    private func merged(_ header: JSONObject, _ request: TokenRequest) -> JSONObject {
        var header = header
        for member in request.header { header[member.key] = member.value }
        for name in request.omitHeader { header[name] = nil }
        return header
    }
}

extension TokenRequest {
    package static let fields: Set<String> = [
        "user", "organization", "claims", "omit", "header", "omit_header", "sign", "kid", "expires_in",
        "not_before_in", "issued_at_offset", "raw_payload", "impersonator", "key_url",
    ]

    /// The `/_mock/tokens` body and the scenario `mint` step (README, "Control API").
    package init(json: JSONValue) throws(IdPError) {
        let fields = try BodyFields(json)
        try fields.refuseUnknown(Self.fields)
        self.init(user: try fields.requiredString("user"), organization: try fields.string("organization"))
        claims = try fields.object("claims") ?? [:]
        header = try fields.object("header") ?? [:]
        omit = try Self.strings(fields, "omit")
        omitHeader = try Self.strings(fields, "omit_header")
        if let sign = try fields.string("sign") {
            guard let mode = SignMode(rawValue: sign) else {
                throw .invalidParameters("sign must be one of \(SignMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.sign = mode
        }
        kid = try fields.string("kid")
        expiresIn = try fields.int("expires_in", in: Limits.timeOffsetSeconds)
        notBeforeIn = try fields.int("not_before_in", in: Limits.timeOffsetSeconds)
        issuedAtOffset = try fields.int("issued_at_offset", in: Limits.timeOffsetSeconds) ?? 0
        rawPayload = try fields.string("raw_payload")
        impersonatorEmail = try fields.string("impersonator")
        keyURL = try fields.string("key_url")
    }

    private static func strings(_ fields: BodyFields, _ name: String) throws(IdPError) -> [String] {
        var result: [String] = []
        for value in try fields.array(name) ?? [] {
            guard let text = value.stringValue else { throw .invalidParameters("\(name) must be an array of strings") }
            result.append(text)
        }
        return result
    }
}

extension String {
    fileprivate func trimmingSuffixNewline() -> String { hasSuffix("\n") ? String(dropLast()) : self }
}
