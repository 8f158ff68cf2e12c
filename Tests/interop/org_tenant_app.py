"""A correct server-rendered app whose tenant is the session's organization, not a personal
workspace: the AuthKit code flow (state and PKCE S256), the code exchanged at
/user_management/authenticate, the access token verified with PyJWT against the JWKS (issuer,
exp, iat, sub required), and the tenant taken from the token's `org_id` (WorkOS sets it when the
session is organization-scoped: a user with exactly one active membership gets it). The app's ID
for that organization is the organization's `external_id`. A user without an organization has no
tenant: `tenant.id` is null, which is not a failure (issue #23).

Sessions live on the server, behind an HttpOnly SameSite=Lax cookie; an expired access token is
refreshed with the refresh token (one refresh at a time per session); /logout drops the session
and sends the browser to the IdP's logout so the IdP session ends too. A JWKS outage is a 503,
never a 500. Standard library and PyJWT only (the .venv).

Environment: PORT, WORKOS_BASE_URL, WORKOS_API_KEY, WORKOS_CLIENT_ID, ISSUER.
"""

import base64
import hashlib
import html
import json
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

PORT = int(os.environ["PORT"])
BASE_URL = os.environ["WORKOS_BASE_URL"].rstrip("/")
API_KEY = os.environ["WORKOS_API_KEY"]
CLIENT_ID = os.environ["WORKOS_CLIENT_ID"]
ISSUER = os.environ["ISSUER"]
ORIGIN = f"http://127.0.0.1:{PORT}"
REDIRECT_URI = f"{ORIGIN}/callback"
SESSION_COOKIE = "tenant_session"
JWKS_TTL, JWKS_COOLDOWN = 1.0, 0.5


class Refused(Exception):
    """The user is not signed in."""


class Unavailable(Exception):
    """The IdP cannot be reached: an honest 503."""


