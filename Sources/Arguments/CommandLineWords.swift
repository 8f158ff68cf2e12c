/// Splits a command line into words as a POSIX shell would for plain words, 'single' and
/// "double" quotes and backslash escapes; no expansion of any kind.
package func splitCommandLine(_ line: String) throws(UsageError) -> [String] {
    var words: [String] = []
    var current = ""
    var inWord = false
    var quote: Character?
    var escaped = false
    for character in line {
        if escaped {
            current.append(character)
            escaped = false
            continue
        }
        switch (quote, character) {
        case ("'", "'"), ("\"", "\""):
            quote = nil
        case ("'", _):
            current.append(character)
        case ("\"", "\\"), (nil, "\\"):
            escaped = true
            inWord = true
        case ("\"", _):
            current.append(character)
        case (nil, "'"), (nil, "\""):
            quote = character
            inWord = true
        case (nil, " "), (nil, "\t"), (nil, "\n"):
            if inWord { words.append(current) }
            current = ""
            inWord = false
        default:
            current.append(character)
            inWord = true
        }
    }
    guard quote == nil, !escaped else { throw UsageError("unbalanced quote or trailing backslash in '\(line)'") }
    if inWord { words.append(current) }
    return words
}
