/// Runs around a handler (Hummingbird's `RouterMiddleware`): checks a credential, adds a
/// header, or answers by itself without calling `next`. A route group applies it to each of its
/// routes (`Router.group`); `HTTPResponder.wrapped(in:)` applies it to a whole responder.
package protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse
}

extension HTTPResponder {
    /// This responder with `middleware` around it; what it throws is rendered.
    package func wrapped(in middleware: some HTTPMiddleware) -> ClosureResponder {
        // The inner responder becomes a handler once, here: built per request, each layer of a
        // generic chain copied its whole inner chain through unspecialized generic code.
        let next: HTTPHandler = { request in self.respond(to: request) }
        return ClosureResponder { request in try middleware.handle(request, next: next) }
    }
}

/// Collects routes, then `freeze()`s into an immutable `RouterResponder`.
///
/// Paths are literal segments and `{name}` parameters: `/organizations/{id}/domains`. Parameter
/// values are percent-decoded into `HTTPRequest.pathParameters`. Literal routes win over
/// parameterized ones; among parameterized routes, the one whose first literal comes earliest wins.
package struct Router: Sendable {
    fileprivate struct Route: Sendable {
        var method: String
        var path: String
        var handler: HTTPHandler
    }

    fileprivate var routes: [Route] = []
    /// `METHOD shape` of every route, where `{id}` and `{org}` at the same place are one shape.
    private var registered: Set<String> = []
    /// Wraps the handlers added from here on, outermost first (see `group`).
    private var middleware: [any HTTPMiddleware] = []
    /// The path prefix every route added from here on must start with (see `group(prefix:)`).
    private var prefix = ""
    /// Prefixes whose unmatched requests (404, 405) go through their group's middleware.
    fileprivate var guardedPrefixes: [GuardedPrefix] = []
    /// When true, `/users/` matches `/users` (and the reverse).
    package var ignoresTrailingSlash: Bool

    package init(ignoresTrailingSlash: Bool = true) {
        self.ignoresTrailingSlash = ignoresTrailingSlash
    }

    /// Registers a handler. The same method and path twice is a programming error and stops the
    /// program here, instead of one registration silently replacing the other.
    package mutating func add(method: String, path: String, handler: @escaping HTTPHandler) {
        precondition(path.hasPrefix("/"), "route paths start with '/': \(path)")
        precondition(path.hasPrefix(prefix), "\(path) is registered in the group for \(prefix)")
        let key = method + " " + RoutePath.shape(RoutePath.normalize(path, ignoresTrailingSlash))
        precondition(registered.insert(key).inserted, "\(method) \(path) already has a handler")
        var handler = handler
        for layer in middleware.reversed() {
            let next = handler
            handler = { request in try layer.handle(request, next: next) }
        }
        routes.append(Route(method: method, path: path, handler: handler))
    }

    /// Registers the routes `build` adds behind `middleware` (after any the enclosing group has).
    package mutating func group(_ middleware: some HTTPMiddleware, _ build: (inout Router) -> Void) {
        let outer = self.middleware
        self.middleware.append(middleware)
        build(&self)
        self.middleware = outer
    }

    /// Registers the routes `build` adds, each under `prefix`, behind `middleware`. A request under
    /// `prefix` that no route matches goes through `middleware` too before its 404 or 405, so a
    /// gate answers every request under the prefix, not only those for routes that exist.
    package mutating func group(prefix: String, _ middleware: some HTTPMiddleware, _ build: (inout Router) -> Void) {
        precondition(prefix.hasPrefix(self.prefix), "the group for \(prefix) is inside the group for \(self.prefix)")
        let outer = self.prefix
        self.prefix = prefix
        guardedPrefixes.append(GuardedPrefix(prefix: prefix, middleware: self.middleware + [middleware]))
        group(middleware, build)
        self.prefix = outer
    }

    package mutating func get(_ path: String, _ handler: @escaping HTTPHandler) { add(method: "GET", path: path, handler: handler) }
    package mutating func post(_ path: String, _ handler: @escaping HTTPHandler) { add(method: "POST", path: path, handler: handler) }
    package mutating func put(_ path: String, _ handler: @escaping HTTPHandler) { add(method: "PUT", path: path, handler: handler) }
    package mutating func delete(_ path: String, _ handler: @escaping HTTPHandler) { add(method: "DELETE", path: path, handler: handler) }
    package mutating func patch(_ path: String, _ handler: @escaping HTTPHandler) { add(method: "PATCH", path: path, handler: handler) }
    package mutating func head(_ path: String, _ handler: @escaping HTTPHandler) { add(method: "HEAD", path: path, handler: handler) }
    package mutating func options(_ path: String, _ handler: @escaping HTTPHandler) { add(method: "OPTIONS", path: path, handler: handler) }

    /// Whether a route for this method and path (or one of the same shape) is registered.
    package func contains(method: String, path: String) -> Bool {
        registered.contains(method + " " + RoutePath.shape(RoutePath.normalize(path, ignoresTrailingSlash)))
    }

    /// The immutable responder serving these routes.
    package func freeze() -> RouterResponder {
        RouterResponder(routes: routes, guardedPrefixes: guardedPrefixes, ignoresTrailingSlash: ignoresTrailingSlash)
    }
}

