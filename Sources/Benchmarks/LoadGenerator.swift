import Dispatch
import Essentials
import FoundationEssentials
import Glibc
import HTTP
import Synchronization

/// Requests per second and latency percentiles for one load run.
package struct LoadResult: Sendable {
    package var tool: String
    package var connections: Int
    package var requests: Int
    package var errors: Int
    package var requestsPerSecond: Double
    package var p50Micros: Double
    package var p99Micros: Double
}

/// Drives a URL with keep-alive connections: `wrk` when it is installed (it is the fairer
/// measurement: C, no Swift in the client), otherwise a built-in loop of one thread per connection.
package enum LoadGenerator {
    package static var wrkPath: String? {
        ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    package static func run(url: String, connections: Int, seconds: Int) -> LoadResult {
        if let wrk = wrkPath, let result = runWrk(wrk, url: url, connections: connections, seconds: seconds) { return result }
        return runBuiltIn(url: url, connections: connections, seconds: seconds)
    }

    static func runWrk(_ wrk: String, url: String, connections: Int, seconds: Int) -> LoadResult? {
        let command = [wrk, "-t", String(min(2, connections)), "-c", String(connections), "-d", "\(seconds)s", "--latency", url]
        guard let process = try? ChildProcess(command, output: .pipe) else { return nil }
        let output = process.readToEnd()
        guard process.waitForExit() == 0 else { return nil }
        return parseWrk(output, connections: connections)
    }

    /// Reads `Requests/sec:`, the latency distribution and error lines of wrk's report.
    package static func parseWrk(_ output: String, connections: Int) -> LoadResult? {
        var rate: Double?
        var p50: Double?
        var p99: Double?
        var requests = 0
        var errors = 0
        for rawLine in output.split(separator: "\n") {
            let line = rawLine.trimmingWhitespace()
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if line.hasPrefix("Requests/sec:"), fields.count >= 2 { rate = Double(fields[1]) }
            if line.hasPrefix("50%"), fields.count >= 2 { p50 = micros(String(fields[1])) }
            if line.hasPrefix("99%"), fields.count >= 2 { p99 = micros(String(fields[1])) }
            if line.contains("requests in"), let first = fields.first { requests = Int(first) ?? 0 }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let last = fields.last { errors += Int(last) ?? 0 }
            if line.hasPrefix("Socket errors:") {
                for part in line.dropFirst("Socket errors:".count).split(separator: ",") {
                    errors += Int(part.split(separator: " ").last ?? "") ?? 0
                }
            }
        }
        guard let rate, let p50, let p99 else { return nil }
        return LoadResult(
            tool: "wrk", connections: connections, requests: requests, errors: errors, requestsPerSecond: rate, p50Micros: p50, p99Micros: p99)
    }

    static func micros(_ text: String) -> Double? {
        for (suffix, scale) in [("us", 1.0), ("ms", 1000.0), ("s", 1_000_000.0)] where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).map { $0 * scale }
        }
        return nil
    }

    static func runBuiltIn(url: String, connections: Int, seconds: Int) -> LoadResult {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds) * 1_000_000_000
        let latencies = Mutex<[UInt64]>([])
        let errors = Atomic<Int>(0)
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<connections {
            group.enter()
            BackgroundThread.start {
                defer { group.leave() }
                let client = HTTPClient()
                var local: [UInt64] = []
                local.reserveCapacity(100_000)
                while true {
                    let before = DispatchTime.now().uptimeNanoseconds
                    if before >= deadline { break }
                    do {
                        let response = try client.send(.get(url))
                        if response.status != 200 { errors.add(1, ordering: .relaxed) }
                    } catch {
                        errors.add(1, ordering: .relaxed)
                    }
                    local.append(DispatchTime.now().uptimeNanoseconds - before)
                }
                latencies.withLock { $0.append(contentsOf: local) }
            }
        }
        group.wait()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let sorted = latencies.withLock { $0.sorted() }
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
        }
        return LoadResult(
            tool: "built-in", connections: connections, requests: sorted.count, errors: errors.load(ordering: .relaxed),
            requestsPerSecond: Double(sorted.count) / elapsed, p50Micros: percentile(0.5), p99Micros: percentile(0.99))
    }
}
