import Testing

/// `mockidp bench --targets` runs end to end against real `serve` processes: each of the four
/// hot-path targets gets a line (met, not met, or not measured and why). No figure is asserted;
/// the bench broke once when discovery's `jwks_uri` moved and no test noticed.
@Suite(.enabled(if: BuiltTool.path != nil, "the mockidp executable must be built (swift build)"))
struct BenchCommandTests {
    @Test func theTargetRatiosAreMeasuredEndToEnd() throws {
        let result = try BuiltTool.run(["bench", "--targets", "--seconds", "1", "--iterations", "100"], timeout: 300)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        for target in ["ES256 mint / raw P-256 sign", "JWKS c=50, log to a file / --log off", "startup to first answer", "headless login p50"] {
            let line = lines.first { $0.contains(target) }
            #expect(line != nil, "no line for \(target) in:\n\(result.stdout)")
            if let line { #expect(line.lowercased().contains("met") || line.contains("not measured"), "\(line)") }
        }
    }
}
