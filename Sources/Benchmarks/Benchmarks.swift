import Foundation
import HTTP
import IdP
import JOSE
import JSON

/// The figures `mockidp bench` prints. Each one is measured, never assumed.
public enum Benchmarks {
    public struct SigningFigures: Sendable {
        public var rawRSA: Double
        public var rs256Mint: Double
        public var rawEC: Double
        public var es256Mint: Double
        public var idpMint: Double
    }

    /// Signs/s of raw OpenSSL next to full JWT mints through JOSE, in this process, on one core.
    public static func signing(iterations: Int) throws -> SigningFigures {
        let rsa = try SigningKey(privateKey: try PrivateKey.generateRSA(bits: 2048))
        let ec = try SigningKey(privateKey: try PrivateKey.generateP256())
        let rawRSA = try JOSEBenchmark.rawRSASignRate(key: rsa.privateKey, iterations: iterations)
        let rs256 = try JOSEBenchmark.rs256MintRate(key: rsa, iterations: iterations)
        let rawEC = try JOSEBenchmark.rawECSignRate(key: ec.privateKey, iterations: iterations * 5)
        let es256 = try JOSEBenchmark.es256MintRate(key: ec, iterations: iterations * 5)
        // The IdP's own path: user lookup, session creation, WorkOS claims and signing.
        let idp = try MockIdP()
        let request = TokenRequest(user: "carol", organization: "globex")
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { _ = try idp.mintToken(request) }
        let idpMint = Double(iterations) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return SigningFigures(rawRSA: rawRSA, rs256Mint: rs256, rawEC: rawEC, es256Mint: es256, idpMint: idpMint)
    }

    /// Starts the real `mockidp serve` process and times it until it answers its first request.
    public static func startup(executable: String) throws -> (millis: Double, idleRSSKiB: Int) {
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

public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
