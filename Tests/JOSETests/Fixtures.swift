import Foundation
import JSON

@testable import JOSE

/// Keys are generated once per test process: RSA generation is slow and the tests only need
/// "some valid key", not a fresh one each time.
enum Fixtures {
    static let rsa: PrivateKey = make { try PrivateKey.generateRSA() }
    static let rsa2: PrivateKey = make { try PrivateKey.generateRSA() }
    static let ec: PrivateKey = make { try PrivateKey.generateP256() }
    static let rsaSigning: SigningKey = make { try SigningKey(privateKey: rsa) }
    static let ecSigning: SigningKey = make { try SigningKey(privateKey: ec) }

    static func make<T>(_ body: () throws -> T) -> T {
        do { return try body() } catch { fatalError("fixture failed: \(error)") }
    }

    /// Verifier trusting the RSA and EC fixture keys under their thumbprint kids.
    static var verifier: JWSVerifier {
        JWSVerifier(keys: [rsaSigning.kid: rsa.publicKey, ecSigning.kid: ec.publicKey], allowedAlgorithms: [.rs256, .es256])
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// Claims shaped like a WorkOS AuthKit access token.
    static func workOSClaims(now: Int64, counter: Int) -> JWTClaims {
        JWTClaims(
            iss: "https://api.workos.com/user_management/client_01HBENCHMARKCLIENT00000000",
            sub: "user_01HBENCHMARKUSER0000000000",
            sid: "session_01HBENCHMARKSESSION00000000",
            jti: "01HBENCHMARKJTI\(counter)",
            iat: now, exp: now + 300,
            extra: [
                "org_id": "org_01HBENCHMARKORG000000000000",
                "role": "admin",
                "roles": ["admin", "member"],
                "permissions": ["widgets:read", "widgets:write", "billing:manage"],
            ])
    }

    /// Builds a token from exact header/payload text, signed by `signer` (or with `signature`).
    static func forge(header: String, payload: String = #"{"sub":"u"}"#, signer: (any JWSSigner)? = nil, signature: [UInt8] = []) -> String {
        if let signer {
            return make { try JWS.sign(headerBytes: bytes(header), payloadBytes: bytes(payload), signer: signer) }
        }
        return JWS.compact(headerBytes: bytes(header), payloadBytes: bytes(payload), signature: signature)
    }

    static func rejection(_ token: String, by verifier: JWSVerifier = Fixtures.verifier) -> JOSEError? {
        do {
            _ = try verifier.verify(token)
            return nil
        } catch {
            return error
        }
    }
}

/// Runs the system `openssl` as an independent implementation.
enum OpenSSLCLI {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], stdinText: String? = nil) throws -> Output {
        let process = Process()
        let input = Pipe()
        process.standardInput = input
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        if let stdinText { input.fileHandleForWriting.write(Data(stdinText.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus,
            stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("jose-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Minimal DER for an ECDSA-Sig-Value, written independently of the module under test.
enum TestDER {
    static func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var value = Array(bytes.drop { $0 == 0 })
        if value.isEmpty { value = [0] }
        if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
        return [0x02, UInt8(value.count)] + value
    }

    static func ecdsaSignature(raw: [UInt8]) -> [UInt8] {
        let body = integer(raw[0..<32]) + integer(raw[32..<64])
        return [0x30, UInt8(body.count)] + body
    }
}
