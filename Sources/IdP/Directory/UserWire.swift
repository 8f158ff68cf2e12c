import Essentials
import FoundationEssentials
import Glibc
import JSON

/// A user's WorkOS wire fields, spelled here only: the create and update bodies (`NewUser`,
/// `UserChanges`), the answer (`WorkOSShape.user`), the fixtures, the control API's known
/// fields and the journal's documented body members all read these names.
package enum UserField: String, CaseIterable, Sendable {
    case email
    case emailVerified = "email_verified"
    case firstName = "first_name"
    case lastName = "last_name"
    case profilePictureURL = "profile_picture_url"
    case externalID = "external_id"
    case metadata
    case locale
    case password

    /// Every field's wire name.
    package static let names: Set<String> = Set(allCases.map(\.rawValue))
}

/// What creating a user takes. `id` and `ref` are the control API's (pinned IDs, fixture handles);
/// the WorkOS API never sets them.
package struct NewUser: Sendable, Equatable {
    package var email: String
    package var id: String?
    package var ref: String?
    /// The optional fields, applied to the new user as an update would.
    package var fields: UserChanges

    package init(email: String, id: String? = nil, ref: String? = nil, fields: UserChanges = UserChanges()) {
        self.email = email
        self.id = id
        self.ref = ref
        self.fields = fields
    }

    /// A WorkOS create body; `allowPinned` reads `id` and `ref` as well.
    package init(json body: JSONValue, allowPinned: Bool = false) throws(IdPError) {
        let body = try BodyFields(body)
        email = try body.requiredString(UserField.email.rawValue).trimmingWhitespace().lowercased()
        guard email.contains("@") else { throw .invalidParameters("email '\(email)' is not an email address") }
        id = allowPinned ? try body.string("id") : nil
        if let id, !IdPID.has(prefix: .user, id) {
            throw .invalidParameters("id '\(id)' is not of the form user_<ULID>")
        }
        fields = try UserChanges(optionalFieldsOf: body)
        ref = allowPinned ? try body.string("ref") : nil
    }
}

/// What updating a user changes. A nil member leaves the field as it is; `.some(nil)` clears it.
package struct UserChanges: Sendable, Equatable {
    /// Update only: a create's email is `NewUser.email`.
    package var email: String?
    package var firstName: String??
    package var lastName: String??
    package var externalID: String??
    package var emailVerified: Bool?
    package var password: String??
    package var locale: String??
    package var profilePictureURL: String??
    package var metadata: JSONObject?

    package init() {}

    /// A WorkOS update body.
    package init(json body: JSONValue) throws(IdPError) {
        try self.init(BodyFields(body))
    }

    init(_ body: BodyFields) throws(IdPError) {
        try self.init(optionalFieldsOf: body, email: try body.string(UserField.email.rawValue)?.lowercased())
    }

    fileprivate init(optionalFieldsOf body: BodyFields, email: String? = nil) throws(IdPError) {
        self.email = email
        func text(_ field: UserField) throws(IdPError) -> String?? {
            body.has(field.rawValue) ? .some(try body.string(field.rawValue)) : nil
        }
        firstName = try text(.firstName)
        lastName = try text(.lastName)
        externalID = try text(.externalID)
        // A null `email_verified` reads as true, a null `metadata` as empty: both are never null.
        if body.has(UserField.emailVerified.rawValue) { emailVerified = try body.bool(UserField.emailVerified.rawValue) ?? true }
        password = try text(.password)
        locale = try text(.locale)
        profilePictureURL = try text(.profilePictureURL)
        if body.has(UserField.metadata.rawValue) { metadata = try body.object(UserField.metadata.rawValue) ?? [:] }
    }

    /// Sets every field this change names, except `email` (the caller checks it is free first).
    func apply(to user: inout User) {
        if let firstName { user.firstName = firstName }
        if let lastName { user.lastName = lastName }
        if let externalID { user.externalID = externalID }
        if let emailVerified { user.emailVerified = emailVerified }
        if let password { user.password = password }
        if let locale { user.locale = locale }
        if let profilePictureURL { user.profilePictureURL = profilePictureURL }
        if let metadata { user.metadata = metadata }
    }
}

extension WorkOSShape {
    /// The WorkOS answer for a user; the runner serves it as a fault's body too.
    package static func user(_ user: User) -> JSONValue {
        [
            "object": "user",
            "id": .string(user.id),
            UserField.email.rawValue: .string(user.email),
            UserField.emailVerified.rawValue: .bool(user.emailVerified),
            UserField.firstName.rawValue: optional(user.firstName),
            UserField.lastName.rawValue: optional(user.lastName),
            "name": optional(user.name),
            UserField.profilePictureURL.rawValue: optional(user.profilePictureURL),
            UserField.externalID.rawValue: optional(user.externalID),
            UserField.metadata.rawValue: .object(user.metadata),
            UserField.locale.rawValue: optional(user.locale),
            "last_sign_in_at": user.lastSignInAt.map(timestamp) ?? .null,
            "created_at": timestamp(user.createdAt),
            "updated_at": timestamp(user.updatedAt),
        ]
    }
}

/// The WorkOS JSON forms of the user commands: a body in, the WorkOS answer out.
extension MockIdP {
    package func createUser(_ body: JSONValue, allowPinned: Bool = false) throws(IdPError) -> JSONValue {
        WorkOSShape.user(try createUser(try NewUser(json: body, allowPinned: allowPinned)))
    }

    package func updateUser(_ id: String, _ body: JSONValue) throws(IdPError) -> JSONValue {
        let body = try BodyFields(body)
        // An unknown user is a 404 whatever the body holds.
        _ = try user(id)
        return WorkOSShape.user(try updateUser(id, try UserChanges(body)))
    }
}