/// A group's path prefix and the middleware (outermost first) its misses go through.
private struct GuardedPrefix: Sendable {
    var prefix: String
    var middleware: [any HTTPMiddleware]

    /// `answer` (a 404 or 405) behind this prefix's middleware.
    func wrap(_ answer: @escaping HTTPHandler) -> HTTPHandler {
        var handler = answer
        for layer in middleware.reversed() {
            let next = handler
            handler = { request in try layer.handle(request, next: next) }
        }
        return handler
    }
}

/// Path handling shared by registration and lookup.
private enum RoutePath {
    static func normalize(_ path: String, _ ignoresTrailingSlash: Bool) -> String {
        if path.isEmpty { return "/" }
        if ignoresTrailingSlash && path.utf8.count > 1 && path.utf8.last == UInt8(ascii: "/") {
            var trimmed = Substring(path)
            while trimmed.utf8.count > 1 && trimmed.utf8.last == UInt8(ascii: "/") { trimmed = trimmed.dropLast() }
            return String(trimmed)
        }
        return path
    }

    static func split(_ path: String) -> [Substring] {
        path.utf8.count <= 1 ? [] : path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    }

    static func isParameter(_ raw: Substring) -> Bool { raw.hasPrefix("{") && raw.hasSuffix("}") && raw.count > 2 }

    /// The path with every parameter written `{}`.
    static func shape(_ path: String) -> String {
        "/" + split(path).map { isParameter($0) ? "{}" : String($0) }.joined(separator: "/")
    }
}

