/// Which of a scenario's checks read values the profile does not map, known before anything runs.
/// A check that reads an unmapped value can only end *not applicable*; when every check that
/// reads a value does, the scenario is not applicable before it spends a login (issue #23: one
/// spent 48 s of racing logins to say so).
enum UnmappedFields {
    /// The not-applicable reason when the scenario reads values and none of them is mapped; nil
    /// when at least one value it reads is, or it reads none (status-only checks).
    static func reason(_ scenario: Scenario, profile: TargetProfile) -> String? {
        var readable = false
        var reasons: [String] = []
        for expectation in expectations(scenario.steps) {
            switch unmapped(expectation, profile) {
            case nil: continue
            case .some(nil): readable = true
            case .some(let reason?):
                let line = "\(expectation.step): \(reason)"
                if !reasons.contains(line) { reasons.append(line) }
            }
        }
        guard !readable, !reasons.isEmpty else { return nil }
        return reasons.joined(separator: "; ")
    }

    /// Every check, through repeat blocks and `all_of` (each member decides on its own).
    static func expectations(_ steps: [Step]) -> [Expectation] {
        var found: [Expectation] = []
        for step in steps {
            switch step {
            case .expect(let expectation): found += flattened(expectation)
            case .repeatBlock(_, let inner): found += expectations(inner)
            default: continue
            }
        }
        return found
    }

    private static func flattened(_ expectation: Expectation) -> [Expectation] {
        guard case .allOf(let members) = expectation.subject else { return [expectation] }
        return members.flatMap(flattened)
    }

    /// nil: the check reads no mapped value (status, outcome, journal); `.some(nil)`: every value
    /// it reads is mapped; `.some(reason)`: it reads one the profile does not map.
    static func unmapped(_ expectation: Expectation, _ profile: TargetProfile) -> String?? {
        let fields = profile.responseFields
        func field(_ name: String) -> String? {
            // A JSON Pointer needs no mapping; a `${…}` name is only known when it runs.
            if name.hasPrefix("/") || name.contains("${") || fields[name] != nil { return nil }
            return "the profile maps no response field '\(name)' (add it under \"response\" to check it)"
        }
        switch expectation.subject {
        case .response(_, let check):
            var reads: [String?] = []
            if let name = check.field { reads.append(field(name)) }
            if check.organizations != nil {
                if case .list? = fields["organizations"] {
                    reads.append(nil)
                } else {
                    reads.append("the profile maps no list 'organizations' (add {\"array\", \"id\", \"role\"} under \"response\" to check it)")
                }
            }
            if let (_, names) = check.notContains, !names.isEmpty {
                let missing = names.compactMap(field)
                reads.append(
                    missing.count == names.count
                        ? "the profile maps none of \(names.joined(separator: ", ")) (add them under \"response\" to check them)" : nil)
            }
            return combined(reads)
        case .responses(_, let check):
            var reads: [String?] = []
            if let (name, _) = check.distinct { reads.append(field(name)) }
            if let (name, _, _) = check.nonNull { reads.append(field(name)) }
            return combined(reads)
        case .introspect(_, let check):
            guard let introspection = profile.introspection else { return .some("the profile declares no capabilities.introspection") }
            var reads: [String?] = []
            for (counter, _) in check.counters {
                reads.append(
                    introspection.fields[counter.rawValue] == nil
                        ? "the profile's capabilities.introspection maps no '\(counter.rawValue)'" : nil)
            }
            if check.email != nil {
                reads.append(introspection.fields["email"] == nil ? "the profile's capabilities.introspection maps no 'email'" : nil)
            }
            if check.membershipCount != nil || check.memberships != nil {
                if case .list? = introspection.fields["memberships"] {
                    reads.append(nil)
                } else {
                    reads.append("the profile's capabilities.introspection maps no 'memberships' list")
                }
            }
            return combined(reads)
        case .anyOf(let alternatives):
            // Readable when one alternative is; reading nothing when one reads nothing.
            var reasons: [String] = []
            for alternative in alternatives {
                switch unmapped(alternative, profile) {
                case nil, .some(nil): return unmapped(alternative, profile)
                case .some(let reason?): reasons.append(reason)
                }
            }
            return reasons.isEmpty ? nil : .some(reasons.joined(separator: "; "))
        case .allOf(let members):
            return combined(members.compactMap { unmapped($0, profile) })
        case .same, .journal, .idpSession, .canary:
            return nil
        }
    }

    /// One check's readings: nil when it reads nothing, the first unmapped reason, or mapped.
    private static func combined(_ reads: [String?]) -> String?? {
        guard !reads.isEmpty else { return nil }
        if let reason = reads.compactMap({ $0 }).first { return .some(reason) }
        return .some(nil)
    }
}
