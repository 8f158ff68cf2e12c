"""Log in through MockIdP with the official WorkOS Python SDK, unchanged.

Usage: workos_auth.py BASE_URL API_KEY CLIENT_ID CALLBACK_URL
The mock must run with auto-approve on, so the SDK's own authorize URL (with login_hint) answers
with a redirect carrying the code: no HTML is parsed. Prints a JSON object of what the SDK saw,
including every access token, so the Swift test can check it and hand the tokens to
verify_tokens.py.
"""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography.fernet import Fernet
from workos import WorkOSClient
from workos._errors import BadRequestError, OrganizationSelectionRequiredError
from workos.public_client import create_public_client
from workos.session import seal_session_from_auth_response


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: D401 - keep the 302 for inspection
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


def main():
    base, api_key, client_id, callback = sys.argv[1:5]
    client = WorkOSClient(api_key=api_key, client_id=client_id, base_url=base, jwt_issuer=base)
    um = client.user_management
    out = {"tokens": []}

    # 1. Confidential client: SDK-built authorize URL -> code -> authenticate_with_code.
    url = um.get_authorization_url(redirect_uri=callback, provider="authkit", login_hint="alice@acme.test", state="py-state-1")
    auth = um.authenticate_with_code(code=code_from(follow_once(url), "py-state-1"))
    out["code"] = {"user_id": auth.user.id, "email": auth.user.email, "organization_id": auth.organization_id,
                   "authentication_method": str(getattr(auth.authentication_method, "value", auth.authentication_method)),
                   "last_sign_in_at": str(auth.user.last_sign_in_at)}
    out["tokens"].append({"name": "code", "token": auth.access_token})

    # 2. Refresh rotates the refresh token and keeps the session.
    refreshed = um.authenticate_with_refresh_token(refresh_token=auth.refresh_token)
    out["refresh"] = {"rotated": refreshed.refresh_token != auth.refresh_token, "organization_id": refreshed.organization_id}
    out["tokens"].append({"name": "refresh", "token": refreshed.access_token})

    # 3. The SDK's session helper: seal with Fernet, then authenticate (JWKS via PyJWKClient) and refresh.
    cookie_password = Fernet.generate_key().decode()
    sealed = seal_session_from_auth_response(access_token=refreshed.access_token, refresh_token=refreshed.refresh_token,
                                             user=refreshed.user.to_dict(), cookie_password=cookie_password)
    session = um.load_sealed_session(session_data=sealed, cookie_password=cookie_password)
    checked = session.authenticate()
    out["session"] = {"authenticated": checked.authenticated,
                      "reason": str(getattr(checked, "reason", "")),
                      "session_id": getattr(checked, "session_id", None),
                      "organization_id": getattr(checked, "organization_id", None),
                      "role": getattr(checked, "role", None),
                      "permissions": list(getattr(checked, "permissions", None) or [])}
    renewed = session.refresh()
    out["session_refresh"] = {"authenticated": renewed.authenticated, "reason": str(getattr(renewed, "reason", "")),
                              "session_id": getattr(renewed, "session_id", None)}

    # 4. A public PKCE client: no API key at all, only client_id + code_verifier.
    public = create_public_client(client_id=client_id, base_url=base)
    pkce = public.user_management.get_authorization_url_with_pkce(redirect_uri=callback, provider="authkit", login_hint="bob@acme.test")
    code = code_from(follow_once(pkce["url"]), pkce["state"])
    public_auth = public.user_management.authenticate_with_code_pkce(code=code, code_verifier=pkce["code_verifier"])
    out["pkce"] = {"email": public_auth.user.email, "organization_id": public_auth.organization_id}
    out["tokens"].append({"name": "pkce", "token": public_auth.access_token})

    # 5. Password grant, right and wrong.
    by_password = um.authenticate_with_password(email="erin@initech.test", password="erin-password")
    out["password"] = {"email": by_password.user.email, "organization_id": by_password.organization_id,
                       "authentication_method": str(getattr(by_password.authentication_method, "value", by_password.authentication_method))}
    try:
        um.authenticate_with_password(email="erin@initech.test", password="wrong")
        out["wrong_password"] = "accepted"
    except BadRequestError as error:
        out["wrong_password"] = {"type": type(error).__name__, "code": error.code, "status": error.status_code}

    # 6. A multi-org user: the SDK raises OrganizationSelectionRequiredError; selecting finishes.
    url = um.get_authorization_url(redirect_uri=callback, provider="authkit", login_hint="carol@acme.test", state="py-state-2")
    try:
        um.authenticate_with_code(code=code_from(follow_once(url), "py-state-2"))
        out["selection"] = "no selection asked"
    except OrganizationSelectionRequiredError as error:
        pending = (error.response_json or {}).get("pending_authentication_token")
        choice = sorted(org["id"] for org in (error.organizations or []))[-1]
        chosen = um.authenticate_with_organization_selection(pending_authentication_token=pending, organization_id=choice)
        out["selection"] = {"offered": sorted(org["name"] for org in error.organizations), "user": (error.user or {}).get("email"),
                            "chosen": choice, "organization_id": chosen.organization_id}
        out["tokens"].append({"name": "selection", "token": chosen.access_token})

    # 7. Logout through the SDK's URL ends the session and goes back to return_to.
    logout_url = um.get_logout_url(session_id=checked.session_id, return_to=callback + "?signed_out=1")
    out["logout"] = {"location": follow_once(logout_url)}
    try:
        um.authenticate_with_refresh_token(refresh_token=refreshed.refresh_token)
        out["refresh_after_logout"] = "accepted"
    except BadRequestError as error:
        out["refresh_after_logout"] = {"error": error.error, "status": error.status_code}

    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
