"""A correct server-rendered web app on the WorkOS Python SDK 5.x sealed sessions, written the
way the SDK's docs show (and hardened where the SDK leaves it to the app), to prove that
`mockidp run` drives a code-flow app through its own /login and /callback without false alarms.

/login redirects to AuthKit's authorize URL with a fresh `state` kept in a cookie; /callback
checks it, exchanges the code with `authenticate_with_code(session={seal_session,
cookie_password})`, verifies the access token (the SDK checks neither the issuer nor that a
JWKS outage is not a crash), provisions the account once, sets the sealed session in a
`Secure; HttpOnly` cookie (in chunks when it is over a browser's 4 KB) and redirects to /account.
Pages read the cookie and refresh an expired access token. No test hooks.

Environment: PORT, WORKOS_BASE_URL, WORKOS_API_KEY, WORKOS_CLIENT_ID, ISSUER.
"""

import html
import json
import os
import secrets
import sys
import threading
import uuid
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.fernet import Fernet
from workos import WorkOSClient

PORT = int(os.environ["PORT"])
BASE_URL = os.environ["WORKOS_BASE_URL"].rstrip("/") + "/"
ISSUER = os.environ["ISSUER"]
CLIENT_ID = os.environ["WORKOS_CLIENT_ID"]
REDIRECT_URI = f"http://127.0.0.1:{PORT}/callback"
COOKIE_PASSWORD = Fernet.generate_key().decode()
SESSION_COOKIE = "wos_session"
# Browsers drop a cookie over 4096 bytes (RFC 6265bis §5.6), and a sealed session whose access token
# is scoped to an organization (org_id, role, permissions…) is larger: it is split into chunks
# (wos_session, wos_session.1, …), as Auth.js does with its session cookie.
COOKIE_CHUNK = 3800
MAX_CHUNKS = 4
COOKIE_ATTRIBUTES = "Path=/; Secure; HttpOnly; SameSite=Lax"


def session_cookies(sealed):
    """Set-Cookie values for a sealed session: its chunks, and the unused chunk names cleared."""
    chunks = [sealed[index:index + COOKIE_CHUNK] for index in range(0, len(sealed), COOKIE_CHUNK)]
    names = [SESSION_COOKIE] + [f"{SESSION_COOKIE}.{index}" for index in range(1, MAX_CHUNKS)]
    headers = [("Set-Cookie", f"{name}={chunk}; {COOKIE_ATTRIBUTES}") for name, chunk in zip(names, chunks)]
    headers += [("Set-Cookie", f"{name}=; {COOKIE_ATTRIBUTES}; Max-Age=0") for name in names[len(chunks):] if name != SESSION_COOKIE]
    return headers

workos = WorkOSClient(api_key=os.environ["WORKOS_API_KEY"], client_id=CLIENT_ID, base_url=BASE_URL)
# The JWKS, cached by PyJWT for 5 minutes; an unknown kid refetches it, at most once a second.
jwks = jwt.PyJWKClient(f"{BASE_URL}sso/jwks/{CLIENT_ID}", lifespan=300, cooldown_duration=1)

accounts = {}  # IdP user ID -> app account
accounts_lock = threading.Lock()


class Refused(Exception):
    """The token cannot be trusted: the user is not signed in."""


class Unavailable(Exception):
    """The IdP cannot be reached to verify: an honest 503, never a 500."""


