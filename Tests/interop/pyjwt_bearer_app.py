"""A small, correct bearer-token backend written the way a Python team would (PyJWT, http.server),
different from the reference app in every way a verdict may not depend on:

- its own JSON field names (`account.ws`, `account.member`, `account.uid`, `sub`, `key`);
- it accepts any validly signed token, however large;
- it refuses a replayed `jti` (RFC 7519 §4.1.7) instead of answering from a record;
- during a JWKS outage it answers 503 for a token it cannot verify;
- it binds a duplicate `sub` to the last one (Python's json keeps the last member);
- no test hooks at all (no reset, introspection, seeding, faults).

Usage: pyjwt_bearer_app.py PORT ISSUER JWKS_URL TTL_SECONDS COOLDOWN_SECONDS
"""
import json
import sys
import threading
import time
import urllib.request
import uuid
import http.server

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
        for entry in document.get("keys", []):
            try:
                keys[entry.get("kid")] = jwt.PyJWK(entry)
            except Exception:
                continue  # RFC 7517 §5: ignore keys we cannot use
        self.keys, self.fetched_at = keys, time.monotonic()

    def key(self, kid):
        with self.lock:
            expired = self.fetched_at is None or time.monotonic() - self.fetched_at > TTL
            if expired:
                try:
                    self._fetch()
                except JWKSUnavailable:
                    if self.fetched_at is None:
                        raise
                    # Keep serving the keys we have while the IdP is down.
            if kid in self.keys:
                return self.keys[kid]
            if time.monotonic() - self.last_attempt >= COOLDOWN:
                self._fetch()  # raises JWKSUnavailable during an outage
                return self.keys.get(kid)
            return None


KEYS = Keys()
STATE_LOCK = threading.Lock()
ACCOUNTS = {}  # sub -> {"ws", "member", "uid", "secret_given"}
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
            key = None
            if account is None:
                account = {"ws": str(uuid.uuid4()), "member": str(uuid.uuid4()), "uid": str(uuid.uuid4())}
                ACCOUNTS[sub] = account
                key = "k_" + uuid.uuid4().hex
        self.answer(200, {"account": account, "sub": sub, "key": key})

    def log_message(self, *args):
        pass


# A production server's listen backlog, not socketserver's 5: the suite's races open 8-32
# connections at once, and a dropped SYN would stall them for a second under load.
http.server.ThreadingHTTPServer.request_queue_size = 128
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
