import Essentials
import IdP

// The scenario format's words, each owned by one enum: the parser, the validator, the runner,
// `mockidp scenarios` and the schema test (`SchemaVocabularyTests`) all read these, so a new
// name is added here once and the schema must follow.

/// A step's one key (`{"mint": {…}}`).
package enum StepKind: String, CaseIterable, Sendable {
    case user, mint, callback, probe, cookies, logout
    case revokeSession = "revoke_session"
    case parallel, request, credentials, keys
    case idpFault = "idp_fault"
    case appFault = "app_fault"
    case clock, wait, mark
    case jwtTemplate = "jwt_template"
    case repeatBlock = "repeat"
    case expect
    case deadline
    case tokenOverride = "token_override"
    case replayRefresh = "replay_refresh"
}

/// What a target profile offers and a scenario may require (`"requires": ["introspection"]`).
package enum Capability: String, CaseIterable, Sendable, Comparable {
    case introspection
    case faultHook = "fault_hook"
    case seeding, reset
    case jwksCacheTTL = "jwks_cache_ttl"
    case emailClaim = "email_claim"
    case organizationCredentials = "organization_credentials"
    case codeFlow = "code_flow"
    case probe, logout
    case tokenCallback = "token_callback"
    case resourceServer = "resource_server"
    case resourceMetadata = "resource_metadata"
    /// The code-flow profile names the app's own login route (`callback.login_path`): the
    /// authorize requests the mock receives are the app's, not ones the runner built.
    case loginRoute = "login_route"
    /// The app checks the authorization response's `iss` (RFC 9207).
    case authorizationResponseIss = "authorization_response_iss"
    case idpTimeout = "idp_timeout"
    case idTokenRole = "id_token_role"

    package static func < (left: Capability, right: Capability) -> Bool { left.rawValue < right.rawValue }
}

/// The subject of a check: exactly one per `expect` object.
package enum CheckKind: String, CaseIterable, Sendable {
    case response, responses, same, introspect, journal
    case anyOf = "any_of"
    case allOf = "all_of"
    /// The IdP session (the `sid`) of a token's login, as the mock's own state has it.
    case idpSession = "idp_session"
    case canary

    /// The conditions that may stand beside this subject.
    var conditions: [String] {
        switch self {
        case .response: return ResponseCondition.allCases.map(\.rawValue)
        case .responses: return ResponsesCondition.allCases.map(\.rawValue)
        case .same: return ["ignore"]
        case .introspect: return IntrospectCondition.allCases.map(\.rawValue)
        case .journal, .anyOf, .allOf, .canary: return []
        case .idpSession: return IDPSessionCondition.allCases.map(\.rawValue)
        }
    }

    /// Every key an `expect` object may hold: subjects, their conditions, `because` and `else`.
    static var everyKey: Set<String> {
        Set(allCases.map(\.rawValue) + allCases.flatMap(\.conditions) + ["because", "else"])
    }
}

/// Conditions on one captured response.
package enum ResponseCondition: String, CaseIterable, Sendable {
    case outcome, header, status, field, equals
    case notEquals = "not_equals"
    case notNull = "not_null"
    case isNull = "is_null"
    case idSpace = "id_space"
    case appIDOf = "app_id_of"
    case organizations
    case notContains = "not_contains"
    case bodyContains = "body_contains"
    case redirects
    case includes
    case sessionCookie = "session_cookie"
}

/// Conditions on the IdP session of a token's login (`idp_session`).
package enum IDPSessionCondition: String, CaseIterable, Sendable {
    /// `true`: the session is ended at the mock and none of its refresh tokens is honoured.
    case ended
}

/// One rule on the session cookies a login set (`"session_cookie": "http_only"`), OWASP ASVS
/// 4.0.3 V3.4 and RFC 6265bis; `SessionCookieJudge` applies them.
package enum SessionCookieRule: String, CaseIterable, Sendable {
    case httpOnly = "http_only"
    case sameSite = "same_site"
    case secure
    case domain
    case notInURL = "not_in_url"
}

/// Conditions on the responses of a `parallel` step.
package enum ResponsesCondition: String, CaseIterable, Sendable {
    case outcome, status, distinct
    case nonNull = "non_null"
    case field
}

/// Conditions on what the app's introspection hook reports for a user.
package enum IntrospectCondition: String, CaseIterable, Sendable {
    case workspaces, members
    case apiKeys = "api_keys"
    case memberships
    case membershipCount = "membership_count"
    case email
}

/// Members of a `journal` check.
package enum JournalCondition: String, CaseIterable, Sendable {
    case flag
    case pathPrefix = "path_prefix"
    case method, since
    case sessionOf = "session_of"
    case count
    case refetchAllowance = "refetch_allowance"
}

/// How a login ended, as the profile defines signed in and refused.
package enum Outcome: String, CaseIterable, Sendable {
    case accepted, refused
    case not5xx = "not_5xx"
    /// `accepted` when the profile declares a JWKS cache (`jwks_cache_ttl_seconds` above 0); with
    /// none, a valid token while the JWKS is down cannot be verified, and is judged like an
    /// unknown `kid`: accepted, refused or 502/503/504, never another 5xx or no answer.
    case acceptedWhileCached = "accepted_while_cached"
}

/// Which ID space a field's value must come from.
package enum IDSpaceRule: String, CaseIterable, Sendable {
    case app
    case notIdP = "not_idp"
    case idp
}

enum Vocabulary {
    /// The case of `Word` spelt `name`, or an error that suggests the nearest one and lists them all.
    static func parse<Word: RawRepresentable & CaseIterable>(
        _ name: String, as _: Word.Type, what: String,
        error: (String) -> ConfigError
    ) throws(ConfigError) -> Word
    where Word.RawValue == String {
        if let word = Word(rawValue: name) { return word }
        let names = Word.allCases.map(\.rawValue)
        throw error("unknown \(what) '\(name)'\(suggestion(for: name, among: names)) (one of \(names.joined(separator: ", ")))")
    }

    /// `; did you mean 'x'?` for the nearest name within two edits (or a prefix of it), else "".
    static func suggestion(for name: String, among names: [String]) -> String {
        let near = names.filter { editDistance($0, name) <= 2 || ($0.hasPrefix(name) && name.count >= 3) }
            .min { editDistance($0, name) < editDistance($1, name) }
        return near.map { "; did you mean '\($0)'?" } ?? ""
    }
}
