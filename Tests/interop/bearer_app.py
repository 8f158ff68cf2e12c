"""A correct JSON backend in Python (PyJWT), written by someone who never read MockIdP's code:
its own field names, no reset, seeding or fault hooks, a JWKS cache with a declared TTL. It is
the proof that `mockidp run` passes a correct app it knows nothing about.

POST /api/session with `Authorization: Bearer <access token>`: verifies the token (RS256/ES256
from the JWKS, issuer, exp/iat/sub required), fetches the user from the IdP when the token has
no email (and refuses if the IdP answers for someone else), provisions an account and one team
per organization membership exactly once per user (idempotent under replay and concurrency),
and answers its own JSON. A token it cannot verify gets 401; while the JWKS endpoint is down an
unknown key gets 503. It accepts any validly signed token, however large.

Environment: PORT, IDP (base URL), CLIENT_ID, API_KEY, ISSUER, JWKS_TTL (seconds).
"""

import json
import os
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

PORT = int(os.environ["PORT"])
IDP = os.environ["IDP"].rstrip("/")
CLIENT_ID = os.environ["CLIENT_ID"]
API_KEY = os.environ["API_KEY"]
ISSUER = os.environ["ISSUER"]
JWKS_TTL = float(os.environ.get("JWKS_TTL", "60"))
REFETCH_COOLDOWN = 1.0


class Refused(Exception):
    pass


class Unavailable(Exception):
    pass


class KeyCache:
    """The IdP's keys for JWKS_TTL seconds; an unknown kid refetches at most once a second."""

    def __init__(self):
        self.lock = threading.Lock()
        self.keys = {}
        self.fetched_at = None

    def fetch(self):
        try:
            with urllib.request.urlopen(f"{IDP}/sso/jwks/{CLIENT_ID}", timeout=5) as answer:
                document = json.load(answer)
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise Unavailable(f"JWKS: {error}")
        keys = {}
        for entry in document.get("keys", []):
            try:
                keys[entry.get("kid")] = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key this library cannot read is not a reason to drop the others
        self.keys, self.fetched_at = keys, time.monotonic()

    def key(self, kid):
        with self.lock:
            if self.fetched_at is None or time.monotonic() - self.fetched_at > JWKS_TTL:
                self.fetch()
            if kid not in self.keys and time.monotonic() - self.fetched_at > REFETCH_COOLDOWN:
                self.fetch()
            if kid not in self.keys:
                raise Refused(f"unknown key {kid!r}")
            return self.keys[kid]


cache = KeyCache()


def verify(token):
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise Refused(str(error))
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise Refused("no kid")
    key = cache.key(kid)
    try:
        return jwt.decode(token, key.key, algorithms=["RS256", "ES256"], issuer=ISSUER,
                          options={"require": ["exp", "iat", "sub"], "verify_aud": False})
    except jwt.PyJWTError as error:
        raise Refused(str(error))


def idp_get(path):
    request = urllib.request.Request(f"{IDP}{path}", headers={"Authorization": f"Bearer {API_KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        raise Refused(f"the IdP answered {error.code} for {path}")
    except (urllib.error.URLError, OSError) as error:
        raise Unavailable(str(error))


people = {}  # IdP user ID -> account
teams = {}  # IdP organization ID -> team
answers = {}  # IdP user ID -> the first answer, replayed byte for byte
lock = threading.Lock()


def login(claims):
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.startswith("user_"):
        raise Refused("subject is not a user")
    with lock:
        if sub in answers:
            return answers[sub]
    user = idp_get(f"/user_management/users/{sub}")
    if user.get("id") != sub:
        raise Refused("the IdP answered for another user")
    memberships = idp_get(f"/user_management/organization_memberships?user_id={sub}&statuses=active").get("data", [])
    organizations = {m["organization_id"]: idp_get(f"/organizations/{m['organization_id']}") for m in memberships}
    with lock:
        if sub in answers:
            return answers[sub]
        person = people.setdefault(sub, {"uid": str(uuid.uuid4()), "idp": sub, "mail": user.get("email")})
        groups = []
        for membership in memberships:
            organization = organizations[membership["organization_id"]]
            team = teams.setdefault(organization["id"], {"ref": organization.get("external_id") or str(uuid.uuid4())})
            groups.append({"team": team["ref"], "as": (membership.get("role") or {}).get("slug")})
        body = json.dumps({"person": person, "groups": groups}).encode()
        answers[sub] = body
        return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/healthz":
            self.answer(200, b"ok", "text/plain")
        else:
            self.answer(404, b'{"problem": "not found"}')

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path != "/api/session":
            return self.answer(404, b'{"problem": "not found"}')
        authorization = self.headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            return self.answer(401, b'{"problem": "sign in"}')
        try:
            self.answer(200, login(verify(authorization[len("Bearer "):])))
        except Refused as error:
            self.answer(401, json.dumps({"problem": str(error)}).encode())
        except Unavailable as error:
            self.answer(503, json.dumps({"problem": f"identity provider unavailable: {error}"}).encode())


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
