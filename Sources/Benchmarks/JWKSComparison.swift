import Dispatch
import FoundationEssentials
import Glibc
import HTTP
import IdP

/// A `mockidp serve` child process, stopped when the value is stopped.
package final class ServeProcess {
    let process: ChildProcess
    package let baseURL: String

    /// Starts `executable serve --port 0 ARGUMENTS` and waits for its "listening on" line.
    /// `stderrFile` receives the request log; with nil the log shares the pipe whose first line
    /// alone is read, so pass `--log off` then (a full pipe would stall serve's log writer).
    package init(executable: String, arguments: [String], stderrFile: String? = nil) throws {
        var command = [executable, "serve", "--port", "0"] + arguments
        // The child's stdout and stderr share the pipe; a shell that execs serve sends the log
        // (stderr) to its file instead.
        if let stderrFile { command = ["/bin/sh", "-c", "log=$1; shift; exec \"$@\" 2>\"$log\"", "sh", stderrFile] + command }
        process = try ChildProcess(command, output: .pipe)
        let line = process.readLine()
        guard line.hasPrefix("listening on ") else {
            process.stop()
            throw BenchError("mockidp serve did not print 'listening on': \(line)")
        }
        baseURL = String(line.dropFirst("listening on ".count))
    }

    package var pid: Int32 { process.pid }

    package func stop() { process.stop() }
}

/// nginx serving one file as a static file, from a throwaway prefix: the reference the JWKS
/// throughput is held against.
package final class StaticFileServer {
    package static var nginxPath: String? {
        ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx", "/usr/local/bin/nginx"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    let process: ChildProcess
    package let url: String

    /// Serves `body` at `path` with nginx's defaults otherwise (an access log to a file, as the
    /// mock's default log goes to a file here), keep-alive unbounded like the mock's.
    package init(nginx: String, folder: String, path: String, body: [UInt8]) throws {
        let root = folder + "/www"
        let file = root + path
        try FileManager.default.createDirectory(
            atPath: String(file[..<(file.lastIndex(of: "/") ?? file.endIndex)]), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: file, contents: Data(body)) else { throw BenchError("cannot write \(file)") }
        // nginx's workers run as nobody when started by root: they must be able to read the file.
        for folder in [folder, root] { chmod(folder, 0o755) }
        let port = try Self.freePort()
        let configuration = """
            daemon off;
            worker_processes \(ProcessInfo.processInfo.activeProcessorCount);
            pid \(folder)/nginx.pid;
            error_log \(folder)/error.log;
            events { worker_connections 1024; }
            http {
                access_log \(folder)/access.log;
                default_type application/json;
                keepalive_requests 1000000;
                client_body_temp_path \(folder)/body; proxy_temp_path \(folder)/proxy; fastcgi_temp_path \(folder)/fastcgi;
                uwsgi_temp_path \(folder)/uwsgi; scgi_temp_path \(folder)/scgi;
                server { listen 127.0.0.1:\(port); root \(root); }
            }
            """
        try configuration.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        process = try ChildProcess([nginx, "-p", folder, "-c", folder + "/nginx.conf"], output: .discard)
        url = "http://127.0.0.1:\(port)\(path)"
        // Poll until it answers with the file (at most 5 s): nginx prints nothing when ready.
        let client = HTTPClient()
        let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
        while true {
            if let response = try? client.send(.get(url)), response.status == 200 {
                guard response.body == body else {
                    stop()
                    throw BenchError("nginx served other bytes than the JWKS")
                }
                return
            }
            guard process.isRunning, DispatchTime.now().uptimeNanoseconds < deadline else {
                stop()
                throw BenchError("nginx did not answer on port \(port) (see \(folder)/error.log)")
            }
            usleep(10_000)
        }
    }

    package func stop() { process.stop() }

    /// A port nobody listens on now (the kernel's pick for port 0).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw BenchError("cannot find a free port") }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// JWKS throughput of `mockidp serve` with its default (human) log going to a file, next to
/// `--log off` and, when nginx is installed, nginx serving the same bytes as a static file.
/// The servers take turns, `rounds` runs each, so load from other processes falls on all alike.
package enum JWKSComparison {
    package struct Figures: Sendable {
        package var tool: String
        package var connections: Int
        package var logToFile: Double
        package var logOff: Double
        /// nil when nginx was not measured; `nginxMissing` says why.
        package var nginx: Double?
        package var nginxMissing: String?
        package var errors: Int
        /// Average request-log bytes per request in the file.
        package var logBytesPerRequest: Double
    }

    package static func run(executable: String, seconds: Int, rounds: Int = 3, connections: Int = 50) throws -> Figures {
        var template = [CChar]("/tmp/mockidp-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp failed") }
        let folder = String(cString: made)
        chmod(folder, 0o755)  // nginx's workers (nobody, under root) must reach the file inside
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let logFile = folder + "/serve.log"
        let logged = try ServeProcess(executable: executable, arguments: [], stderrFile: logFile)
        defer { logged.stop() }
        let quiet = try ServeProcess(executable: executable, arguments: ["--log", "off"])
        defer { quiet.stop() }
        let client = HTTPClient()
        // The WorkOS SDKs' JWKS route for serve's default client (discovery names /oauth2/jwks,
        // the same keys, for OpenID Connect clients).
        let path = "/sso/jwks/" + IdPConfiguration().clientID
        let fetched = try client.send(.get(logged.baseURL + path))
        guard fetched.status == 200 else { throw BenchError("GET \(path) answered \(fetched.status)") }
        let body = fetched.body
        // Same keys; only the certificates' random serials differ between the two processes.
        guard try client.send(.get(quiet.baseURL + path)).body.count == body.count else {
            throw BenchError("the two mocks serve JWKS of different sizes")
        }

        var targets: [(name: String, url: String)] = [("log", logged.baseURL + path), ("off", quiet.baseURL + path)]
        var nginx: StaticFileServer?
        var nginxMissing: String?
        if let nginxPath = StaticFileServer.nginxPath {
            do {
                nginx = try StaticFileServer(nginx: nginxPath, folder: folder + "/nginx", path: path, body: body)
            } catch {
                nginxMissing = "nginx did not start: \(error)"
            }
        } else {
            nginxMissing = "nginx not found"
        }
        defer { nginx?.stop() }
        if let nginx { targets.append(("nginx", nginx.url)) }

        let logBytesBefore = fileSize(logFile)
        var requests = [String: Int]()
        var rates = [String: [Double]]()
        var errors = 0
        var tool = ""
        for round in 0..<max(1, rounds) {
            // Each round starts with a different server, so none always runs first after a pause.
            for offset in targets.indices {
                let target = targets[(offset + round) % targets.count]
                let result = LoadGenerator.run(url: target.url, connections: connections, seconds: seconds)
                tool = result.tool
                rates[target.name, default: []].append(result.requestsPerSecond)
                requests[target.name, default: 0] += result.requests
                errors += result.errors
            }
        }
        func mean(_ name: String) -> Double? {
            guard let values = rates[name], !values.isEmpty else { return nil }
            return values.reduce(0, +) / Double(values.count)
        }
        let loggedRequests = requests["log"] ?? 0
        return Figures(
            tool: tool, connections: connections, logToFile: mean("log") ?? 0, logOff: mean("off") ?? 0, nginx: mean("nginx"),
            nginxMissing: nginxMissing, errors: errors,
            logBytesPerRequest: loggedRequests > 0 ? Double(fileSize(logFile) - logBytesBefore) / Double(loggedRequests) : 0)
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}
