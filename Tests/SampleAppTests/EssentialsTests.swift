import Essentials
import Foundation
import Testing

/// The helpers that replace Foundation's in the product (it links FoundationEssentials only),
/// checked against Foundation itself where it has the same function.
@Suite struct EssentialsTests {
    @Test func cFormatMatchesFoundationsFormatForNumbers() {
        let cases: [(String, [CVarArg])] = [
            ("%.1f", [3.25]), ("%6.2f x", [0.8149]), ("%9.0f /s", [40707.4]), ("%02dm%02ds", [3, 7]), ("%5.1f %%", [95.94]),
            ("c=%-3d|", [50]), ("%02X", [UInt8(0xAB)]), (String(repeating: "long ", count: 60) + "%d", [42]),
        ]
        for (format, arguments) in cases {
            #expect(String(cFormat: format, arguments: arguments) == String(format: format, arguments: arguments), "\(format)")
        }
    }

    @Test func whitespaceIsTrimmedAtBothEndsOnly() {
        #expect("  a b \t\n".trimmingWhitespace() == "a b")
        #expect(" \t ".trimmingWhitespace() == "")
        #expect("x".trimmingWhitespace() == "x")
        #expect(Substring(" SameSite=Lax ").trimmingWhitespace() == "SameSite=Lax")
    }

    @Test func pathsJoinAndSplitLikeNSString() {
        for (folder, name) in [("a", "b"), ("a/", "b"), ("/", "x.json"), ("", "x"), ("/tmp/run", "suite")] {
            #expect(Paths.join(folder, name) == (folder as NSString).appendingPathComponent(name), "\(folder) + \(name)")
        }
        for path in ["/tmp/run/profile.json", "profile.json", "/profile.json", "a/b/", "/"] {
            #expect(Paths.parent(path) == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }

    @Test func paddingMakesColumns() {
        #expect("api".padded(to: 6) == "api   ")
        #expect("toolong".padded(to: 4) == "tool")
    }

    @Test func containsBytesFindsExactlyWhatContainsFinds() {
        let cases = [("org_01kdvdn", "01kdv"), ("abc", "abcd"), ("abc", ""), ("aab", "ab"), ("", "a"), ("0a1b-2c", "b-2"), ("xyz", "yx")]
        for (text, needle) in cases {
            #expect(text.containsBytes(of: needle) == (needle.isEmpty || text.contains(needle)), "\(text) ∋ \(needle)")
        }
    }
}
