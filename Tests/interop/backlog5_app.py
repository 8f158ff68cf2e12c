"""A correct bearer-token backend on Python's http.server left at socketserver's listen backlog of 5
(request_queue_size = 5), as most small Python services ship: the suite's races open 8 to 32
connections at once, so some wait in the kernel's accept queue (or in SYN retransmits when it is
full) before the app sees them. That wait is the machine's, not the app's answer: the app must pass
the concurrency family with no failure and no error (issue #23).

The app itself: PyJWT verification with a JWKS cache (TTL, unknown-kid refetch at most once per
cooldown, the cached keys kept while the IdP is down, 503 for a token it cannot verify then), a
personal workspace, member and default API key per user made once under a lock, replayed `jti`s
refused (RFC 7519 §4.1.7), and an introspection hook counting what each user owns.

Usage: backlog5_app.py PORT ISSUER JWKS_URL TTL_SECONDS COOLDOWN_SECONDS
"""
import http.server
import json
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid

import jwt

PORT, ISSUER, JWKS_URL = int(sys.argv[1]), sys.argv[2], sys.argv[3]
TTL, COOLDOWN = float(sys.argv[4]), float(sys.argv[5])


class JWKSUnavailable(Exception):
    pass


class Keys:
    """JWKS cache: refetched after TTL, and on an unknown kid at most once per cooldown."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys = {}
        self.fetched_at = None
        self.last_attempt = 0.0

    def _fetch(self):
        self.last_attempt = time.monotonic()
        try:
            with urllib.request.urlopen(JWKS_URL, timeout=5) as answer:
                document = json.load(answer)
        except Exception as error:  # the IdP is down or answers garbage
            raise JWKSUnavailable(str(error))
        keys = {}
        for entry in document.get("keys", []) if isinstance(document, dict) else []:
            try:
                keys[entry.get("kid")] = jwt.PyJWK(entry)
            except Exception:
                continue  # RFC 7517 §5: ignore keys we cannot use
        self.keys, self.fetched_at = keys, time.monotonic()

    def key(self, kid):
        with self.lock:
            if self.fetched_at is None or time.monotonic() - self.fetched_at > TTL:
                try:
                    self._fetch()
                except JWKSUnavailable:
                    if self.fetched_at is None:
                        raise
            if kid in self.keys:
                return self.keys[kid]
            if time.monotonic() - self.last_attempt >= COOLDOWN:
                self._fetch()  # raises JWKSUnavailable during an outage
                return self.keys.get(kid)
            return None


KEYS = Keys()
STATE_LOCK = threading.Lock()
ACCOUNTS = {}  # sub -> {"uid", "workspace", "member"}
API_KEYS = {}  # sub -> number of keys made
SEEN_JTI = set()


def verify(token):
    header = jwt.get_unverified_header(token)
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise jwt.InvalidTokenError("kid must be a string")
    key = KEYS.key(kid)
    if key is None:
        raise jwt.InvalidTokenError("no key for kid %r" % (kid,))
    return jwt.decode(token, key=key, algorithms=["RS256", "ES256"], issuer=ISSUER,
                      options={"require": ["exp", "iss", "sub"], "verify_aud": False}, leeway=30)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        if url.path == "/_test/introspect":
            sub = urllib.parse.parse_qs(url.query).get("idp_user_id", [""])[0]
            with STATE_LOCK:
                owned = 1 if sub in ACCOUNTS else 0
                keys = API_KEYS.get(sub, 0)
            return self.answer(200, {"workspaces": owned, "members": owned, "api_keys": keys})
        self.answer(200, {"ok": True})

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/login":
            return self.answer(404, {"error": "not_found"})
        authorization = self.headers.get("Authorization") or ""
        if not authorization.startswith("Bearer "):
            return self.answer(401, {"error": "no token"})
        try:
            claims = verify(authorization[len("Bearer "):])
        except JWKSUnavailable as error:
            return self.answer(503, {"error": "cannot verify now", "detail": str(error)})
        except jwt.PyJWTError as error:
            return self.answer(401, {"error": "invalid token", "detail": str(error)})
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub.strip():
            return self.answer(401, {"error": "invalid sub"})
        jti = claims.get("jti")
        with STATE_LOCK:
            if isinstance(jti, str) and jti.strip():
                if (sub, jti) in SEEN_JTI:
                    return self.answer(401, {"error": "token replayed"})
                SEEN_JTI.add((sub, jti))
            account = ACCOUNTS.get(sub)
            secret = None
            if account is None:
                account = {"uid": str(uuid.uuid4()), "workspace": str(uuid.uuid4()), "member": str(uuid.uuid4())}
                ACCOUNTS[sub] = account
                API_KEYS[sub] = 1
                secret = "sk_" + uuid.uuid4().hex
        self.answer(200, {"account": account, "sub": sub, "secret": secret})

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    # Deliberately socketserver's default: the point of this app.
    http.server.ThreadingHTTPServer.request_queue_size = 5
    server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    server.serve_forever()
