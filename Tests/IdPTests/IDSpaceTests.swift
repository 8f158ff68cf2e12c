import Foundation
import JOSE
import JSON
import TestSupport
import Testing

@testable import IdP

@Suite struct IDGeneratorTests {
    @Test func idsHaveThePrefixAndAULID() {
        let ids = IDGenerator()
        let id = ids.id(.organization)
        #expect(id.hasPrefix("org_"))
        #expect(IdPID.parse(id)?.prefix == .organization)
        #expect(IDSpace.of(id) == .idp)
        #expect(IDSpace.of(ids.uuid()) == .app)
    }

    @Test func ulidsSortInCreationOrder() {
        let ids = IDGenerator()
        let made = (0..<200).map { _ in ids.ulid() }
        #expect(made == made.sorted())
        #expect(Set(made).count == 200)
    }

    @Test func seededGeneratorsRepeatThemselves() {
        let first = IDGenerator(seed: 42)
        let second = IDGenerator(seed: 42)
        let other = IDGenerator(seed: 43)
        let a = (0..<5).map { _ in first.id(.user) + first.uuid() + first.opaque() }
        let b = (0..<5).map { _ in second.id(.user) + second.uuid() + second.opaque() }
        let c = (0..<5).map { _ in other.id(.user) + other.uuid() + other.opaque() }
        #expect(a == b)
        #expect(a != c)
    }

    @Test func ulidEncodingMatchesTheSpec() {
        // The ULID spec's canonical maximum, and a time-only value checked by hand.
        #expect(IDGenerator.encodeULID(millis: 0xFFFF_FFFF_FFFF, randomHigh16: 0xFFFF, randomLow64: .max) == "7ZZZZZZZZZZZZZZZZZZZZZZZZZ")
        #expect(IDGenerator.encodeULID(millis: 1, randomHigh16: 0, randomLow64: 0) == "00000000010000000000000000")
    }

    @Test func uuidsAreVersion4() {
        let uuid = IDGenerator(seed: 1).uuid()
        #expect(AppID.isUUID(uuid))
        #expect(Array(uuid)[14] == "4")
        #expect("89ab".contains(Array(uuid)[19]))
    }

    @Test(arguments: [
        "org_", "org_01HZZZ", "org_01hq", "foo_01ARZ3NDEKTSV4RRFFQ69G5FAV", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "user_81ARZ3NDEKTSV4RRFFQ69G5FAV",
    ])
    func rejectsWhatIsNotAnIdPID(_ text: String) {
        #expect(IdPID.parse(text) == nil)
    }

    @Test func isoTimestampsHaveMillisecondsAndZ() {
        #expect(MockClock.iso8601(millis: 1_767_225_600_123) == "2026-01-01T00:00:00.123Z")
    }
}

@Suite struct FixtureTests {
    func loader(_ mode: IDSpaceMode = .strict) -> FixtureLoader {
        FixtureLoader(ids: IDGenerator(seed: 7), clock: MockClock(), mode: mode)
    }

    func load(_ text: String, _ mode: IDSpaceMode = .strict) throws(FixtureError) -> Directory {
        try loader(mode).load(bytes: Array(text.utf8), file: "test.json")
    }

    @Test func defaultFixturesCoverTheCasesScenariosNeed() throws {
        let directory = try load(DefaultFixtures.json)
        #expect(directory.organizations.count >= 3)
        #expect(directory.users.count >= 6)
        let orgCounts = directory.users.values.map { directory.activeMemberships(userID: $0.id).count }
        #expect(orgCounts.contains(0), "a user in no organization")
        #expect(orgCounts.contains { $0 >= 2 }, "a user in two organizations")
        let roles = Set(directory.memberships.values.flatMap(\.roleSlugs))
        #expect(roles.isSuperset(of: ["owner", "admin", "member"]))
    }

    @Test func defaultFixturesKeepTheSpacesApart() throws {
        let directory = try load(DefaultFixtures.json)
        let appIDs = directory.appSideIDs
        #expect(!appIDs.isEmpty)
        for idp in directory.idpSideIDs {
            #expect(IDSpace.of(idp) == .idp)
            for app in appIDs {
                #expect(!idp.lowercased().contains(app.lowercased()))
                #expect(!app.lowercased().replacing("-", with: "").contains(String(IdPID.parse(idp)?.ulid ?? "").lowercased()))
            }
        }
        for app in appIDs { #expect(IDSpace.of(app) == .app) }
    }

    @Test func refusesAnExternalIDThatIsAnIdPID() {
        let text = """
            {"organizations":[{"ref":"a","id":"org_01KDXYS8R8A5ZQ5Y2TE3G0GSD4","name":"A","external_id":"org_01KDXYS8R8A5ZQ5Y2TE3G0GSD4"}]}
            """
        #expect(
            throws: FixtureError(
                file: "test.json", path: "organization a.external_id",
                message:
                    "'org_01KDXYS8R8A5ZQ5Y2TE3G0GSD4' is not a UUID; app-side IDs must be UUIDs (use --id-spaces adversarial to allow collisions on purpose)"
            )
        ) {
            try load(text)
        }
    }

