import FoundationEssentials
import Glibc

/// The command that re-runs one scenario of a run on its own and deterministically: the same
/// profile, `--set` values, app arguments and fixtures, the scenario's exact id, one job, and the
/// run's seed.
package struct Reproduction: Sendable, Equatable {
    package var executable: String
    /// Every option of the original run that shapes the app and the mock (not the selection).
    package var arguments: [String]
    package var seed: UInt64

    package init(executable: String = "mockidp", arguments: [String], seed: UInt64) {
        self.executable = executable
        self.arguments = arguments
        self.seed = seed
    }

    package func command(for scenarioID: String) -> String {
        ([executable, "run"] + arguments + ["--filter", scenarioID, "--jobs", "1", "--seed", String(seed)]).map(Self.quoted).joined(separator: " ")
    }

    /// POSIX shell quoting, only where a word needs it.
    static func quoted(_ word: String) -> String {
        let plain =
            !word.isEmpty
            && word.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || $0.properties.numericType != nil || "-_./=:,@%+".unicodeScalars.contains($0)
            }
        return plain ? word : "'" + word.replacing("'", with: "'\\''") + "'"
    }
}

/// Long text cut for people: the first 400 bytes and the full size (`… 24,577 bytes`).
enum Clipped {
    static let limit = 400

    static func text(_ text: String, limit: Int = Clipped.limit) -> String {
        let size = text.utf8.count
        guard size > limit else { return text }
        // Cut on a scalar boundary so the shown part stays valid text.
        let scalars = text.unicodeScalars
        var end = scalars.startIndex
        var used = 0
        while end < scalars.endIndex, used + scalars[end].utf8.count <= limit {
            used += scalars[end].utf8.count
            end = scalars.index(after: end)
        }
        return String(scalars[..<end]) + "… " + grouped(size) + " bytes"
    }

    static func grouped(_ number: Int) -> String {
        let digits = String(number)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }
}
