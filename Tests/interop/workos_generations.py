"""The same behaviour checks with any WorkOS Python SDK generation (5.x, 6.x, 8.x, 10.x), unchanged.

Usage: workos_generations.py BASE_URL API_KEY CLIENT_ID CALLBACK_URL FIXTURE_JSON
FIXTURE_JSON: {"user_id", "org_id", "multi_org_user_id", "user_count", "org_count"}.
The mock must run with auto-approve on, so the SDK's own authorize URL (with login_hint) redirects
straight back with a code. Each check is adapted to the generation's API; a check the generation
has no call for is reported as {"skipped": reason}. Prints one JSON object:
{"version", "generation", "checks": {name: {...}}, "tokens": [{name, token}]}.
"""
import base64
import dataclasses
import hashlib
import importlib.metadata
import json
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

import jwt
from cryptography.fernet import Fernet
from workos import WorkOSClient

VERSION = importlib.metadata.version("workos")
GENERATION = int(VERSION.split(".")[0])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # keep the 302 for inspection
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def follow_once(url):
    """GET url and return the Location of its redirect (the browser's next hop)."""
    try:
        response = _opener.open(url, timeout=10)
    except urllib.error.HTTPError as error:  # urllib raises for an unfollowed 3xx
        if error.code in (301, 302, 303, 307, 308):
            return error.headers["Location"]
        raise
    raise AssertionError("expected a redirect from %s, got %s" % (url, response.status))


def code_from(location, expected_state):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if "error" in query:
        raise AssertionError("authorize answered an error: %s" % location)
    assert query.get("state") == [expected_state], (location, expected_state)
    return query["code"][0]


def error_info(error):
    """What any generation's exception says: 5.x BaseRequestException or 6.x+ APIError."""
    response = getattr(error, "response", None)
    status = getattr(error, "status_code", None) or getattr(response, "status_code", None)
    body = getattr(error, "response_json", None) or {}
    return {"type": type(error).__name__, "status": status,
            "code": getattr(error, "code", None) or body.get("code"),
            "error": getattr(error, "error", None) or body.get("error"), "body": body}


def value(enum_or_text):
    return str(getattr(enum_or_text, "value", enum_or_text))


def unseal(sealed, cookie_password):
    """The SDK's own unseal function: a static method in 5.x, a module function from 6.0."""
    from workos import session as session_module
    if hasattr(session_module, "unseal_data"):
        return session_module.unseal_data(sealed, cookie_password)
    return session_module.Session.unseal_data(sealed, cookie_password)


def seal_locally(auth, cookie_password):
    """How a 6.x+ app seals the code exchange's answer (the SDK helper)."""
    from workos.session import seal_session_from_auth_response
    user = auth.user.to_dict() if hasattr(auth.user, "to_dict") else auth.user.model_dump()
    return seal_session_from_auth_response(access_token=auth.access_token, refresh_token=auth.refresh_token,
                                           user=user, cookie_password=cookie_password)


def load_sealed(um, sealed, cookie_password):
    if GENERATION >= 6:
        return um.load_sealed_session(session_data=sealed, cookie_password=cookie_password)
    return um.load_sealed_session(sealed_session=sealed, cookie_password=cookie_password)


def every(page):
    """Every item of a paginated list, following `after` cursors the generation's way."""
    if hasattr(page, "auto_paging_iter"):
        return list(page.auto_paging_iter())
    return list(page)


def has_field(model, name):
    """Whether a generation's model declares `name`: pydantic in 5.x, dataclasses from 6.0."""
    if dataclasses.is_dataclass(model):
        return name in {field.name for field in dataclasses.fields(model)}
    return name in getattr(model, "model_fields", {})


def session_result(result):
    return {"authenticated": result.authenticated, "reason": value(getattr(result, "reason", "")),
            "session_id": getattr(result, "session_id", None), "organization_id": getattr(result, "organization_id", None),
            "role": getattr(result, "role", None)}


