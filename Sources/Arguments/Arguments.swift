import Essentials

/// A small command-line parser: `--name value`, `--name=value`, boolean `--flag`, `-h`, `--`,
/// repeated options, and usage errors that say what to type instead.
package struct OptionSpec: Sendable {
    package enum Kind: Sendable {
        case flag
        case value(placeholder: String)
    }

    package let name: String
    package let short: Character?
    package let kind: Kind
    package let help: String
    package let defaultValue: String?

    package static func flag(_ name: String, short: Character? = nil, help: String) -> OptionSpec {
        OptionSpec(name: name, short: short, kind: .flag, help: help, defaultValue: nil)
    }

    package static func value(_ name: String, short: Character? = nil, placeholder: String, default defaultValue: String? = nil, help: String)
        -> OptionSpec
    {
        OptionSpec(name: name, short: short, kind: .value(placeholder: placeholder), help: help, defaultValue: defaultValue)
    }
}

package struct CommandSpec: Sendable {
    package let name: String
    package let summary: String
    package let options: [OptionSpec]
    /// Placeholders for positional arguments, shown in usage; `nil` means none are accepted.
    package let positionals: String?
    /// Text after the options in `--help` (what a command serves, say); the summary stays one line.
    package let details: String?

    package init(name: String, summary: String, options: [OptionSpec], positionals: String? = nil, details: String? = nil) {
        self.name = name
        self.summary = summary
        self.options = options + [.flag("help", short: "h", help: "Show this help.")]
        self.positionals = positionals
        self.details = details
    }

    package func usage(program: String) -> String {
        var lines = [
            "Usage: \(program) \(name)\(options.isEmpty ? "" : " [options]")\(positionals.map { " " + $0 } ?? "")", "", summary, "", "Options:",
        ]
        let rendered = options.map { option -> (String, String) in
            var left = "  --\(option.name)"
            if let short = option.short { left = "  -\(short), --\(option.name)" }
            if case .value(let placeholder) = option.kind { left += " \(placeholder)" }
            var help = option.help
            if let value = option.defaultValue { help += " (default: \(value))" }
            return (left, help)
        }
        let width = min(36, (rendered.map(\.0.count).max() ?? 0) + 2)
        for (left, help) in rendered {
            if left.count + 2 > width {
                lines.append(left)
                lines.append(String(repeating: " ", count: width) + help)
            } else {
                lines.append(left + String(repeating: " ", count: width - left.count) + help)
            }
        }
        if let details { lines += ["", details] }
        return lines.joined(separator: "\n")
    }
}

package struct UsageError: Error, Sendable, Equatable, CustomStringConvertible {
    package let message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}

package struct ParsedArguments: Sendable {
    package private(set) var values: [String: [String]] = [:]
    package private(set) var flags: Set<String> = []
    package private(set) var positionals: [String] = []
    /// Whether `--` was given: the positionals after it are taken verbatim (a command to run).
    package private(set) var sawTerminator = false
    let spec: CommandSpec

    init(spec: CommandSpec) { self.spec = spec }

    package func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// The last value given for `name`, or its default.
    package func value(_ name: String) -> String? {
        values[name]?.last ?? spec.options.first { $0.name == name }?.defaultValue
    }

    package func allValues(_ name: String) -> [String] { values[name] ?? [] }

    package func integer(_ name: String, in range: ClosedRange<Int> = Int.min...Int.max) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            let bounds = range == Int.min...Int.max ? "" : " from \(range.lowerBound) to \(range.upperBound)"
            throw UsageError("--\(name) takes a whole number\(bounds), not '\(text)'")
        }
        return number
    }

    package func choice(_ name: String, from choices: [String]) throws(UsageError) -> String? {
        guard let text = value(name) else { return nil }
        guard choices.contains(text) else {
            throw UsageError("--\(name) takes one of \(choices.joined(separator: ", ")), not '\(text)'")
        }
        return text
    }

    fileprivate mutating func record(_ option: OptionSpec, value: String?) {
        if let value { values[option.name, default: []].append(value) } else { flags.insert(option.name) }
    }

    fileprivate mutating func appendPositional(_ value: String) { positionals.append(value) }
    fileprivate mutating func markTerminator() { sawTerminator = true }
}

extension CommandSpec {
    package func parse(_ arguments: some Sequence<String>) throws(UsageError) -> ParsedArguments {
        var parsed = ParsedArguments(spec: self)
        var iterator = arguments.makeIterator()
        var onlyPositionals = false
        while let argument = iterator.next() {
            if onlyPositionals || argument == "-" || !argument.hasPrefix("-") {
                guard positionals != nil else {
                    throw UsageError("\(name) takes no arguments, but got '\(argument)'")
                }
                parsed.appendPositional(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                parsed.markTerminator()
                continue
            }
            let option: OptionSpec
            var inlineValue: String?
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let optionName: Substring
                if let equals = body.firstIndex(of: "=") {
                    optionName = body[..<equals]
                    inlineValue = String(body[body.index(after: equals)...])
                } else {
                    optionName = body
                }
                guard let found = options.first(where: { $0.name == optionName }) else {
                    throw UsageError("unknown option --\(optionName) for \(name)\(suggestion(for: String(optionName)))")
                }
                option = found
            } else {
                let letters = argument.dropFirst()
                guard letters.count == 1, let letter = letters.first, let found = options.first(where: { $0.short == letter }) else {
                    throw UsageError("unknown option \(argument) for \(name)")
                }
                option = found
            }
            switch option.kind {
            case .flag:
                if inlineValue != nil { throw UsageError("--\(option.name) is a switch and takes no value") }
                parsed.record(option, value: nil)
            case .value(let placeholder):
                if let inlineValue {
                    parsed.record(option, value: inlineValue)
                } else if let next = iterator.next() {
                    parsed.record(option, value: next)
                } else {
                    throw UsageError("--\(option.name) needs a value (\(placeholder))")
                }
            }
        }
        return parsed
    }

    private func suggestion(for unknown: String) -> String {
        let close = options.map(\.name).filter { editDistance($0, unknown) <= 2 }
        guard let best = close.first else { return "" }
        return "; did you mean --\(best)?"
    }
}
