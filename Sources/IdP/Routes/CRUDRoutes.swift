import HTTP
import JSON

/// Create, read, update and delete of one kind of directory entry over its collection path:
/// `POST /things` (201), `GET`, `PUT` and `DELETE /things/{id}`. A missing operation is simply
/// not routed.
struct CRUD: Sendable {
    var create: (@Sendable (JSONValue) throws -> JSONValue)?
    var read: (@Sendable (String) throws -> JSONValue)?
    var update: (@Sendable (String, JSONValue) throws -> JSONValue)?
    var delete: (@Sendable (String) throws -> Void)?
    /// WorkOS answers a delete with 200 and no body; the control API with 204.
    var deletedStatus = 200
    /// The body fields a create or update may carry; nil takes any (WorkOS ignores the rest).
    var knownFields: Set<String>?

    static func users(_ idp: MockIdP, allowPinned: Bool = false) -> CRUD {
        CRUD(
            create: { try idp.createUser($0, allowPinned: allowPinned) }, read: { WorkOSShape.user(try idp.user($0)) },
            update: { try idp.updateUser($0, $1) }, delete: { try idp.deleteUser($0) })
    }

    static func organizations(_ idp: MockIdP, allowPinned: Bool = false) -> CRUD {
        CRUD(
            create: { try idp.createOrganization($0, allowPinned: allowPinned) }, read: { WorkOSShape.organization(try idp.organization($0)) },
            update: { try idp.updateOrganization($0, $1) }, delete: { try idp.deleteOrganization($0) })
    }

    static func memberships(_ idp: MockIdP) -> CRUD {
        CRUD(
            create: { try idp.createMembership($0) }, read: { idp.answer(try idp.membership($0)) },
            update: { try idp.updateMembership($0, $1) }, delete: { try idp.deleteMembership($0) })
    }

    /// The control API's variant: no read (the directory snapshot serves that), 204 on delete,
    /// and a body field outside `known` is refused, so a typo is an error, not a silent no-op.
    func forControlAPI(known: Set<String>) -> CRUD {
        var copy = self
        copy.read = nil
        copy.deletedStatus = 204
        copy.knownFields = known
        return copy
    }

    /// The body of a create or update.
    func body(_ request: HTTPRequest) throws(IdPError) -> JSONValue {
        let body: JSONValue
        if let knownFields { body = try controlBody(request, known: knownFields) } else { body = try jsonBody(request) }
        try DirectoryFieldCaps.check(body)
        return body
    }
}

extension Router {
    mutating func crud(_ collection: String, _ entity: CRUD) {
        let item = collection + "/{id}"
        if let create = entity.create {
            post(collection) { request in .json(try create(try entity.body(request)), status: 201) }
        }
        if let read = entity.read {
            get(item) { request in .json(try read(try request.pathParameters.require("id"))) }
        }
        if let update = entity.update {
            put(item) { request in .json(try update(try request.pathParameters.require("id"), try entity.body(request))) }
        }
        if let remove = entity.delete {
            let status = entity.deletedStatus
            delete(item) { request in
                try remove(try request.pathParameters.require("id"))
                return .empty(status: status)
            }
        }
    }
}

/// The body as JSON; an empty body is an empty object.
func jsonBody(_ request: HTTPRequest) throws(IdPError) -> JSONValue {
    if request.body.isEmpty { return .object([:]) }
    do {
        return try request.json()
    } catch {
        throw .invalidParameters("the body is not valid JSON: \(error.description)")
    }
}
