import FoundationEssentials
import Glibc
import HTTP
import Synchronization

/// Judges each authorize request an app sends (the request a login's browser carries to the IdP)
/// and names what it leaves open, as journal flags:
/// - `authorize_unprotected`: neither `state` nor a PKCE `code_challenge` (RFC 9700 §2.1: one of
///   them must bind the response to the browser that started the login; login CSRF otherwise);
/// - `state_guessable`: a `state` worth less than 64 bits, estimated as its length times log2 of
///   the smallest usual alphabet that holds every character (digits 10, hex 16, lowercase or
///   uppercase alphanumerics 36, alphanumerics 62, base64/base64url 64, printable ASCII 95);
/// - `state_reused`: a `state` this client already sent in an earlier authorize request;
/// - `nonce_missing`: `scope` holds `openid` but the request has no `nonce`;
/// - `redirect_uri_unregistered`: a `redirect_uri` that is not exactly one of the registered ones.
///
/// With a PKCE `code_challenge` the `state` may be plain application state (RFC 9700 §2.1 and
/// §4.7.1: PKCE is then the CSRF protection), and PKCE also binds the code as a `nonce` would
/// (RFC 9700 §2.1.1; OpenID Connect Core §3.1.2.1 makes `nonce` optional in the code flow): so
/// the `state` and `nonce` flags are raised only for requests without PKCE. Never a false alarm
/// on a correct app is worth more than a flag on a defensible one.
package final class AuthorizeHygiene: Sendable {
    package static let minimumStateBits = 64.0
    /// The states remembered per client for `state_reused`; the oldest are forgotten past this.
    static let memory = 50_000
    static let paths: Set<String> = ["/user_management/authorize", "/oauth2/authorize"]

    private struct Seen {
        var states: Set<String> = []
        var order: [String] = []
        var registered: [String] = []
    }
    private let seen = Mutex(Seen())

    package init() {}

    /// The redirect URIs the app under test registered (the runner's target profile says which),
    /// besides those the mock was configured with: a `redirect_uri` outside both is flagged.
    package func register(redirectURIs: [String]) {
        seen.withLock { $0.registered = redirectURIs }
    }

    /// The flags of one request; requests other than an authorize request get none.
    func flags(method: String, path: String, query: QueryParameters, configured: [String]) -> [JournalFlag] {
        guard method == "GET" || method == "POST", Self.paths.contains(path) else { return [] }
        func value(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
        let state = value("state")
        let pkce = value("code_challenge") != nil
        var flags: [JournalFlag] = []
        if state == nil && !pkce {
            flags.append(JournalFlag(kind: .authorizeUnprotected, reason: "no_state_no_pkce", field: "state", value: ""))
        }
        if let state, !pkce {
            let bits = Self.estimatedBits(state)
            if bits < Self.minimumStateBits {
                flags.append(
                    JournalFlag(
                        kind: .stateGuessable, reason: "about \(Int(bits)) bits (under \(Int(Self.minimumStateBits)))", field: "state", value: state))
            }
        }
        let (reused, registered) = seen.withLock { seen -> (Bool, [String]) in
            guard let state else { return (false, seen.registered) }
            let key = (value("client_id") ?? "") + "\u{0}" + state
            if seen.states.contains(key) { return (true, seen.registered) }
            seen.states.insert(key)
            seen.order.append(key)
            if seen.order.count > Self.memory {
                let drop = seen.order.count - Self.memory * 3 / 4
                for old in seen.order.prefix(drop) { seen.states.remove(old) }
                seen.order.removeFirst(drop)
            }
            return (false, seen.registered)
        }
        if reused, !pkce, let state {
            flags.append(JournalFlag(kind: .stateReused, reason: "sent before by this client", field: "state", value: state))
        }
        let scopes = (value("scope") ?? "").split(separator: " ")
        if scopes.contains("openid"), value("nonce") == nil, !pkce {
            flags.append(JournalFlag(kind: .nonceMissing, reason: "openid scope without nonce or PKCE", field: "nonce", value: ""))
        }
        let allowed = registered + configured
        if !allowed.isEmpty, let uri = value("redirect_uri"), !allowed.contains(uri) {
            flags.append(JournalFlag(kind: .redirectURIUnregistered, reason: "not exactly a registered URI", field: "redirect_uri", value: uri))
        }
        return flags
    }

    /// Length × log2(alphabet), the alphabet being the smallest usual one that holds every character.
    package static func estimatedBits(_ value: String) -> Double {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty else { return 0 }
        func all(_ test: (UInt8) -> Bool) -> Bool { bytes.allSatisfy(test) }
        let digit: (UInt8) -> Bool = { (0x30...0x39).contains($0) }
        let lower: (UInt8) -> Bool = { (0x61...0x7A).contains($0) }
        let upper: (UInt8) -> Bool = { (0x41...0x5A).contains($0) }
        let alphabet: Double
        if all(digit) {
            alphabet = 10
        } else if all({ digit($0) || (0x61...0x66).contains($0) }) || all({ digit($0) || (0x41...0x46).contains($0) }) {
            alphabet = 16
        } else if all({ digit($0) || lower($0) }) || all({ digit($0) || upper($0) }) {
            alphabet = 36
        } else if all({ digit($0) || lower($0) || upper($0) }) {
            alphabet = 62
        } else if all({
            digit($0) || lower($0) || upper($0)
                || [UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "=")].contains($0)
        }) {
            alphabet = 64
        } else {
            alphabet = 95
        }
        return Double(bytes.count) * log2(alphabet)
    }
}
