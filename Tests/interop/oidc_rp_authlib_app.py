"""An OpenID Connect relying party on Authlib's Flask client, for `mockidp run` (profile oidc-rp-authlib.json).

Correct unless OIDC_RP_BUG names a seeded bug:
  nonce-not-checked          the id_token's nonce is never compared with the login's
  aud-not-checked            the id_token's aud (and azp) are never checked
  userinfo-sub-not-compared  userinfo's sub is not compared with the id_token's
  refresh-switches-user      a refreshed id_token's sub becomes the signed-in user
  refresh-issuer-not-checked a refreshed id_token is parsed without the issuer check and its iss
                             adopted (the sub is still compared)
  refresh-failure-ignored    a refused refresh is taken for a blip: the old session keeps serving

OIDC_RP_TRUST_TLS=1 skips the id_token's signature (every other check stays), which OIDC Core
§3.1.3.7 rule 6 allows for an id_token received directly from the token endpoint: not a bug.

Environment: PORT, OIDC_ISSUER_URL (the mock's base URL), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET.
Routes: /health; /login (authorize redirect with state, nonce and PKCE S256); /callback (code
exchange, id_token checks of OIDC Core §3.1.3.7, userinfo with the §5.3.4 sub check); /whoami (the
probe: who is signed in, refreshing an expired access token with the §12.2 checks); /logout
(RP-initiated logout: end_session_endpoint with id_token_hint, post_logout_redirect_uri and state);
/logged-out (the post-logout landing page, which checks that state).
Sessions live in the process (a random cookie names one), so cookies stay small.
"""
import base64
import json
import os
import secrets
import threading
import time
import urllib.parse

from authlib.integrations.flask_client import OAuth
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from flask import Flask, jsonify, redirect, request, session
from werkzeug.serving import make_server

BUG = os.environ.get("OIDC_RP_BUG", "")
BUGS = {"", "nonce-not-checked", "aud-not-checked", "userinfo-sub-not-compared", "refresh-switches-user", "refresh-issuer-not-checked",
        "refresh-failure-ignored"}
if BUG not in BUGS:
    raise SystemExit("OIDC_RP_BUG=%r is not one of %s" % (BUG, sorted(BUGS)))
ISSUER_URL = os.environ["OIDC_ISSUER_URL"].rstrip("/")
CLIENT_ID = os.environ["OIDC_CLIENT_ID"]
CLIENT_SECRET = os.environ["OIDC_CLIENT_SECRET"]
PORT = int(os.environ["PORT"])
BASE = "http://127.0.0.1:%d" % PORT
LEEWAY = 5  # seconds, for exp/iat
TRUST_TLS = os.environ.get("OIDC_RP_TRUST_TLS") == "1"

app = Flask(__name__)
app.secret_key = secrets.token_hex(32)
oauth = OAuth(app)
oauth.register(
    "mock",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    server_metadata_url=ISSUER_URL + "/.well-known/openid-configuration",
    client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256", "timeout": 10},
)

SESSIONS = {}
SESSIONS_LOCK = threading.Lock()
COOKIE = "rp_session"


class Refused(Exception):
    pass


class UncheckedAudience(CodeIDToken):
    """The aud-not-checked bug: no audience or authorized-party check at all."""

    def validate_aud(self):
        pass

    def validate_azp(self):
        pass


def claims_options(check_issuer=True):
    issuer = oauth.mock.load_server_metadata()["issuer"]
    options = {"iss": {"essential": True, "values": [issuer]}} if check_issuer else {}
    if BUG != "aud-not-checked":
        options["aud"] = {"essential": True, "values": [CLIENT_ID]}
    return options


def check_audience(claims):
    """OIDC Core §3.1.3.7 rule 3: this client is an audience and no untrusted one is."""
    if BUG == "aud-not-checked":
        return
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if CLIENT_ID not in audiences or any(audience != CLIENT_ID for audience in audiences):
        raise Refused("aud %r is not this client alone" % (claims["aud"],))


def parse(token, nonce, check_issuer=True):
    claims_cls = UncheckedAudience if BUG == "aud-not-checked" else None
    if TRUST_TLS:
        # The claims checks of parse_id_token, on the payload as received (no signature check).
        header, payload = (json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in token["id_token"].split(".")[:2])
        claims = (claims_cls or CodeIDToken)(payload, header, claims_options(check_issuer),
                                             {"nonce": nonce, "client_id": CLIENT_ID, "access_token": token["access_token"]})
        claims.validate(leeway=LEEWAY)
    else:
        claims = oauth.mock.parse_id_token(token, nonce=nonce, claims_options=claims_options(check_issuer), claims_cls=claims_cls,
                                           leeway=LEEWAY)
    if claims is None:
        raise Refused("the token answer carries no id_token")
    check_audience(claims)
    return claims


def current():
    sid = request.cookies.get(COOKIE)
    with SESSIONS_LOCK:
        return sid, SESSIONS.get(sid)


@app.route("/health")
def health():
    return "ok"


