import Glibc
import HTTP
import JOSE
import JSON

/// Applies the first armed fault that matches the request: answer in the route's place, drop
/// the connection, or delay the route. Which fault fired travels out in the answer's
/// annotations, for the journal.
struct FaultInjection: HTTPMiddleware {
    static let annotation = "fault"
    let faults: FaultInjector

    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
        guard let fault = faults.take(method: request.method, path: request.path) else { return try next(request) }
        var response: HTTPResponse
        switch fault.action {
        case .respond(let status, let body):
            response = .json(body ?? ["code": "injected_fault", "message": .string("fault \(fault.id) injected by the mock")], status: status)
        case .drop:
            response = .dropConnection
        case .delay(let milliseconds):
            // Blocking is fine: each connection has its own thread, never a Swift task.
            usleep(useconds_t(milliseconds * 1000))
            response = HTTPResponse.answering(request, with: next)
        case .omitMembers(let names):
            response = HTTPResponse.answering(request, with: next)
            if var object = (try? response.json())?.objectValue {
                for name in names { object[name] = nil }
                response.body = JSONValue.object(object).serialized()
            }
        case .truncateBody(let bytes):
            response = HTTPResponse.answering(request, with: next)
            response.body = Array(response.body.prefix(bytes))
        case .jwksExtraKeys(let count):
            response = HTTPResponse.answering(request, with: next)
            if var object = (try? response.json())?.objectValue, let keys = object["keys"]?.arrayValue {
                object["keys"] = .array(Self.paddingKeys(count) + keys)
                response.body = JSONValue.object(object).serialized()
            }
        case .padBytes(let bytes):
            response = HTTPResponse.answering(request, with: next)
            if var object = (try? response.json())?.objectValue {
                // `"mockidp_padding":"…",` costs 21 bytes besides the padding itself.
                object["mockidp_padding"] = .string(String(repeating: "x", count: max(0, bytes - 21)))
                response.body = JSONValue.object(object).serialized()
            }
        }
        response.annotations[Self.annotation] = fault.id
        response.annotations[Self.annotation + ".path"] = fault.path
        return response
    }

    /// `count` well-formed RSA-2048 public JWKs no one holds the private half of, each with its
    /// own kid: they parse like real keys and verify nothing. Deterministic, so a run repeats.
    static func paddingKeys(_ count: Int) -> [JSONValue] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var keys: [JSONValue] = []
        keys.reserveCapacity(count)
        for index in 0..<count {
            var modulus = [UInt8](repeating: 0, count: 256)
            for offset in stride(from: 0, to: modulus.count, by: 8) {
                // xorshift64: cheap bytes; the key only has to look like one.
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                withUnsafeBytes(of: state) { modulus.replaceSubrange(offset..<offset + 8, with: $0) }
            }
            modulus[0] |= 0x80
            modulus[255] |= 0x01
            keys.append([
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": .string("mockidp_padding_\(index + 1)"),
                "n": .string(Base64URL.encode(modulus)), "e": "AQAB",
            ])
        }
        return keys
    }

    /// The journal flag for an answer a fault shaped, if one did.
    static func flag(of response: HTTPResponse) -> JournalFlag? {
        guard let id = response.annotations[annotation] else { return nil }
        return JournalFlag(kind: .faultInjected, reason: id, field: "route", value: response.annotations[annotation + ".path"] ?? "")
    }
}
