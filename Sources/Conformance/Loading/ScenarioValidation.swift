import JSON

/// Everything about a scenario that can be checked before it runs, so an authoring mistake is an
/// exit 2 naming file, step and field instead of a run-time error (or, worse, a verdict on the
/// app): the id pattern, every `${…}` reference bound by an earlier step, every token, response
/// and mark name used after it is bound, and the shape of every check's values. Value ranges
/// are checked while parsing (`ReaderLimits`).
struct ScenarioValidation {
    let file: String
    /// Every name some step binds, with the step that binds it, to tell "later" from "nowhere".
    private var everywhere: [String: String] = [:]
    private var bound: Set<String> = []
    private var marks: Set<String> = []
    /// `${name.field}` references whose name no step binds: fixture users, known only once the
    /// mock's fixtures are loaded (`Scenario.checkFixtureReferences`).
    private(set) var fixtureReferences: [FixtureReference] = []

    static let builtinRoots: Set<String> = ["run", "now", "idp", "profile", "org", "attacker", "canary"]

    /// Longest `id`: it names the scenario in file-name-like places (reports, `--filter`, JUnit
    /// test names), so it stays readable there.
    static let maxIDLength = 200

    /// The schema's `id` pattern: `family.name`, lower case (safe in file names and XML), at most
    /// `maxIDLength` characters.
    static func checkID(_ id: String, file: String) throws(ConfigError) {
        guard id.utf8.count <= maxIDLength else {
            throw ConfigError(file: file, field: "id", message: "is \(id.utf8.count) bytes long, more than the \(maxIDLength) an id may have")
        }
        let parts = id.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let family = parts.first.map(String.init) ?? ""
        let rest = parts.count > 1 ? String(parts[1]) : ""
        let familyOK = !family.isEmpty && family.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        let restOK = !rest.isEmpty && rest.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }
        guard familyOK && restOK else {
            throw ConfigError(file: file, field: "id", message: "'\(id)' does not match ^[a-z0-9-]+\\.[a-z0-9.-]+$ (family.name, lower case)")
        }
    }

    init(file: String, steps: [ParsedStep]) {
        self.file = file
        collect(steps)
    }

    private mutating func collect(_ steps: [ParsedStep]) {
        for parsed in steps {
            if let name = parsed.step.boundName, everywhere[name] == nil { everywhere[name] = parsed.location }
            collect(parsed.inner)
        }
    }

    mutating func check(_ steps: [ParsedStep]) throws(ConfigError) {
        for parsed in steps {
            let location = parsed.location
            let kind = parsed.step.kind.rawValue
            try checkReferences(in: parsed.body, step: location, path: kind)
            switch parsed.step {
            case .callback(let callback): try checkToken(callback.token, step: location, field: "callback.token")
            case .parallel(let parallel):
                try checkToken(parallel.token, step: location, field: "parallel.token")
                if let name = parallel.cookies {
                    guard bound.contains(name) else { throw notBound(name, location, "parallel.cookies", what: "cookie snapshot") }
                    // Each racing browser's cookies afterwards, for a probe in that browser later.
                    for index in 1...max(1, parallel.count) { bound.insert("\(parallel.name)#\(index)") }
                }
            case .credentials(let credentials): try checkToken(credentials.token, step: location, field: "credentials.token")
            case .cookies(let snapshot): try checkToken(snapshot.token, step: location, field: "cookies.token")
            case .logout(_, let token): try checkToken(token, step: location, field: "logout.token")
            case .revokeSession(let token): try checkToken(token, step: location, field: "revoke_session.token")
            case .probe(let probe):
                try checkToken(probe.token, step: location, field: "probe.token")
                if let name = probe.cookies, !bound.contains(name) { throw notBound(name, location, "probe.cookies", what: "cookie snapshot") }
            case .waitUntilExpired(let token): try checkToken(token, step: location, field: "wait.until_expired")
            case .replayRefresh(let token): try checkToken(token, step: location, field: "replay_refresh.token")
            case .expect(let expectation): try checkExpectation(expectation, step: location, path: StepKind.expect.rawValue)
            case .repeatBlock: try check(parsed.inner)
            case .mark(let name): marks.insert(name)
            default: break
            }
            if let name = parsed.step.boundName { bound.insert(name) }
        }
    }

    private func error(_ step: String, _ field: String, _ message: String) -> ConfigError {
        ConfigError(file: file, step: step, field: field, message: message)
    }

    private func notBound(_ name: String, _ step: String, _ field: String, what: String) -> ConfigError {
        if let later = everywhere[name] {
            return error(step, field, "\(what) '\(name)' is bound only by a later step (\(later)); bind it before it is used")
        }
        return error(step, field, "\(what) '\(name)' is not bound by any step")
    }

    /// `${name}` and `${name.field}` in every string of the step.
    private mutating func checkReferences(in value: JSONValue, step: String, path: String) throws(ConfigError) {
        switch value {
        case .string(let text):
            var rest = Substring(text)
            while let start = rest.firstRange(of: "${") {
                guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw error(step, path, "unclosed ${ in '\(text)'") }
                try checkReference(String(rest[start.upperBound..<end]), step: step, field: path)
                rest = rest[rest.index(after: end)...]
            }
        case .array(let items):
            for (index, item) in items.enumerated() { try checkReferences(in: item, step: step, path: "\(path)[\(index)]") }
        case .object(let object):
            for member in object { try checkReferences(in: member.value, step: step, path: "\(path).\(member.key)") }
        default: break
        }
    }

    private mutating func checkReference(_ reference: String, step: String, field: String) throws(ConfigError) {
        let parts = reference.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts.first.map(String.init) ?? ""
        if name.hasPrefix("now+") || name.hasPrefix("now-") {
            guard Int64(name.dropFirst(4)) != nil else { throw error(step, field, "${\(reference)}: use ${now}, ${now+N} or ${now-N}") }
            return
        }
        if Self.builtinRoots.contains(name) || bound.contains(name) { return }
        // `${alice.email}` may name a fixture user, which only the mock's fixtures know.
        if parts.count > 1, everywhere[name] == nil {
            fixtureReferences.append(FixtureReference(name: name, reference: reference, step: step, field: field))
            return
        }
        throw notBound(name, step, field, what: "${\(reference)}:")
    }

    /// A token is a name minted earlier, a `${…}` reference, or a literal compact JWS.
    private func checkToken(_ name: String?, step: String, field: String) throws(ConfigError) {
        guard let name, !name.contains("${"), !name.contains(".") else { return }
        if !bound.contains(name) { throw notBound(name, step, field, what: "token") }
    }

    private func checkResponseName(_ name: String, step: String, field: String) throws(ConfigError) {
        if !bound.contains(name) { throw notBound(name, step, field, what: "response") }
    }

    /// Names a check reads must be bound before it; the values' shapes were checked while parsing.
    private func checkExpectation(_ expectation: Expectation, step: String, path: String) throws(ConfigError) {
        switch expectation.subject {
        case .response(let name, let check):
            try checkResponseName(name, step: step, field: "\(path).response")
            if let other = check.notContains { try checkResponseName(other.response, step: step, field: "\(path).not_contains.response") }
        case .responses(let name, _):
            try checkResponseName(name, step: step, field: "\(path).responses")
        case .same(let names, _):
            for (index, name) in names.enumerated() { try checkResponseName(name, step: step, field: "\(path).same[\(index)]") }
        case .introspect, .canary: break
        case .journal(let journal):
            if let name = journal.since, !marks.contains(name) { throw notBound(name, step, "\(path).journal.since", what: "mark") }
            try checkToken(journal.sessionOf, step: step, field: "\(path).journal.session_of")
        case .anyOf(let list), .allOf(let list):
            let combinator = expectation.subject.kind.rawValue
            for (index, inner) in list.enumerated() { try checkExpectation(inner, step: step, path: "\(path).\(combinator)[\(index)]") }
        case .idpSession(let name, _):
            try checkToken(name, step: step, field: "\(path).idp_session")
        }
    }
}

