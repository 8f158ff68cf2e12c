import BuiltinSuite

/// The default fixtures compiled in, so `mockidp serve` works with no files at all: the bytes of
/// `scenarios/fixtures/default.json`, embedded at build time with the rest of `scenarios/`.
package enum DefaultFixtures {
    package static let fileName = "scenarios/fixtures/default.json"

    package static let json = String(decoding: BuiltinFiles.bytes("fixtures/default.json") ?? [], as: UTF8.self)
}
