import Essentials

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension String {
    /// printf-style formatting of numbers (`%6.1f`, `%02d`, `%%`) through the C library, as
    /// Foundation's `String(format:)` does for them; text goes in by interpolation, not `%@`.
    package init(cFormat format: String, _ arguments: CVarArg...) {
        self = Self.formatted(format, arguments)
    }

    package init(cFormat format: String, arguments: [CVarArg]) {
        self = Self.formatted(format, arguments)
    }

    private static func formatted(_ format: String, _ arguments: [CVarArg]) -> String {
        var capacity = 128
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let needed = Int(withVaList(arguments) { vsnprintf(&buffer, capacity, format, $0) })
            if needed < capacity { return String(decoding: buffer.prefix(Swift.max(0, needed)).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            capacity = needed + 1
        }
    }
}
