import Foundation

// Build-time tool of the EmbedScenarios plugin:
//   EmbedFiles ROOT OUTPUT RELATIVE-PATH...
// writes OUTPUT, Swift source holding each file's bytes as one base64 string literal. A string
// literal per file type-checks in no time, unlike a large [UInt8] array literal.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("EmbedFiles: \(message)\n".utf8))
    exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: EmbedFiles ROOT OUTPUT RELATIVE-PATH...") }
let root = URL(fileURLWithPath: arguments[1])
let output = URL(fileURLWithPath: arguments[2])
var source = """
    // Generated at build time by the EmbedScenarios plugin from scenarios/. Edit those files, not this.

    extension BuiltinFiles {
        static let encoded: [(path: String, base64: String)] = [

    """
for relative in arguments.dropFirst(3) {
    guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(relative).path) else {
        fail("cannot read \(relative) under \(root.path)")
    }
    let literal = relative.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    source += "        (\"\(literal)\", \"\(data.base64EncodedString())\"),\n"
}
source += "    ]\n}\n"
// Rewritten only on change, so a replan that lists the same files recompiles nothing.
if FileManager.default.contents(atPath: output.path) != Data(source.utf8) {
    do {
        try Data(source.utf8).write(to: output, options: .atomic)
    } catch {
        fail("cannot write \(output.path): \(error)")
    }
}