    @Test func refusesAnOrgNamedLikeAnID() {
        let text = #"{"organizations":[{"ref":"a","name":"5d3a1c7e-8f7b-4c2a-9d1e-0b6f4a2c8e91"}]}"#
        #expect(throws: FixtureError.self) { try load(text) }
    }

    @Test func namesTheFieldThatIsWrong() {
        let cases: [(String, String)] = [
            (#"{"users":[{"email":"a@x.test","memberships":[{"organization":"nope"}]}]}"#, "users[0].memberships[0].organization"),
            (#"{"users":[{"email":"a@x.test","first_name":3}]}"#, "users[0].first_name"),
            (#"{"organizations":[{"name":"A","id":"user_01KDXYS8R8A5ZQ5Y2TE3G0GSD4"}]}"#, "organizations[0].id"),
            (#"{"organizations":[{"name":"A","colour":"red"}]}"#, "organizations[0].colour"),
            (
                #"{"organizations":[{"ref":"a","name":"A"}],"users":[{"email":"a@x.test","memberships":[{"organization":"a","role":"king"}]}]}"#,
                "users[0].memberships[0].role"
            ),
            (#"{"users":[{"email":"a@x.test"},{"email":"A@x.test"}]}"#, "users[1].email"),
        ]
        for (text, path) in cases {
            do {
                _ = try load(text)
                Issue.record("expected an error at \(path)")
            } catch {
                #expect(error.path == path)
                #expect(error.description.hasPrefix("test.json: \(path): "))
            }
        }
    }

    @Test func adversarialModeCrossesTheSpacesAsDocumented() throws {
        let directory = try load(DefaultFixtures.json, .adversarial)
        let orgs = directory.organizations.values.sorted { $0.id < $1.id }
        let (a, b, c) = (orgs[0], orgs[1], orgs[2])
        #expect(a.externalID == b.id)
        #expect(b.externalID == String(IdPID.parse(c.id)!.ulid))
        #expect(AppID.isUUID(c.externalID ?? ""))
        #expect(a.name == c.externalID)
        // The same layout is refused outside adversarial mode.
        #expect(throws: FixtureError.self) { try FixtureLoader.checkDisjoint(directory, file: "x") }
    }
}

@Suite struct DefaultKeyTests {
    @Test func embeddedKeysMatchTheFilesInKeys() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent(DefaultKeys.directory)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".pem") }.sorted()
        #expect(files == DefaultKeys.pems.map { $0.kid + ".pem" })
        for entry in DefaultKeys.pems {
            let text = try String(contentsOf: folder.appendingPathComponent(entry.kid + ".pem"), encoding: .utf8)
            #expect(text == entry.pem + "\n")
            // A start decodes only the embedded keys of the wanted algorithm, going by this label.
            #expect(try PrivateKey(pem: entry.pem).algorithm == entry.algorithm, "\(entry.kid)")
        }
    }

    @Test func seededGeneratedKeysAndIDsRepeatAcrossStarts() throws {
        func make(_ algorithm: JWSAlgorithm) throws -> MockIdP {
            var configuration = IdPConfiguration()
            configuration.seed = 1234
            configuration.keysDirectory = "generate"
            configuration.signingAlgorithm = algorithm
            return try MockIdP(configuration: configuration)
        }
        let first = try make(.rs256)
        let second = try make(.rs256)
        #expect(first.keys.jwksBody == second.keys.jwksBody)
        // ECDSA signatures use a random nonce (OpenSSL 3.0), so only the EC key itself repeats, not its certificate.
        let ecFirst = try make(.es256).keys.jwks["keys"]?[0]
        let ecSecond = try make(.es256).keys.jwks["keys"]?[0]
        for member in ["kid", "x", "y"] { #expect(ecFirst?[member] == ecSecond?[member]) }
        #expect(first.directory.memberships.keys.sorted() == second.directory.memberships.keys.sorted())
        let tokenA = try first.mintToken(TokenRequest(user: "alice"))
        let tokenB = try second.mintToken(TokenRequest(user: "alice"))
        #expect(tokenA.claims["jti"] == tokenB.claims["jti"])
        #expect(tokenA.claims["sid"] == tokenB.claims["sid"])
    }
}