def verify(token):
    try:
        key = jwks.get_signing_key_from_jwt(token)
    except jwt.PyJWKClientConnectionError as error:
        raise Unavailable(str(error))
    except jwt.PyJWTError as error:
        raise Refused(str(error))
    try:
        claims = jwt.decode(token, key.key, algorithms=["RS256", "ES256"], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub"], "verify_aud": False})
    except jwt.PyJWTError as error:
        raise Refused(str(error))
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Refused("no subject")
    return claims


def provision(claims, user):
    sub = claims["sub"]
    if user.get("id") != sub:
        raise Refused("the user object is not the token's subject")
    with accounts_lock:
        account = accounts.get(sub)
        if account is None:
            account = {"uid": str(uuid.uuid4()), "idp": sub, "mail": user.get("email")}
            accounts[sub] = account
    return account


def memberships(sub):
    listed = workos.user_management.list_organization_memberships(user_id=sub, statuses=["active"])
    result = []
    for membership in listed.data:
        organization = workos.organizations.get_organization(membership.organization_id)
        result.append({"app_id": organization.external_id, "role": (membership.role or {}).get("slug")})
    return result


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def cookies(self):
        jar = SimpleCookie()
        jar.load(self.headers.get("Cookie", ""))
        return {name: morsel.value for name, morsel in jar.items()}

    def answer(self, status, body, content_type="text/html; charset=utf-8", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location, headers=()):
        self.answer(302, "", headers=[("Location", location), *headers])

    def refused(self, why):
        if "application/json" in self.headers.get("Accept", ""):
            self.answer(401, json.dumps({"error": "not_signed_in", "detail": why}), "application/json")
        else:
            self.answer(401, f"<h1>Please sign in</h1><p>{html.escape(why)}</p><a href='/login'>Sign in</a>")

    def do_GET(self):
        url = urlparse(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        try:
            if url.path == "/health":
                self.answer(200, "ok", "text/plain")
            elif url.path == "/login":
                state = secrets.token_urlsafe(24)
                location = workos.user_management.get_authorization_url(provider="authkit", redirect_uri=REDIRECT_URI, state=state)
                self.redirect(location, [("Set-Cookie", f"login_state={state}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600")])
            elif url.path == "/callback":
                self.callback(query)
            elif url.path == "/account":
                self.account()
            else:
                self.answer(404, "not found", "text/plain")
        except Unavailable as error:
            self.answer(503, f"the identity provider is unavailable: {error}", "text/plain", [("Retry-After", "5")])

    def callback(self, query):
        expected = self.cookies().get("login_state")
        if not expected or query.get("state") != expected:
            return self.answer(400, "<h1>Login expired</h1><a href='/login'>Try again</a>")
        if "code" not in query:
            return self.refused(query.get("error_description", "no code"))
        try:
            auth = workos.user_management.authenticate_with_code(
                code=query["code"], session={"seal_session": True, "cookie_password": COOKIE_PASSWORD})
        except Exception as error:  # the SDK raises its own exception per status
            return self.refused(f"the code exchange failed: {error}")
        try:
            claims = verify(auth.access_token)
            provision(claims, auth.user.dict())
        except Refused as error:
            return self.refused(str(error))
        self.redirect("/account", [*session_cookies(auth.sealed_session), ("Set-Cookie", "login_state=; Path=/; Max-Age=0")])

    def account(self):
        jar = self.cookies()
        sealed = "".join(jar.get(name, "") for name in [SESSION_COOKIE] + [f"{SESSION_COOKIE}.{index}" for index in range(1, MAX_CHUNKS)])
        if not sealed:
            return self.refused("no session")
        new_cookies = []
        session = workos.user_management.load_sealed_session(sealed_session=sealed, cookie_password=COOKIE_PASSWORD)
        try:
            data = session.unseal_data(sealed, COOKIE_PASSWORD)
            token = data["access_token"]
            user = data["user"]
        except Exception:
            return self.refused("unreadable session")
        try:
            claims = verify(token)
        except Refused as error:
            if "expired" not in str(error).lower():
                return self.refused(str(error))
            try:
                refreshed = workos.user_management.authenticate_with_refresh_token(
                    refresh_token=data["refresh_token"], session={"seal_session": True, "cookie_password": COOKIE_PASSWORD})
            except Exception as failure:
                return self.refused(f"refresh failed: {failure}")
            try:
                claims = verify(refreshed.access_token)
            except Refused as again:
                return self.refused(str(again))
            user = refreshed.user.dict()
            new_cookies = session_cookies(refreshed.sealed_session)
        with accounts_lock:
            account = accounts.get(claims["sub"])
        if account is None or user.get("id") != claims["sub"]:
            return self.refused("no account")
        page = {"me": account, "orgs": memberships(claims["sub"])}
        headers = new_cookies
        if "application/json" in self.headers.get("Accept", ""):
            self.answer(200, json.dumps(page), "application/json", headers)
        else:
            self.answer(200, f"<h1>Signed in as <span data-idp='{html.escape(account['idp'])}'>{html.escape(account['mail'] or '')}</span></h1>", headers=headers)


if __name__ == "__main__":
    # A production server's listen backlog, not socketserver's 5: the suite's races open 8-32
    # connections at once, and a dropped SYN would stall them for a second under load.
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    print(f"listening on {PORT}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
