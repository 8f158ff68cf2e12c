import BuiltinSuite

/// The default fixtures compiled in, so `mockidp serve` works with no files at all: the bytes of
/// `scenarios/fixtures/default.json`, embedded at build time with the rest of `scenarios/`.
public enum DefaultFixtures {
    public static let fileName = "scenarios/fixtures/default.json"

    public static let json = String(decoding: BuiltinFiles.bytes("fixtures/default.json") ?? [], as: UTF8.self)
}
