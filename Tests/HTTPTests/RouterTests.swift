import HTTP
import JSON
import Testing

@Suite struct RouterTests {
    static let responder: RouterResponder = {
        var router = Router()
        router.get("/organizations") { _ in .text("list") }
        router.post("/organizations") { _ in .text("create", status: 201) }
        router.get("/organizations/{id}") { request in .text("org " + (request.pathParameters["id"] ?? "?")) }
        router.delete("/organizations/{id}") { _ in .empty() }
        router.get("/organizations/special") { _ in .text("special") }
        router.get("/orgs/{org}/members/{member}") { request in
            .json(["org": .string(request.pathParameters["org"]!), "member": .string(request.pathParameters["member"]!)])
        }
        router.get("/{any}/fixed") { _ in .text("param-first") }
        router.get("/lit/{x}") { _ in .text("lit-first") }
        router.get("/") { _ in .text("root") }
        return router.freeze()
    }()

    func respond(_ method: String, _ target: String) -> HTTPResponse {
        Self.responder.respond(to: HTTPRequest(method: method, target: target, headers: ["Host": "h"]))
    }

    @Test func staticAndParameterRoutes() throws {
        #expect(respond("GET", "/organizations").bodyText == "list")
        #expect(respond("POST", "/organizations").status == 201)
        #expect(respond("GET", "/organizations/org_123?x=1").bodyText == "org org_123")
        #expect(respond("GET", "/organizations/a%2Fb%20c").bodyText == "org a/b c")
        #expect(respond("GET", "/organizations/special").bodyText == "special")
        #expect(respond("GET", "/").bodyText == "root")
        let nested = respond("GET", "/orgs/o1/members/m%40x")
        #expect(try nested.json() == ["org": "o1", "member": "m@x"])
        #expect(respond("GET", "/lit/fixed").bodyText == "lit-first")
    }

    @Test func trailingSlashTolerance() {
        #expect(respond("GET", "/organizations/").bodyText == "list")
        #expect(respond("GET", "/organizations/abc/").bodyText == "org abc")
        var strict = Router(ignoresTrailingSlash: false)
        strict.get("/a") { _ in .text("a") }
        let responder = strict.freeze()
        #expect(responder.respond(to: HTTPRequest(target: "/a/")).status == 404)
    }

    @Test func notFoundIsJSON() throws {
        let response = respond("GET", "/nope/nope/nope")
        #expect(response.status == 404)
        #expect(try response.json()["code"] == "not_found")
        #expect(respond("GET", "/organizations//x").status == 404)
    }

