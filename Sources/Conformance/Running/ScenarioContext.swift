import FoundationEssentials
import Glibc
import HTTP
import IdP
import JOSE
import JSON

/// One scenario's run, in three parts: what its steps bound (`bindings`), the requests it sent
/// through its simulated browsers (`wire`, which keeps the transcript), and what its checks
/// found (`findings`); plus how it may wait.
final class ScenarioContext {
    let scenario: Scenario
    let idp: MockIdP
    let app: AppTarget
    /// The attacker IdP and the canary listener the runner started, if it did.
    let sides: SideServers
    let runID: String
    /// What the steps bound by name.
    var bindings = Bindings()
    /// Every request sent to the app and what came back.
    let wire: Wire
    var findings = Findings()
    /// Waits longer than this skip the scenario (`--max-wait`).
    var maxWait: Double = 120
    /// The shared batch's job slots, given up while this scenario sleeps in a wait.
    var jobSlots: JobSlots?
    /// Set when the scenario changed the mock's keys, so the runner can let the app's cache settle.
    var keysChanged = false
    /// Time asleep in wait steps so far, for `bench --suite`'s split of wall time.
    var waitedSeconds: Double = 0

    init(scenario: Scenario, idp: MockIdP, app: AppTarget, sides: SideServers = SideServers()) {
        self.scenario = scenario
        self.idp = idp
        self.app = app
        self.sides = sides
        runID = String(idp.ids.ulid().suffix(10)).lowercased()
        wire = Wire(idp: idp, app: app)
    }

    // MARK: Names and ${…} references

    /// Replaces `${…}` references in every string of a JSON value. A string that is exactly one
    /// reference takes the referenced value's JSON type (so `"${r.count}"` can be a number).
    func resolve(_ value: JSONValue) throws -> JSONValue {
        switch value {
        case .string(let text): return try resolveString(text)
        case .array(let elements): return .array(try elements.map(resolve))
        case .object(let object):
            return .object(JSONObject(try object.members.map { (key: try text($0.key), value: try resolve($0.value)) }))
        default: return value
        }
    }

