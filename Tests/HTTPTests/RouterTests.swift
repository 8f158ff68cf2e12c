import Testing
import HTTP
import JSON

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

    @Test func middlewareComposition() {
        let wrapped = MiddlewareResponder(wrapping: Self.responder) { request, next in
            var response = next.respond(to: request)
            response.headers.add("X-Seen", "1")
            return response
        }
        #expect(wrapped.respond(to: HTTPRequest(target: "/")).headers["x-seen"] == "1")
    }
}