    @Test func methodNotAllowedListsAllow() throws {
        let response = respond("PUT", "/organizations/abc")
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "DELETE, GET, HEAD")
        #expect(try response.json()["code"] == "method_not_allowed")
        #expect(respond("PATCH", "/organizations").headers["Allow"] == "GET, HEAD, POST")
    }

    @Test func headFallsBackToGetWithoutBody() {
        let response = respond("HEAD", "/organizations/abc")
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.headers["Content-Length"] == "7")
    }

    struct Stamp: HTTPMiddleware {
        func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
            var response = try next(request)
            response.headers.add("X-Seen", "1")
            return response
        }
    }

    @Test func middlewareComposition() {
        let wrapped = Self.responder.wrapped(in: Stamp())
        #expect(wrapped.respond(to: HTTPRequest(target: "/")).headers["x-seen"] == "1")
        // The router's own answers (404) pass through the wrapping middleware too.
        #expect(wrapped.respond(to: HTTPRequest(target: "/nowhere")).headers["x-seen"] == "1")
        #expect(wrapped.respond(to: HTTPRequest(target: "/nowhere")).status == 404)
    }

    struct Teapot: HTTPResponseError {
        var response: HTTPResponse { .text("short and stout", status: 418) }
    }

    struct Unrenderable: Error {}

    @Test func thrownErrorsRenderThemselvesAndOthersAre500() throws {
        var router = Router()
        router.get("/teapot") { _ in throw Teapot() }
        router.get("/plain") { _ in throw HTTPError(status: 409, code: "conflict", message: "taken") }
        router.get("/bug") { _ in throw Unrenderable() }
        let responder = router.freeze()
        let teapot = responder.respond(to: HTTPRequest(target: "/teapot"))
        #expect(teapot.status == 418)
        #expect(teapot.bodyText == "short and stout")
        let plain = responder.respond(to: HTTPRequest(target: "/plain"))
        #expect(plain.status == 409)
        #expect(try plain.json() == ["code": "conflict", "message": "taken"])
        let bug = responder.respond(to: HTTPRequest(target: "/bug"))
        #expect(bug.status == 500)
        #expect(try bug.json()["code"] == "internal_error")
        // HEAD through the GET handler renders the error too, without a body.
        let head = responder.respond(to: HTTPRequest(method: "HEAD", target: "/teapot"))
        #expect(head.status == 418)
        #expect(head.body.isEmpty)
    }

    @Test func requireGivesTheParameterOrA404() throws {
        var router = Router()
        router.get("/orgs/{org}") { request in .text(try request.pathParameters.require("org")) }
        router.get("/wrong/{org}") { request in .text(try request.pathParameters.require("id")) }
        let responder = router.freeze()
        #expect(responder.respond(to: HTTPRequest(target: "/orgs/a%20b")).bodyText == "a b")
        let missing = responder.respond(to: HTTPRequest(target: "/wrong/x"))
        #expect(missing.status == 404)
        #expect(try missing.json()["code"] == "not_found")
        #expect(throws: HTTPError.self) { try PathParameters(["a": "1"]).require("b") }
        #expect(try PathParameters(["a": "1"]).require("a") == "1")
    }

    struct RequireHeader: HTTPMiddleware {
        let name: String
        func handle(_ request: HTTPRequest, next: HTTPHandler) throws -> HTTPResponse {
            guard request.headers[name] != nil else { throw HTTPError(status: 401, code: "unauthorized", message: "no \(name)") }
            var response = try next(request)
            response.headers.add("X-Group", name)
            return response
        }
    }

    @Test func groupMiddlewareWrapsOnlyItsRoutesOutermostFirst() throws {
        var router = Router()
        router.get("/open") { _ in .text("open") }
        router.group(RequireHeader(name: "A")) { router in
            router.get("/a") { _ in .text("a") }
            router.group(RequireHeader(name: "B")) { router in
                router.get("/ab/{id}") { request in .text(try request.pathParameters.require("id")) }
            }
        }
        router.get("/after") { _ in .text("after") }
        let responder = router.freeze()
        func get(_ target: String, _ headers: HTTPHeaders = [:]) -> HTTPResponse {
            responder.respond(to: HTTPRequest(target: target, headers: headers))
        }
        #expect(get("/open").status == 200)
        #expect(get("/after").headers["X-Group"] == nil)
        #expect(get("/a").status == 401)
        #expect(get("/a", ["A": "1"]).headers.values(for: "X-Group") == ["A"])
        #expect(try get("/ab/x", ["A": "1"]).json()["message"] == "no B")
        let both = get("/ab/x", ["A": "1", "B": "1"])
        #expect(both.bodyText == "x")
        // The inner middleware adds its header first; the outer one wraps it.
        #expect(both.headers.values(for: "X-Group") == ["B", "A"])
    }

    @Test func aPrefixGroupGuardsItsRoutesAndItsMisses() throws {
        var router = Router()
        router.get("/open") { _ in .text("open") }
        router.group(prefix: "/admin/", RequireHeader(name: "A")) { router in
            router.get("/admin/a") { _ in .text("a") }
            router.get("/admin/items/{id}") { request in .text(try request.pathParameters.require("id")) }
        }
        let responder = router.freeze()
        func send(_ method: String, _ target: String, _ headers: HTTPHeaders = [:]) -> HTTPResponse {
            responder.respond(to: HTTPRequest(method: method, target: target, headers: headers))
        }
        #expect(send("GET", "/open").status == 200)
        #expect(send("GET", "/nowhere").status == 404)
        #expect(send("GET", "/admin/a").status == 401)
        #expect(send("GET", "/admin/a", ["A": "1"]).bodyText == "a")
        #expect(send("HEAD", "/admin/items/7").status == 401)
        // Under the prefix, what no route takes meets the gate before the router says so.
        #expect(try send("GET", "/admin/unknown").json()["message"] == "no A")
        #expect(send("OPTIONS", "/admin/a").status == 401)
        let missing = send("GET", "/admin/unknown", ["A": "1"])
        #expect(missing.status == 404)
        #expect(missing.headers.values(for: "X-Group") == ["A"])
        let wrongMethod = send("DELETE", "/admin/a", ["A": "1"])
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["Allow"] == "GET, HEAD")
    }

    @Test func registrationKnowsEveryMethodAndShape() {
        var router = Router()
        router.get("/users/{id}") { _ in .text("") }
        #expect(router.contains(method: "GET", path: "/users/{other}"))
        #expect(router.contains(method: "GET", path: "/users/{id}/"))
        #expect(!router.contains(method: "PUT", path: "/users/{id}"))
        #expect(!router.contains(method: "GET", path: "/users/me"))
    }

    @Test func aDuplicateMethodAndPathStopsAtRegistration() async {
        await #expect(processExitsWith: .failure) {
            var router = Router()
            router.get("/users/{id}") { _ in .text("first") }
            router.get("/users/{user_id}/") { _ in .text("second") }
        }
    }
}
