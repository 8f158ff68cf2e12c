import JSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What a login with verified claims came to. Each shape turns it into its own answer (the API
/// shape a JSON status, the web shape a session or an error page).
enum LoginOutcome: Sendable {
    /// The account, as the first call with this idempotency key answered it.
    case answered(StoredResponse)
    /// The token is fine cryptographically but cannot sign anyone in (no jti/sid, unknown user…).
    case refused(String)
    case upstream(UpstreamError)
    case failed(ProvisioningFailure)
    /// A user row without workspace or member: this code cannot produce one, so say so.
    case inconsistent
}

/// Steps 2 to 7 of a login, shared by both shapes: the idempotency key from jti/sid, replay,
/// the identity keyed by `sub`, memberships mapped to app organizations through `external_id`,
/// and atomic provisioning (one workspace under concurrent first logins).
struct LoginProvisioner: Sendable {
    let configuration: SampleAppConfiguration
    let database: DatabaseBox
    let directory: IdPDirectoryClient
    /// Only used by the response-from-shared-variable bug.
    let lastLogin: SharedSlot

    var bug: SeededBug? { configuration.bug }

    func login(_ verified: VerifiedClaims) -> LoginOutcome {
        let claims = verified.claims
        let subject = verified.subject

        // Step 2: a login needs a token or session ID to be idempotent on.
        let idempotencyKey: String
        switch callbackKey(claims: claims, subject: subject, issuer: verified.issuer ?? "") {
        case .some(let key): idempotencyKey = key
        case .none: return .refused("missing token_id or session_id")
        }
        // BUG (unused-idempotency-key): computed above, then ignored.
        let usedKey: String? = bug == .unusedIdempotencyKey ? nil : idempotencyKey

        // Step 3: a replay answers exactly what the first call answered.
        if let usedKey, let stored = database.withLock({ $0.idempotency[usedKey] }) { return .answered(stored) }

        // Step 4: identity, keyed by sub.
        let claimedEmail = claims[configuration.emailClaim]?.nonBlankString
        let email: String?
        if let claimedEmail {
            email = claimedEmail
        } else {
            do {
                guard let user = try directory.user(id: subject) else { return .refused("unknown_user") }
                // The IdP's answer must be about the token's subject, or nothing can be trusted.
                guard user.id == subject else { return .refused("user_id_mismatch") }
                email = user.email
            } catch {
                return .upstream(error)
            }
        }

        // Step 5: memberships, mapped to app organizations through external_id.
        var candidates: [MembershipCandidate] = []
        do {
            for membership in try directory.activeMemberships(userID: subject) {
                let appOrganizationID: String?
                if bug == .idSpaceConfusion {
                    // BUG (id-space-confusion): an IdP org ID is looked up among app org IDs.
                    appOrganizationID = membership.organizationID
                } else {
                    appOrganizationID = try directory.organizationExternalID(id: membership.organizationID)
                }
                if bug == .appIDSentToIdP, let appOrganizationID {
                    // BUG (app-id-sent-to-idp): "refresh" the name by the app's own org ID; the
                    // IdP answers 404 for an ID that is not its own, and the result is ignored.
                    _ = try? directory.organizationExternalID(id: appOrganizationID)
                }
                candidates.append(
                    MembershipCandidate(
                        appOrganizationID: appOrganizationID, idpOrganizationID: membership.organizationID,
                        role: membership.role))
            }
        } catch {
            return .upstream(error)
        }

        // Steps 6 and 7: provision and answer.
        let input = LoginInput(
            idpUserID: subject, email: email, memberships: candidates, idempotencyKey: usedKey,
            now: configuration.clock(),
            resolveByEmail: bug == .emailClaimSkipsMismatch ? claimedEmail : nil)
        switch provision(input) {
        case .success(let stored)?: return .answered(stored)
        case .failure(let failure)?: return .failed(failure)
        case nil: return .inconsistent
        }
    }

    /// The idempotency key, or nil when the token has no usable jti or sid.
    private func callbackKey(claims: JSONObject, subject: String, issuer: String) -> String? {
        if bug == .emptySidJtiAccepted {
            // BUG (empty-sid-jti-accepted): `typeof x === "string"` presence, truthiness for the
            // key, and a fallback key shared by every user ("workos-session:undefined").
            let jti = claims["jti"]
            let sid = claims["sid"]
            guard jti?.stringValue != nil || sid?.stringValue != nil else { return nil }
            if let value = jti?.stringValue, !value.isEmpty { return Identifiers.digest(fields: [issuer, subject, "jti", value]) }
            return "workos-session:" + Self.javaScriptString(sid)
        }
        // Blank strings and non-strings are missing; "undefined" or "null" are ordinary IDs.
        if let jti = claims["jti"], jti.nonBlankString != nil, let value = jti.stringValue {
            return Identifiers.digest(fields: [issuer, subject, "jti", value])
        }
        if let sid = claims["sid"], sid.nonBlankString != nil, let value = sid.stringValue {
            return Identifiers.digest(fields: [issuer, subject, "sid", value])
        }
        return nil
    }

    /// How a JavaScript template literal prints a claim value (for the empty-sid-jti bug).
    private static func javaScriptString(_ value: JSONValue?) -> String {
        switch value {
        case nil: return "undefined"
        case .string(let text)?: return text
        case .null?: return "null"
        case .array?: return ""  // close enough: only the shared-key behaviour matters
        case .object?: return "[object Object]"
        case let other?: return other.serializedString()
        }
    }

    /// nil when the tables are inconsistent (a user without workspace or member).
    private func provision(_ input: LoginInput) -> Result<StoredResponse, ProvisioningFailure>? {
        if bug == .concurrentDuplicateProvisioning {
            // BUG (concurrent-duplicate-provisioning): check, release the lock, then insert without
            // checking again. The pause widens the window the way an async DB round trip would;
            // 25 ms keeps the race reliable even when the callbacks' arrival is spread by a busy
            // machine (5 ms was not enough under a parallel test run).
            let existing = database.withLock { database -> (replay: StoredResponse?, exists: Bool) in
                if let key = input.idempotencyKey, let stored = database.idempotency[key] { return (stored, true) }
                return (nil, database.userIndex(for: input) != nil)
            }
            if let replay = existing.replay { return .success(replay) }
            if !existing.exists {
                sched_yield()
                usleep(25_000)
                return database.withLock { $0.firstLogin(input, halfProvisioned: false) }
            }
        }
        var sawNoAccount = false
        if bug == .secretResentToRacers {
            // BUG (secret-resent-to-racers): "first login?" is read outside the critical section;
            // the pause stands in for the IdP round trips that separate the two in the original.
            sawNoAccount = database.withLock { $0.userIndex(for: input) == nil }
            usleep(25_000)
        }
        let result = database.withLock { database -> Result<StoredResponse, ProvisioningFailure>? in
            // Inside one critical section: the replay check, the uniqueness check and every
            // insert, so concurrent first logins of one user create exactly one of each.
            if let key = input.idempotencyKey, let stored = database.idempotency[key] { return .success(stored) }
            if let index = database.userIndex(for: input) {
                return database.existingLogin(userIndex: index, input, revealKey: sawNoAccount).map { .success($0) }
            }
            return database.firstLogin(input, halfProvisioned: bug == .halfProvisionedMember)
        }
        if bug == .responseFromSharedVariable, case .success(let stored)? = result {
            // BUG (response-from-shared-variable): written here, read back after a pause in
            // which another login may have written its own answer. The pause stands in for the
            // async work (audit log, analytics) between the two in the original.
            lastLogin.withLock { $0 = stored }
            usleep(25_000)
            return .success(lastLogin.withLock { $0 } ?? stored)
        }
        return result
    }
}