    func resolveString(_ text: String) throws -> JSONValue {
        guard text.contains("${") else { return .string(text) }
        if text.hasPrefix("${"), text.hasSuffix("}"), text.dropFirst(2).firstIndex(of: "$") == nil, text.filter({ $0 == "}" }).count == 1 {
            return try lookup(String(text.dropFirst(2).dropLast()))
        }
        var output = ""
        var rest = Substring(text)
        while let start = rest.firstRange(of: "${") {
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw ScenarioStop.harness("unclosed ${ in '\(text)'") }
            let value = try lookup(String(rest[start.upperBound..<end]))
            output += value.stringValue ?? value.serializedString()
            rest = rest[rest.index(after: end)...]
        }
        return .string(output + rest)
    }

    func text(_ template: String) throws -> String {
        let value = try resolveString(template)
        return value.stringValue ?? value.serializedString()
    }

    func lookup(_ reference: String) throws -> JSONValue {
        let parts = reference.split(separator: ".", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let rest = parts.count > 1 ? parts[1] : nil
        if let value = try builtin(name, rest) { return value }
        if let user = bindings.users[name] { return try userField(user, rest, name: name) }
        if let token = bindings.tokens[name] {
            guard let rest else { return .string(token.token) }
            if rest.hasPrefix("header.") { return token.header[String(rest.dropFirst("header.".count))] ?? .null }
            // The nonce an OpenID Connect login asked for, once its login has run.
            if rest == "nonce", app.profile.codeFlow?.tokenRole == .idToken, bindings.browserLogins[name] != nil {
                guard let nonce = bindings.loginNonces[name] else {
                    throw ScenarioStop.notApplicable("the app's login '\(name)' sent no nonce in its authorize request")
                }
                return .string(nonce)
            }
            return token.claims[rest] ?? .null
        }
        if let response = bindings.responses[name] {
            guard let rest else { throw ScenarioStop.harness("${\(name)} is a response: name a field, e.g. ${\(name).workspace_id}") }
            if rest == "status" { return response.status.map { .int(Int64($0)) } ?? .null }
            if rest.hasPrefix("header.") { return response.header(String(rest.dropFirst("header.".count))).map(JSONValue.string) ?? .null }
            return try field(rest, in: response) ?? .null
        }
        if let kid = bindings.kids[name] { return .string(kid) }
        // A fixture ref (`${alice.email}`) counts only with a field, and after every bound name.
        if rest != nil, let fixture = idp.directory.user(ref: name) { return try userField(fixture, rest, name: name) }
        throw ScenarioStop.harness("${\(reference)}: '\(name)' is not bound by an earlier step")
    }

    /// `${run}`, `${now±N}`, `${idp.…}`, `${profile.…}` and `${org.…}`: values no step binds.
    private func builtin(_ name: String, _ rest: String?) throws -> JSONValue? {
        if name == "run" { return .string(runID) }
        if name == "now" || name.hasPrefix("now+") || name.hasPrefix("now-") {
            // ${now}, ${now+300}, ${now-60}: the mock's clock in Unix seconds, for raw payloads.
            let offset = name.dropFirst(3)
            guard offset.isEmpty || Int64(offset.replacing("+", with: "")) != nil else {
                throw ScenarioStop.harness("${\(name)}: use ${now}, ${now+N} or ${now-N}")
            }
            return .int(idp.clock.now() + (Int64(offset.replacing("+", with: "")) ?? 0))
        }
        if name == "idp" {
            switch rest {
            case "base_url": return .string(idp.baseURL)
            case "issuer": return .string(idp.issuer)
            case "jwks_url": return .string(idp.jwksURL)
            case "client_id": return .string(idp.configuration.clientID)
            case "kid": return .string(idp.keys.activeKey.kid)
            default: throw ScenarioStop.harness("${idp.\(rest ?? "")}: use base_url, issuer, jwks_url, client_id or kid")
            }
        }
        if name == "attacker" {
            let attacker = try sides.attackerIdP()
            switch rest {
            case "base_url": return .string(attacker.baseURL)
            case "issuer": return .string(attacker.issuer)
            case "kid": return .string(attacker.idp.keys.activeKey.kid)
            default: throw ScenarioStop.harness("${attacker.\(rest ?? "")}: use base_url, issuer or kid")
            }
        }
        if name == "canary" {
            guard rest == "base_url" else { throw ScenarioStop.harness("${canary.\(rest ?? "")}: use base_url") }
            return .string(try sides.canaryListener().baseURL)
        }
        if name == "profile" {
            switch rest {
            case "email_claim":
                guard let claim = app.profile.emailClaim else { throw ScenarioStop.notApplicable("the profile declares no capabilities.email_claim") }
                return .string(claim)
            case "audience":
                guard let audience = app.audience else { throw ScenarioStop.notApplicable("the profile declares no resource_server.audience") }
                return .string(audience)
            case "resource_metadata_path":
                guard let path = app.profile.resourceServer?.metadataPath else {
                    throw ScenarioStop.notApplicable("the profile declares no resource_server.metadata_path (RFC 9728 protected-resource metadata)")
                }
                return .string(path)
            default: throw ScenarioStop.harness("${profile.\(rest ?? "")}: use email_claim, audience or resource_metadata_path")
            }
        }
        if name == "org" {
            guard let rest else { throw ScenarioStop.harness("${org} needs a fixture ref: ${org.acme.id} or ${org.acme.app_id}") }
            let pieces = rest.split(separator: ".", maxSplits: 1).map(String.init)
            guard let organization = idp.directory.resolveOrganization(pieces[0]) else {
                throw ScenarioStop.harness("no organization '\(pieces[0])' in the mock")
            }
            switch pieces.count > 1 ? pieces[1] : "id" {
            case "id": return .string(organization.id)
            case "app_id": return organization.externalID.map(JSONValue.string) ?? .null
            case "name": return .string(organization.name)
            case let other: throw ScenarioStop.harness("${org.\(pieces[0]).\(other)}: use id, app_id or name")
            }
        }
        return nil
    }

    private func userField(_ user: User, _ field: String?, name: String) throws -> JSONValue {
        switch field ?? "id" {
        case "id": return .string(user.id)
        case "email": return .string(user.email)
        case "app_id": return user.externalID.map(JSONValue.string) ?? .null
        case let other: throw ScenarioStop.harness("${\(name).\(other)}: a user has id, email and app_id")
        }
    }

    /// A response value by profile field name (`workspace_id`) or JSON Pointer (`/a/b`); a name
    /// the profile does not map makes the check not applicable.
    func field(_ name: String, in response: Captured) throws -> JSONValue? {
        if name.hasPrefix("/") { return response.fieldJSON?.value(atPointer: name) }
        guard let mapping = app.profile.responseFields[name] else {
            throw ScenarioStop.notApplicable("the profile maps no response field '\(name)' (add it under \"response\" to check it)")
        }
        return mapping.value(json: response.fieldJSON, text: response.fieldText)
    }

    var idpHost: String? { URLComponents(string: idp.baseURL)?.host }

    func tokenText(_ name: String) throws -> String {
        if let token = bindings.tokens[name] { return token.token }
        let resolved = try resolveString(name)
        guard let text = resolved.stringValue, text.split(separator: ".").count >= 2 else {
            throw ScenarioStop.harness("token '\(name)' is not minted by an earlier step")
        }
        return text
    }

    /// The token's header and payload as JSON, for the report; never trusted for anything else.
    static func decodeForReport(_ token: String) -> JSONValue {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        func segment(_ index: Int) -> JSONValue {
            guard parts.count > index, let bytes = try? Base64URL.decode(parts[index]) else { return .null }
            return (try? JSONValue.parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
        }
        return [
            "header": segment(0), "payload": segment(1),
            "signature_bytes": .int(Int64(parts.count > 2 ? ((try? Base64URL.decode(parts[2]))?.count ?? -1) : -1)),
        ]
    }
}
