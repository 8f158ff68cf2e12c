import Foundation
import TestSupport
import Testing

@testable import JOSE

@Suite struct Base64URLTests {
    @Test func encodesRFC4648VectorsWithoutPadding() throws {
        let vectors: [(String, String)] = [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(try Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
        #expect(Base64Standard.encode([0xFB, 0xFF, 0xBF, 0x01]) == "+/+/AQ==")
    }

    @Test func rejectsNonCanonicalSpellings() {
        let cases: [(String, Int)] = [
            ("Zg==", 2), ("Zm8=", 3), ("+/+/", 0), ("-_+_", 2), ("ab/d", 2),
            ("Zm 9", 2), ("Zm9v\n\n\n\n", 4), ("Zm\u{e9}", 2), ("Z", 0), ("Zm9vY", 4),
            ("Zh", 1), ("Zm9", 2),  // non-zero trailing bits
        ]
        for (text, offset) in cases {
            #expect(throws: JOSEError.invalidBase64URL(offset: offset), "\(text)") { try Base64URL.decode(text) }
        }
    }

    /// Randomized differential test against Foundation's base64, our fuzz coverage.
    @Test func matchesFoundationOnRandomInputs() throws {
        var generator = SplitMix64(seed: 0x5EED_1234)
        for _ in 0..<3000 {
            let length = Int.random(in: 0...96, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let reference = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == reference)
            #expect(try Base64URL.decode(encoded) == bytes)
            #expect(Base64Standard.encode(bytes) == Data(bytes).base64EncodedString())

            // Mutating one character must give an error or different bytes, never a crash.
            if !encoded.isEmpty {
                var mutated = Array(encoded.utf8)
                let index = Int.random(in: 0..<mutated.count, using: &generator)
                mutated[index] = UInt8.random(in: 0...255, using: &generator)
                if let decoded = try? Base64URL.decode(bytes: mutated), mutated != Array(encoded.utf8) {
                    #expect(decoded != bytes)
                }
            }
        }
    }
}