def idp(method, path, form=None, bearer=True):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(BASE_URL + path, data=data, method=method)
    if bearer:
        request.add_header("Authorization", f"Bearer {API_KEY}")
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise Unavailable(f"{path} answered {error.code}")
        raise Refused(f"{path} answered {error.code}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise Unavailable(f"{path}: {error}")


class Keys:
    """The JWKS, refetched after its TTL and on an unknown kid at most once per cooldown; the
    keys it has are kept while the IdP is down."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys, self.fetched_at, self.last_attempt = {}, None, 0.0

    def _fetch(self):
        self.last_attempt = time.monotonic()
        document = idp("GET", f"/sso/jwks/{CLIENT_ID}", bearer=False)
        keys = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            try:
                keys[entry.get("kid")] = jwt.PyJWK(entry)
            except Exception:
                continue  # RFC 7517 §5: a key it cannot use is ignored
        self.keys, self.fetched_at = keys, time.monotonic()

    def key(self, kid):
        with self.lock:
            if self.fetched_at is None or time.monotonic() - self.fetched_at > JWKS_TTL:
                try:
                    self._fetch()
                except (Unavailable, Refused):
                    if self.fetched_at is None:
                        raise Unavailable("the JWKS cannot be fetched")
            if kid in self.keys:
                return self.keys[kid]
            if time.monotonic() - self.last_attempt >= JWKS_COOLDOWN:
                try:
                    self._fetch()
                except Refused:
                    raise Unavailable("the JWKS cannot be fetched")
                return self.keys.get(kid)
            return None


KEYS = Keys()


def verify(token):
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise Refused(str(error))
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise Refused("no kid")
    key = KEYS.key(kid)
    if key is None:
        raise Refused(f"no key for kid {kid!r}")
    try:
        claims = jwt.decode(token, key=key, algorithms=["RS256", "ES256"], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub"], "verify_aud": False})
    except jwt.ExpiredSignatureError:
        raise
    except jwt.PyJWTError as error:
        raise Refused(str(error))
    if not isinstance(claims.get("sub"), str) or not claims["sub"].strip():
        raise Refused("no subject")
    return claims


LOCK = threading.Lock()
ACCOUNTS = {}  # IdP user ID -> {"id", "idp_user_id", "email"}
ORG_IDS = {}  # IdP organization ID -> the app's own ID, for one without an external_id
SESSIONS = {}  # cookie value -> {"access", "refresh", "lock"}
PENDING = {}  # state -> PKCE verifier


def app_org_id(idp_org_id):
    """The app's ID of an IdP organization: its external_id (read each time: the directory may
    relink it), else one the app makes once."""
    if not isinstance(idp_org_id, str) or not idp_org_id:
        return None
    organization = idp("GET", f"/organizations/{urllib.parse.quote(idp_org_id)}")
    if organization.get("external_id"):
        return organization["external_id"]
    with LOCK:
        return ORG_IDS.setdefault(idp_org_id, str(uuid.uuid4()))


def memberships(sub):
    listed = idp("GET", "/user_management/organization_memberships?" + urllib.parse.urlencode({"user_id": sub, "statuses": "active"}))
    return [{"id": app_org_id(item.get("organization_id")), "role": (item.get("role") or {}).get("slug")} for item in listed.get("data", [])]


def account_for(sub, email):
    with LOCK:
        account = ACCOUNTS.get(sub)
        if account is None:
            account = {"id": str(uuid.uuid4()), "idp_user_id": sub, "email": email}
            ACCOUNTS[sub] = account
        return account


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def cookie(self, name):
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except Exception:
            return None
        return jar[name].value if name in jar else None

    def answer(self, status, body, content_type="text/html; charset=utf-8", headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
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
        url = urllib.parse.urlparse(self.path)
        query = {name: values[0] for name, values in urllib.parse.parse_qs(url.query).items()}
        try:
            if url.path == "/health":
                self.answer(200, "ok", "text/plain")
            elif url.path == "/login":
                self.login()
            elif url.path == "/callback":
                self.callback(query)
            elif url.path == "/account":
                self.account()
            elif url.path == "/logout":
                self.logout()
            else:
                self.answer(404, "not found", "text/plain")
        except Unavailable as error:
            self.answer(503, f"the identity provider is unavailable: {error}", "text/plain", [("Retry-After", "5")])
        except Refused as error:
            self.refused(str(error))

    def login(self):
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        with LOCK:
            PENDING[state] = verifier
        location = BASE_URL + "/user_management/authorize?" + urllib.parse.urlencode({
            "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code", "provider": "authkit",
            "state": state, "code_challenge": challenge, "code_challenge_method": "S256"})
        self.redirect(location, [("Set-Cookie", f"login_state={state}; Path=/callback; HttpOnly; SameSite=Lax; Max-Age=600")])

    def callback(self, query):
        state = query.get("state")
        if not state or self.cookie("login_state") != state:
            return self.answer(400, "<h1>Login expired</h1><a href='/login'>Try again</a>")
        with LOCK:
            verifier = PENDING.pop(state, None)
        if verifier is None or "code" not in query:
            return self.refused(query.get("error_description", "no code"))
        auth = idp("POST", "/user_management/authenticate", {
            "grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": API_KEY,
            "code": query["code"], "code_verifier": verifier})
        token = auth.get("access_token")
        user = auth.get("user") if isinstance(auth.get("user"), dict) else None
        if not isinstance(token, str) or user is None:
            raise Refused("the code exchange answered no token or user")
        try:
            claims = verify(token)
        except jwt.ExpiredSignatureError:
            raise Refused("the new access token is expired")
        if user.get("id") != claims["sub"]:
            raise Refused("the user object is not the token's subject")
        account_for(claims["sub"], user.get("email"))
        session_id = secrets.token_urlsafe(32)
        with LOCK:
            SESSIONS[session_id] = {"access": token, "refresh": auth.get("refresh_token"), "lock": threading.Lock()}
        self.redirect("/account", [
            ("Set-Cookie", f"{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax"),
            ("Set-Cookie", "login_state=; Path=/callback; Max-Age=0"),
        ])

    def current(self):
        """The session's verified claims, refreshing an expired access token once."""
        session_id = self.cookie(SESSION_COOKIE)
        with LOCK:
            session = SESSIONS.get(session_id) if session_id else None
        if session is None:
            raise Refused("no session")
        with session["lock"]:
            try:
                return verify(session["access"])
            except jwt.ExpiredSignatureError:
                pass
            if not isinstance(session.get("refresh"), str):
                raise Refused("the session expired")
            refreshed = idp("POST", "/user_management/authenticate", {
                "grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": API_KEY,
                "refresh_token": session["refresh"]})
            try:
                claims = verify(refreshed.get("access_token") or "")
            except jwt.ExpiredSignatureError:
                raise Refused("the refreshed token is expired")
            session["access"], session["refresh"] = refreshed["access_token"], refreshed.get("refresh_token")
            return claims

    def account(self):
        claims = self.current()
        with LOCK:
            account = ACCOUNTS.get(claims["sub"])
        if account is None:
            raise Refused("no account")
        tenant = app_org_id(claims.get("org_id"))
        page = {"user": account, "tenant": {"id": tenant}, "organizations": memberships(claims["sub"])}
        if "application/json" in self.headers.get("Accept", ""):
            self.answer(200, json.dumps(page), "application/json")
        else:
            self.answer(200, f"<h1>Signed in as {html.escape(account['email'] or '')}</h1>")

    def logout(self):
        session_id = self.cookie(SESSION_COOKIE)
        with LOCK:
            session = SESSIONS.pop(session_id, None) if session_id else None
        clear = ("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
        sid = None
        if session is not None:
            try:
                sid = jwt.decode(session["access"], options={"verify_signature": False}).get("sid")
            except jwt.PyJWTError:
                sid = None
        if isinstance(sid, str) and sid:
            location = BASE_URL + "/user_management/sessions/logout?" + urllib.parse.urlencode({"session_id": sid, "return_to": ORIGIN + "/"})
            return self.redirect(location, [clear])
        self.redirect("/", [clear])


if __name__ == "__main__":
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    print(f"listening on {PORT}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