def main():
    base, api_key, client_id, callback = sys.argv[1:5]
    fixture = json.loads(sys.argv[5])
    options = {"api_key": api_key, "client_id": client_id, "base_url": base}
    if GENERATION >= 10:
        options["jwt_issuer"] = base  # 10.x can check iss too; older generations have no option for it
    client = WorkOSClient(**options)
    um = client.user_management
    checks = {}
    tokens = []
    out = {"version": VERSION, "generation": GENERATION, "checks": checks, "tokens": tokens}

    # Management: users, organizations, memberships with the embedded user, pagination.
    user = um.get_user(fixture["user_id"])
    users = every(um.list_users(limit=2))
    created = um.create_user(email="gen%d.created@example.test" % GENERATION, first_name="Gen")
    org = client.organizations.get_organization(fixture["org_id"])
    orgs = every(client.organizations.list_organizations(limit=2))
    memberships_api = um if hasattr(um, "list_organization_memberships") else client.organization_membership
    memberships = every(memberships_api.list_organization_memberships(user_id=fixture["multi_org_user_id"], limit=1))
    checks["management"] = {"user_email": user.email, "users_paged": len(users), "users_unique": len({u.id for u in users}),
                            "created_email": created.email, "org_id": org.id, "org_domains": [d.domain for d in org.domains],
                            "orgs_paged": len(orgs), "membership_orgs": sorted(m.organization_id for m in memberships)}
    if memberships and not has_field(type(memberships[0]), "user"):
        checks["membership_user"] = {"skipped": "%s's OrganizationMembership model has no user field" % VERSION}
    else:
        checks["membership_user"] = {"user_ids": sorted({m.user.id for m in memberships})}

    # The authorization URL, built by the SDK and followed like a browser (auto-approve).
    url = um.get_authorization_url(redirect_uri=callback, provider="authkit", login_hint="alice@acme.test", state="g-1")
    parsed = urllib.parse.urlsplit(url)
    checks["authorization_url"] = {"path": parsed.path, "params": sorted(urllib.parse.parse_qs(parsed.query))}
    auth = um.authenticate_with_code(code=code_from(follow_once(url), "g-1"))
    checks["code"] = {"user_id": auth.user.id, "organization_id": auth.organization_id,
                      "authentication_method": value(auth.authentication_method)}
    tokens.append({"name": "code", "token": auth.access_token})

    # The code exchange with sealing: 5.x asks in the request (session=...); 6.x+ seal with the helper.
    cookie_password = Fernet.generate_key().decode()
    url = um.get_authorization_url(redirect_uri=callback, provider="authkit", login_hint="alice@acme.test", state="g-2")
    code = code_from(follow_once(url), "g-2")
    if GENERATION < 6:
        sealed_auth = um.authenticate_with_code(code=code, session={"seal_session": True, "cookie_password": cookie_password})
        sealed = sealed_auth.sealed_session
        how = "authenticate_with_code(session=...)"
    else:
        sealed_auth = um.authenticate_with_code(code=code)
        sealed = seal_locally(sealed_auth, cookie_password)
        how = "seal_session_from_auth_response"
    checks["code_sealed"] = {"how": how, "unsealed_user_id": unseal(sealed, cookie_password)["user"]["id"]}
    if hasattr(client, "request_raw"):
        # What 6.x's Session.refresh() relies on: the mock seals when the body asks it to.
        url = um.get_authorization_url(redirect_uri=callback, provider="authkit", login_hint="alice@acme.test", state="g-3")
        # 6.x takes the path as a string, 8.x+ as segments.
        path = ("user_management", "authenticate") if GENERATION >= 8 else "user_management/authenticate"
        raw = client.request_raw(method="post", path=path, body={
            "grant_type": "authorization_code", "client_id": client_id, "client_secret": api_key,
            "code": code_from(follow_once(url), "g-3"), "session": {"seal_session": True, "cookie_password": cookie_password}})
        opened = unseal(raw["sealed_session"], cookie_password)
        checks["mock_sealed"] = {"same_access_token": opened.get("access_token") == raw["access_token"],
                                 "same_refresh_token": opened.get("refresh_token") == raw["refresh_token"],
                                 "user_id": opened.get("user", {}).get("id")}
    else:
        checks["mock_sealed"] = {"skipped": "%s has no raw request call to send session=... outside authenticate_with_code" % VERSION}

    # The sealed session: authenticate() through the JWKS, then refresh().
    session = load_sealed(um, sealed, cookie_password)
    checked = session.authenticate()
    checks["session_authenticate"] = session_result(checked)
    renewed = session.refresh()
    checks["session_refresh"] = session_result(renewed)
    resealed = getattr(renewed, "sealed_session", None)
    if resealed:
        checks["session_refresh"]["reauthenticated"] = load_sealed(um, resealed, cookie_password).authenticate().authenticated

    # The refresh grant rotates the refresh token and keeps the session.
    refreshed = um.authenticate_with_refresh_token(refresh_token=auth.refresh_token)
    checks["refresh"] = {"rotated": refreshed.refresh_token != auth.refresh_token, "organization_id": refreshed.organization_id}
    tokens.append({"name": "refresh", "token": refreshed.access_token})

    # PKCE: 6.x+ as a public client (no API key); 5.x has none, so its confidential client sends the verifier.
    if GENERATION >= 6:
        from workos.public_client import create_public_client
        public = create_public_client(client_id=client_id, base_url=base)
        pkce = public.user_management.get_authorization_url_with_pkce(redirect_uri=callback, provider="authkit", login_hint="bob@acme.test")
        pkce_auth = public.user_management.authenticate_with_code_pkce(code=code_from(follow_once(pkce["url"]), pkce["state"]),
                                                                        code_verifier=pkce["code_verifier"])
        checks["pkce"] = {"email": pkce_auth.user.email, "client": "public"}
    else:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        url = um.get_authorization_url(redirect_uri=callback, provider="authkit", login_hint="bob@acme.test", state="g-4",
                                       code_challenge=challenge)
        pkce_auth = um.authenticate_with_code(code=code_from(follow_once(url), "g-4"), code_verifier=verifier)
        checks["pkce"] = {"email": pkce_auth.user.email, "client": "confidential"}
    tokens.append({"name": "pkce", "token": pkce_auth.access_token})

    # Password, right and wrong.
    by_password = um.authenticate_with_password(email="erin@initech.test", password="erin-password")
    checks["password"] = {"email": by_password.user.email}
    try:
        um.authenticate_with_password(email="erin@initech.test", password="wrong")
        checks["wrong_password"] = {"accepted": True}
    except Exception as error:  # noqa: BLE001 - each generation has its own exception classes
        checks["wrong_password"] = error_info(error)

    # Organization selection for a user active in two organizations.
    url = um.get_authorization_url(redirect_uri=callback, provider="authkit", login_hint="carol@acme.test", state="g-5")
    try:
        um.authenticate_with_code(code=code_from(follow_once(url), "g-5"))
        checks["selection"] = {"asked": False}
    except Exception as error:  # noqa: BLE001
        info = error_info(error)
        body = info["body"]
        choice = sorted(o["id"] for o in body.get("organizations", []))[-1]
        chosen = um.authenticate_with_organization_selection(pending_authentication_token=body.get("pending_authentication_token"),
                                                             organization_id=choice)
        checks["selection"] = {"asked": True, "status": info["status"], "code": info["code"], "chosen": choice,
                               "organization_id": chosen.organization_id}
        tokens.append({"name": "selection", "token": chosen.access_token})

    # Logout through the SDK's URL, then the session's refresh token is dead.
    # The session's id from its token when authenticate() refused it, so a failure above is
    # reported by the checks rather than ending the script here.
    session_id = getattr(checked, "session_id", None) or jwt.decode(
        unseal(sealed, cookie_password)["access_token"], options={"verify_signature": False})["sid"]
    logout_url = um.get_logout_url(session_id=session_id, return_to=callback + "?signed_out=1")
    checks["logout"] = {"location": follow_once(logout_url)}
    latest = unseal(resealed or sealed, cookie_password)["refresh_token"]
    try:
        um.authenticate_with_refresh_token(refresh_token=latest)
        checks["refresh_after_logout"] = {"accepted": True}
    except Exception as error:  # noqa: BLE001
        checks["refresh_after_logout"] = error_info(error)

    for check in checks.values():
        check.pop("body", None)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
