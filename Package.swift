// swift-tools-version:6.0
import PackageDescription

// MockIdP takes no package dependencies: the toolchain plus the system's OpenSSL 3.
let package = Package(
    name: "MockIdP",
    products: [
        .executable(name: "mockidp", targets: ["mockidp"])
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // Small helpers every floor may use: timestamps, clocks, edit distance.
        .target(name: "Essentials"),
        .target(name: "JSON", linkerSettings: [.linkedLibrary("m")]),
        // scenarios/ compiled in at build time (suite, schemas, fixtures, target profiles): the
        // plugin lists the folder and the EmbedFiles tool writes the bytes as Swift source.
        .executableTarget(name: "EmbedFiles"),
        .plugin(name: "EmbedScenarios", capability: .buildTool(), dependencies: ["EmbedFiles"]),
        .target(name: "BuiltinSuite", exclude: ["scenarios"], plugins: ["EmbedScenarios"]),
        .target(name: "JOSE", dependencies: ["COpenSSL", "JSON"]),
        .target(name: "HTTP", dependencies: ["JSON"]),
        .target(name: "Arguments", dependencies: ["Essentials"]),
        .target(name: "IdP", dependencies: ["JOSE", "HTTP", "JSON", "Essentials", "BuiltinSuite"]),
        .target(name: "Conformance", dependencies: ["IdP", "JOSE", "HTTP", "JSON", "Essentials", "CSpawn", "BuiltinSuite"]),
        .target(name: "Benchmarks", dependencies: ["IdP", "JOSE", "HTTP", "JSON", "Essentials", "CSpawn"]),
        .target(name: "SampleApp", dependencies: ["JOSE", "HTTP", "JSON", "Essentials"]),
        // fork + setpgid + PR_SET_PDEATHSIG + exec for `mockidp serve -- COMMAND`.
        .target(name: "CSpawn"),
        .executableTarget(
            name: "mockidp",
            dependencies: [
                "Conformance", "Benchmarks", "SampleApp", "IdP", "JOSE", "HTTP", "JSON", "Arguments", "CSpawn", "Essentials", "BuiltinSuite",
            ]),
        // Shared by the test targets: a mock on loopback, and the runner for Python interop checks.
        .target(name: "TestSupport", dependencies: ["IdP", "HTTP", "JSON"], path: "Tests/TestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TestSupport"]),
        .testTarget(name: "JOSETests", dependencies: ["JOSE", "JSON", "COpenSSL", "TestSupport"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "JSON", "TestSupport"]),
        .testTarget(name: "ArgumentsTests", dependencies: ["Arguments"]),
        .testTarget(name: "ConformanceTests", dependencies: ["Conformance", "SampleApp", "TestSupport", "IdP", "HTTP", "JSON", "BuiltinSuite"]),
        .testTarget(name: "IdPTests", dependencies: ["IdP", "TestSupport", "JOSE", "HTTP", "JSON"]),
        .testTarget(name: "SampleAppTests", dependencies: ["SampleApp", "IdP", "JOSE", "HTTP", "JSON", "TestSupport", "Essentials"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "IdP", "JOSE"]),
    ],
    swiftLanguageModes: [.v6]
)