@app.route("/login")
def login():
    return oauth.mock.authorize_redirect(BASE + "/callback")


@app.route("/callback")
def callback():
    try:
        state = request.args.get("state")
        state_data = oauth.mock.framework.get_state_data(session, state)
        if not state_data or "nonce" not in state_data:
            raise Refused("no login in progress for this state")
        # The id_token is checked here, not by authorize_access_token, so every check is visible.
        nonce = None if BUG == "nonce-not-checked" else state_data["nonce"]
        oauth.mock.framework.clear_state_data(session, state)
        params = {"code": request.args.get("code"), "redirect_uri": state_data["redirect_uri"],
                  "code_verifier": state_data["code_verifier"]}
        token = oauth.mock.fetch_access_token(**params)
        claims = parse(token, nonce)
        # Only the access token: with its expiry Authlib would refresh it early (60 s leeway) and drop the rotated refresh token.
        userinfo = oauth.mock.userinfo(token={"access_token": token["access_token"], "token_type": "Bearer"})
        if BUG != "userinfo-sub-not-compared" and userinfo.get("sub") != claims["sub"]:
            raise Refused("userinfo names sub %r, the id_token %r (OIDC Core §5.3.4)" % (userinfo.get("sub"), claims["sub"]))
    except Exception as error:  # Authlib's OAuthError, joserfc's errors, Refused: all a refused login
        return jsonify({"signed_in": False, "error": type(error).__name__, "detail": str(error)}), 401
    sid = secrets.token_urlsafe(24)
    with SESSIONS_LOCK:
        SESSIONS[sid] = {
            "sub": userinfo.get("sub") if BUG == "userinfo-sub-not-compared" else claims["sub"],
            "email": userinfo.get("email"), "iss": claims["iss"], "id_token": token["id_token"],
            "access_token": token["access_token"], "refresh_token": token.get("refresh_token"),
            "expires_at": time.time() + float(token.get("expires_in") or 300)}
    response = redirect("/whoami")
    response.set_cookie(COOKIE, sid, httponly=True, samesite="Lax")
    return response


def refresh(sid, state):
    """The token endpoint's refresh answer; its id_token must keep iss and sub (OIDC Core §12.2)."""
    metadata = oauth.mock.load_server_metadata()
    client = OAuth2Session(CLIENT_ID, CLIENT_SECRET, timeout=10)
    token = client.refresh_token(metadata["token_endpoint"], refresh_token=state["refresh_token"])
    updated = dict(state, access_token=token["access_token"], refresh_token=token.get("refresh_token") or state["refresh_token"],
                   expires_at=time.time() + float(token.get("expires_in") or 300))
    if "id_token" in token:
        issuer_bug = BUG == "refresh-issuer-not-checked"
        claims = parse(token, None, check_issuer=not issuer_bug)
        if BUG == "refresh-switches-user":
            updated["sub"] = claims["sub"]
        elif claims["sub"] != state["sub"] or (claims["iss"] != state["iss"] and not issuer_bug):
            raise Refused("the refreshed id_token names iss %r sub %r, the session %r %r" % (claims["iss"], claims["sub"], state["iss"], state["sub"]))
        updated["id_token"] = token["id_token"]
        updated["iss"] = claims["iss"]
    with SESSIONS_LOCK:
        SESSIONS[sid] = updated
    return updated


@app.route("/whoami")
def whoami():
    sid, state = current()
    if not state:
        return jsonify({"signed_in": False}), 401
    if time.time() >= state["expires_at"]:
        try:
            state = refresh(sid, state)
        except Exception as error:  # a refused refresh ends the session
            if BUG == "refresh-failure-ignored":
                return jsonify({"signed_in": True, "sub": state["sub"], "email": state["email"], "iss": state["iss"]})
            with SESSIONS_LOCK:
                SESSIONS.pop(sid, None)
            return jsonify({"signed_in": False, "error": type(error).__name__, "detail": str(error)}), 401
    return jsonify({"signed_in": True, "sub": state["sub"], "email": state["email"], "iss": state["iss"]})


@app.route("/logout")
def logout():
    sid, state = current()
    with SESSIONS_LOCK:
        SESSIONS.pop(sid, None)
    logout_state = secrets.token_urlsafe(16)
    session["logout_state"] = logout_state
    metadata = oauth.mock.load_server_metadata()
    target = metadata["end_session_endpoint"] + "?" + urllib.parse.urlencode(
        {"id_token_hint": state["id_token"] if state else "", "post_logout_redirect_uri": BASE + "/logged-out", "state": logout_state,
         "client_id": CLIENT_ID})
    response = redirect(target)
    response.delete_cookie(COOKIE)
    return response


@app.route("/logged-out")
def logged_out():
    expected = session.pop("logout_state", None)
    if not expected or request.args.get("state") != expected:
        return jsonify({"signed_out": False, "error": "state does not match the logout this browser started"}), 400
    return jsonify({"signed_out": True})


server = make_server("127.0.0.1", PORT, app, threaded=True)
server.serve_forever()
