import JSON

/// Registered JWT claims (RFC 7519 §4.1) plus WorkOS's `sid`, and any extra claims.
///
/// `payload()` emits members in this order: `iss, sub, aud, sid, jti, iat, nbf, exp`, then
/// `extra` in its own order. Extras are written as given, so an extra named like a registered
/// claim produces a duplicate key — useful to the forger, and the caller's choice.
package struct JWTClaims: Sendable, Equatable {
    package var iss: String?
    package var sub: String?
    package var aud: [String]?
    /// A single audience is written as a string (the common form) unless this is set.
    package var audienceAsArray: Bool
    package var sid: String?
    package var jti: String?
    package var iat: Int64?
    package var nbf: Int64?
    package var exp: Int64?
    package var extra: JSONObject

    package init(
        iss: String? = nil, sub: String? = nil, aud: [String]? = nil, audienceAsArray: Bool = false,
        sid: String? = nil, jti: String? = nil, iat: Int64? = nil, nbf: Int64? = nil, exp: Int64? = nil,
        extra: JSONObject = [:]
    ) {
        self.iss = iss
        self.sub = sub
        self.aud = aud
        self.audienceAsArray = audienceAsArray
        self.sid = sid
        self.jti = jti
        self.iat = iat
        self.nbf = nbf
        self.exp = exp
        self.extra = extra
    }

    /// Reads a payload back. Registered claims with the wrong JSON type are kept in `extra`
    /// rather than failing here: parsing is not validating, and `ClaimsValidator` reports
    /// "exp is not a number" from the raw payload.
    package init(payload: JSONValue) throws(JOSEError) {
        guard case .object(let object) = payload else { throw .invalidPayload("must be a JSON object, found \(payload.typeName)") }
        self.init()
        for member in object.members {
            switch (member.key, member.value) {
            case ("iss", .string(let value)): iss = value
            case ("sub", .string(let value)): sub = value
            case ("sid", .string(let value)): sid = value
            case ("jti", .string(let value)): jti = value
            case ("aud", .string(let value)):
                aud = [value]
                audienceAsArray = false
            case ("aud", .array(let values)) where values.allSatisfy({ $0.stringValue != nil }):
                aud = values.compactMap(\.stringValue)
                audienceAsArray = true
            case ("iat", let value) where value.intValue != nil: iat = value.intValue
            case ("nbf", let value) where value.intValue != nil: nbf = value.intValue
            case ("exp", let value) where value.intValue != nil: exp = value.intValue
            default: extra.appendDuplicate(member.key, member.value)
            }
        }
    }

    package func payload() -> JSONObject {
        var object = JSONObject()
        if let iss { object.members.append((key: "iss", value: .string(iss))) }
        if let sub { object.members.append((key: "sub", value: .string(sub))) }
        if let aud {
            let value: JSONValue = aud.count == 1 && !audienceAsArray ? .string(aud[0]) : .array(aud.map { .string($0) })
            object.members.append((key: "aud", value: value))
        }
        if let sid { object.members.append((key: "sid", value: .string(sid))) }
        if let jti { object.members.append((key: "jti", value: .string(jti))) }
        if let iat { object.members.append((key: "iat", value: .int(iat))) }
        if let nbf { object.members.append((key: "nbf", value: .int(nbf))) }
        if let exp { object.members.append((key: "exp", value: .int(exp))) }
        object.members.append(contentsOf: extra.members)
        return object
    }

    /// Writes the same bytes as `JSONValue.object(payload()).serialized()` without building the tree.
    package func writePayload(into out: inout [UInt8]) {
        var first = true
        func key(_ name: StaticString, _ out: inout [UInt8]) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        if let iss {
            key("iss", &out)
            JSONWriter.writeString(iss, into: &out)
        }
        if let sub {
            key("sub", &out)
            JSONWriter.writeString(sub, into: &out)
        }
        if let aud {
            key("aud", &out)
            if aud.count == 1 && !audienceAsArray {
                JSONWriter.writeString(aud[0], into: &out)
            } else {
                JSONWriter.write(.array(aud.map { .string($0) }), into: &out, indent: nil, level: 0)
            }
        }
        if let sid {
            key("sid", &out)
            JSONWriter.writeString(sid, into: &out)
        }
        if let jti {
            key("jti", &out)
            JSONWriter.writeString(jti, into: &out)
        }
        if let iat {
            key("iat", &out)
            JSONWriter.writeInteger(iat, into: &out)
        }
        if let nbf {
            key("nbf", &out)
            JSONWriter.writeInteger(nbf, into: &out)
        }
        if let exp {
            key("exp", &out)
            JSONWriter.writeInteger(exp, into: &out)
        }
        for member in extra.members {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            JSONWriter.writeString(member.key, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONWriter.write(member.value, into: &out, indent: nil, level: 0)
        }
        if first { out.append(UInt8(ascii: "{")) }
        out.append(UInt8(ascii: "}"))
    }
}
