import Dispatch
import FoundationEssentials
import Glibc
import HTTP
import IdP
import JOSE
import JSON

/// The figures `mockidp bench` prints. Each one is measured, never assumed.
package enum Benchmarks {
    package struct SigningFigures: Sendable {
        package var rawRSA: Double
        package var rs256Mint: Double
        package var rawEC: Double
        package var es256Mint: Double
        package var idpMint: Double
    }

    /// Signs/s of raw OpenSSL next to the mock's own mints (`MockIdP.mintToken`, the path the
    /// control API, the runner and, through the same minter, the authenticate grant take), in
    /// this process, on one core. Raw and mint use the same key, and take turns one signature
    /// at a time (five for P-256), so load from other processes falls on both alike.
    package static func signing(iterations: Int) throws -> SigningFigures {
        let rsa = try MockIdP()
        var ecConfiguration = IdPConfiguration()
        ecConfiguration.signingAlgorithm = .es256
        let ec = try MockIdP(configuration: ecConfiguration)
        let rates = try SigningRates.interleaved(
            rounds: iterations,
            [
                try SigningRates.rawSign(key: rsa.keys.activeKey.privateKey),
                SigningRates.mint(rsa, TokenRequest(user: "alice")),
                try SigningRates.rawSign(key: ec.keys.activeKey.privateKey, weight: 5),
                SigningRates.mint(ec, TokenRequest(user: "alice"), weight: 5),
                // Org-scoped: membership, role and permissions claims on top.
                SigningRates.mint(rsa, TokenRequest(user: "carol", organization: "globex")),
            ])
        return SigningFigures(rawRSA: rates[0], rs256Mint: rates[1], rawEC: rates[2], es256Mint: rates[3], idpMint: rates[4])
    }

    package struct LatencyFigures: Sendable {
        package var iterations: Int
        package var p50Micros: Double
        package var p99Micros: Double
        /// One raw RSA-2048 signature with the same key, timed the same way between the logins.
        package var signatureP50Micros: Double
    }

    /// One full headless login over loopback, as a test suite's backend does it: authorize with
    /// `login_hint` (auto-approve answers 302 with a code), then the code exchange at
    /// authenticate (session, refresh token, RS256 access token). One keep-alive connection.
    /// Each login is followed by one raw signature with the same key, timed the same way (wall
    /// clock), so the ratio of the two holds up on a loaded machine.
    package static func headlessLogin(iterations: Int) throws -> LatencyFigures {
        var configuration = IdPConfiguration()
        configuration.autoApprove = true
        let idp = try MockIdP(configuration: configuration)
        let server = IdPServer(idp: idp)
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let client = HTTPClient()
        let authorize =
            idp.baseURL + "/user_management/authorize?"
            + QueryParameters.encode([
                "client_id": idp.configuration.clientID, "redirect_uri": "http://localhost:3000/callback", "response_type": "code",
                "provider": "authkit", "state": "bench", "login_hint": "alice@acme.test",
            ])
        let authenticate = idp.baseURL + "/user_management/authenticate"
        func login() throws {
            let redirect = try client.send(.get(authorize))
            guard redirect.status == 302, let location = redirect.headers["Location"], let question = location.firstIndex(of: "?"),
                let code = QueryParameters(parsing: location[location.index(after: question)...])["code"]
            else {
                throw BenchError("authorize answered \(redirect.status) without a code: \(redirect.bodyText.prefix(200))")
            }
            let body: JSONValue = [
                "grant_type": "authorization_code", "client_id": .string(idp.configuration.clientID),
                "client_secret": .string(idp.configuration.apiKey), "code": .string(code),
            ]
            let answer = try client.send(ClientRequest(method: "POST", url: authenticate, json: body))
            guard answer.status == 200 else { throw BenchError("authenticate answered \(answer.status): \(answer.bodyText.prefix(200))") }
        }
        return try besideOneSignature(iterations: iterations, idp: idp, login)
    }

    /// Times `operation` `iterations` times after a warm-up, each run followed by one raw signature
    /// with the IdP's active key timed the same way (wall clock), so the ratio of the two holds up
    /// on a loaded machine.
    static func besideOneSignature(iterations: Int, idp: MockIdP, _ operation: () throws -> Void) throws -> LatencyFigures {
        let signature = try SigningRates.rawSign(key: idp.keys.activeKey.privateKey)
        for _ in 0..<min(30, iterations) {
            try operation()
            try signature.operation()
        }
        var samples: [Double] = []
        var signatures: [Double] = []
        samples.reserveCapacity(iterations)
        signatures.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            try operation()
            let between = DispatchTime.now().uptimeNanoseconds
            try signature.operation()
            samples.append(Double(between - start) / 1000)
            signatures.append(Double(DispatchTime.now().uptimeNanoseconds - between) / 1000)
        }
        samples.sort()
        signatures.sort()
        return LatencyFigures(
            iterations: iterations, p50Micros: samples[samples.count / 2],
            p99Micros: samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))],
            signatureP50Micros: signatures[signatures.count / 2])
    }

    /// Starts the real `mockidp serve` process and times it until it answers its first request.
    package static func startup(executable: String) throws -> (millis: Double, idleRSSKiB: Int) {
        let start = DispatchTime.now().uptimeNanoseconds
        let serve = try ServeProcess(executable: executable, arguments: ["--log", "off"])
        defer { serve.stop() }
        let response = try HTTPClient().send(.get(serve.baseURL + "/health"))
        let millis = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        guard response.status == 200 else { throw BenchError("first request answered \(response.status)") }
        return (millis, residentKiB(pid: serve.pid))
    }

    /// The median of `runs` starts, and the idle RSS of the last.
    package static func startup(executable: String, runs: Int) throws -> (millis: Double, idleRSSKiB: Int) {
        var times: [Double] = []
        var rss = 0
        for _ in 0..<max(1, runs) {
            let run = try startup(executable: executable)
            times.append(run.millis)
            rss = run.idleRSSKiB
        }
        return (times.sorted()[times.count / 2], rss)
    }

    static func residentKiB(pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        return -1
    }
}

package struct BenchError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