/// An immutable route table. 404 and 405 answers are WorkOS-style JSON errors; 405 carries `Allow`.
/// `HEAD` falls back to the `GET` handler and drops the body (keeping its `Content-Length`).
package struct RouterResponder: HTTPResponder {
    fileprivate enum Segment: Sendable {
        case literal(String)
        case parameter(String)
    }

    fileprivate struct Entry: Sendable {
        var handlers: [String: HTTPHandler] = [:]
        var allow: String = ""
    }

    fileprivate struct Pattern: Sendable {
        var segments: [Segment]
        var entry: Entry
    }

    private let staticRoutes: [String: Entry]
    /// Parameterized routes bucketed by segment count, most specific first.
    private let patterns: [Int: [Pattern]]
    /// Longest prefix first, so a nested group's misses get its own middleware.
    private let guardedPrefixes: [GuardedPrefix]
    package let ignoresTrailingSlash: Bool

    fileprivate init(routes: [Router.Route], guardedPrefixes: [GuardedPrefix], ignoresTrailingSlash: Bool) {
        self.ignoresTrailingSlash = ignoresTrailingSlash
        self.guardedPrefixes = guardedPrefixes.sorted { $0.prefix.utf8.count > $1.prefix.utf8.count }
        var statics: [String: Entry] = [:]
        var patternOrder: [String] = []
        var patternEntries: [String: (segments: [Segment], entry: Entry)] = [:]
        for route in routes {
            let path = RoutePath.normalize(route.path, ignoresTrailingSlash)
            let rawSegments = RoutePath.split(path)
            let segments: [Segment] = rawSegments.map { raw in
                if RoutePath.isParameter(raw) {
                    return .parameter(String(raw.dropFirst().dropLast()))
                }
                return .literal(String(raw))
            }
            let isStatic = segments.allSatisfy { if case .literal = $0 { return true } else { return false } }
            if isStatic {
                statics[path, default: Entry()].handlers[route.method] = route.handler
            } else {
                // Key patterns by shape so `{id}` and `{org}` at the same place are the same route.
                let shape = segments.map { if case .literal(let s) = $0 { return s } else { return "{}" } }.joined(separator: "/")
                if patternEntries[shape] == nil {
                    patternOrder.append(shape)
                    patternEntries[shape] = (segments, Entry())
                }
                patternEntries[shape]!.entry.handlers[route.method] = route.handler
            }
        }
        for key in statics.keys { statics[key]!.allow = Self.allowHeader(statics[key]!.handlers) }
        var buckets: [Int: [Pattern]] = [:]
        for shape in patternOrder {
            var (segments, entry) = patternEntries[shape]!
            entry.allow = Self.allowHeader(entry.handlers)
            buckets[segments.count, default: []].append(Pattern(segments: segments, entry: entry))
        }
        for key in buckets.keys {
            // Literal segments before parameters, position by position.
            buckets[key]!.sort { a, b in
                for (x, y) in zip(a.segments, b.segments) {
                    switch (x, y) {
                    case (.literal, .parameter): return true
                    case (.parameter, .literal): return false
                    default: continue
                    }
                }
                return false
            }
        }
        staticRoutes = statics
        patterns = buckets
    }

    private static func allowHeader(_ handlers: [String: HTTPHandler]) -> String {
        var methods = Set(handlers.keys)
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods.sorted().joined(separator: ", ")
    }

    /// The matched handler table and decoded parameters for a path, if any route matches it.
    private func lookup(_ rawPath: String) -> (entry: Entry, parameters: PathParameters)? {
        let path = RoutePath.normalize(rawPath, ignoresTrailingSlash)
        if let entry = staticRoutes[path] { return (entry, [:]) }
        let segments = RoutePath.split(path)
        guard let bucket = patterns[segments.count] else { return nil }
        candidates: for pattern in bucket {
            var parameters: PathParameters = [:]
            for (segment, raw) in zip(pattern.segments, segments) {
                switch segment {
                case .literal(let literal):
                    if literal != raw { continue candidates }
                case .parameter(let name):
                    if raw.isEmpty { continue candidates }
                    parameters[name] = percentDecode(raw.utf8, plusAsSpace: false)
                }
            }
            return (pattern.entry, parameters)
        }
        return nil
    }

    /// Whether any route (for any method) matches `path`.
    package func hasRoute(for path: String) -> Bool { lookup(path) != nil }

    /// Every route as `METHOD /path/{param}`, sorted: for "nearest route" hints.
    package var routeDescriptions: [String] {
        var described: [String] = []
        for (path, entry) in staticRoutes { described += entry.handlers.keys.map { "\($0) \(path)" } }
        for pattern in patterns.values.joined() {
            let path =
                "/"
                + pattern.segments.map { segment in
                    switch segment {
                    case .literal(let text): return text
                    case .parameter(let name): return "{\(name)}"
                    }
                }.joined(separator: "/")
            described += pattern.entry.handlers.keys.map { "\($0) \(path)" }
        }
        return described.sorted()
    }

    package func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let (entry, parameters) = lookup(request.path) else {
            return miss(request) { request in .error(status: 404, code: "not_found", message: "No route for \(request.method) \(request.path)") }
        }
        var request = request
        request.pathParameters = parameters
        if let handler = entry.handlers[request.method] {
            return .answering(request, with: handler)
        }
        if request.method == "HEAD", let get = entry.handlers["GET"] {
            var response = HTTPResponse.answering(request, with: get)
            if !response.headers.contains("Content-Length") {
                response.headers.add("Content-Length", String(response.body.count))
            }
            response.body = []
            return response
        }
        let allow = entry.allow
        return miss(request) { request in
            var response = HTTPResponse.error(
                status: 405, code: "method_not_allowed",
                message: "\(request.method) is not allowed on \(request.path); allowed: \(allow)")
            response.headers.add("Allow", allow)
            return response
        }
    }

    /// The answer for a request no route takes, through the middleware of the group its path is under.
    private func miss(_ request: HTTPRequest, _ answer: @escaping HTTPHandler) -> HTTPResponse {
        guard let group = guardedPrefixes.first(where: { request.path.hasPrefix($0.prefix) }) else {
            return .answering(request, with: answer)
        }
        return .answering(request, with: group.wrap(answer))
    }
}