/// A `${name.field}` whose name only a fixture user can answer to.
package struct FixtureReference: Sendable {
    let name: String
    let reference: String
    let step: String
    let field: String
}

extension Scenario {
    /// Exit 2 before anything runs for a `${name.field}` no step binds and no fixture user
    /// (`isFixtureUser`, asked of the mock's loaded fixtures) answers to.
    package func checkFixtureReferences(isFixtureUser: (String) -> Bool) throws(ConfigError) {
        for reference in fixtureReferences where !isFixtureUser(reference.name) {
            throw ConfigError(
                file: file, step: reference.step, field: reference.field,
                message: "${\(reference.reference)}: '\(reference.name)' is not bound by any step, nor a fixture user")
        }
    }
}

extension Step {
    /// The name this step binds (`as`, or a mark's name), if any.
    var boundName: String? {
        switch self {
        case .user(let step): return step.name
        case .mint(let step): return step.name
        case .callback(let step): return step.name
        case .probe(let step): return step.name
        case .cookies(let step): return step.name
        case .logout(let name, _): return name
        case .parallel(let step): return step.name
        case .request(let step): return step.name
        case .credentials(let step): return step.name
        case .keys(let step): return step.name
        case .mark(let name): return name
        case .revokeSession, .idpFault, .appFault, .clock, .wait, .waitUntilExpired, .jwtTemplate, .repeatBlock, .expect, .deadline, .tokenOverride,
            .replayRefresh:
            return nil
        }
    }
}
