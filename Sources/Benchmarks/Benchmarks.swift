import Foundation
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
        let rates = try SigningRates.interleaved(rounds: iterations, [
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
    }

    /// One full headless login over loopback, as a test suite's backend does it: authorize with
    /// `login_hint` (auto-approve answers 302 with a code), then the code exchange at
    /// authenticate (session, refresh token, RS256 access token). One keep-alive connection.
    package static func headlessLogin(iterations: Int) throws -> LatencyFigures {
        var configuration = IdPConfiguration()
        configuration.autoApprove = true
        let idp = try MockIdP(configuration: configuration)
        let server = IdPServer(idp: idp)
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let client = HTTPClient()
        let authorize = idp.baseURL + "/user_management/authorize?" + QueryParameters.encode([
            "client_id": idp.configuration.clientID, "redirect_uri": "http://localhost:3000/callback", "response_type": "code",
            "provider": "authkit", "state": "bench", "login_hint": "alice@acme.test",
        ])
        let authenticate = idp.baseURL + "/user_management/authenticate"
        func login() throws {
            let redirect = try client.send(.get(authorize))
            guard redirect.status == 302, let location = redirect.headers["Location"], let question = location.firstIndex(of: "?"),
                  let code = QueryParameters(parsing: location[location.index(after: question)...])["code"] else {
                throw BenchError("authorize answered \(redirect.status) without a code: \(redirect.bodyText.prefix(200))")
            }
            let body: JSONValue = [
                "grant_type": "authorization_code", "client_id": .string(idp.configuration.clientID),
                "client_secret": .string(idp.configuration.apiKey), "code": .string(code),
            ]
            let answer = try client.send(ClientRequest(method: "POST", url: authenticate, json: body))
            guard answer.status == 200 else { throw BenchError("authenticate answered \(answer.status): \(answer.bodyText.prefix(200))") }
        }
        for _ in 0..<min(30, iterations) { try login() }
        var samples: [Double] = []
        samples.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            try login()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
        }
        samples.sort()
        return LatencyFigures(iterations: iterations, p50Micros: samples[samples.count / 2],
                              p99Micros: samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))])
    }

    /// Starts the real `mockidp serve` process and times it until it answers its first request.
    package static func startup(executable: String) throws -> (millis: Double, idleRSSKiB: Int) {
        let start = DispatchTime.now().uptimeNanoseconds
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--port", "0", "--log", "off"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            // `serve` installs its SIGTERM handler after it starts answering, so a SIGTERM sent
            // right after the first answer can land while the signal is ignored. Don't hang on it.
            let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
            while process.isRunning && DispatchTime.now().uptimeNanoseconds < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        var firstLine = ""
        let handle = output.fileHandleForReading
        while !firstLine.contains("\n") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            firstLine += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = firstLine.split(separator: "\n").first, line.hasPrefix("listening on ") else {
            throw BenchError("mockidp serve did not print 'listening on': \(firstLine)")
        }
        let base = String(line.dropFirst("listening on ".count))
        let response = try HTTPClient().send(.get(base + "/health"))
        let millis = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        guard response.status == 200 else { throw BenchError("first request answered \(response.status)") }
        return (millis, residentKiB(pid: process.processIdentifier))
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
