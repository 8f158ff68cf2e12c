/// Codes, refresh tokens and pending logins of the AuthKit flows (filled in by the auth-flows work).
struct AuthFlowState: Sendable {}
