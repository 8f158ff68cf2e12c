"""An Authlib Flask client app, written the way Authlib's docs show, signs Alice in against the mock.

Usage: mockidp serve --port 0 --log off -- PYTHON oidc_authlib_app.py
The app registers the mock by discovery (server_metadata_url) with PKCE (S256); /login redirects to
the authorize endpoint (Authlib adds state and nonce), /callback exchanges the code with
authorize_access_token(), which verifies the id_token (signature by the jwks_uri's keys, iss, aud,
exp, nonce), then reads /oauth2/userinfo with the access token. /whoami says who is signed in.
The browser adds nothing: the app passes login_hint and mockidp_auto_approve as authorize
parameters. Prints one JSON object (oidc_harness.run_cases).
"""
import secrets

from authlib.integrations.flask_client import OAuth
from flask import Flask, jsonify, redirect, session, url_for

import oidc_harness as h

h.watchdog()

app = Flask(__name__)
app.secret_key = secrets.token_hex(32)
oauth = OAuth(app)
oauth.register(
    "mock",
    client_id=h.CLIENT_ID,
    client_secret=h.CLIENT_SECRET,
    server_metadata_url=h.BASE + "/.well-known/openid-configuration",
    client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"},
)


@app.route("/login")
def login():
    return oauth.mock.authorize_redirect(url_for("callback", _external=True), login_hint=h.ALICE, mockidp_auto_approve="1")


@app.route("/callback")
def callback():
    try:
        token = oauth.mock.authorize_access_token()
        userinfo = oauth.mock.userinfo(token=token)
    except Exception as error:  # Authlib's OAuthError, or a JOSE error from the id_token checks
        return jsonify({"signed_in": False, "error": type(error).__name__, "detail": str(error)}), 401
    claims = token["userinfo"]  # the verified id_token's claims
    session["user"] = {"sub": claims["sub"], "email": claims.get("email"), "aud": claims.get("aud"),
                       "iss": claims.get("iss"), "userinfo_sub": userinfo.get("sub"), "userinfo_email": userinfo.get("email")}
    return redirect(url_for("whoami"))


@app.route("/whoami")
def whoami():
    user = session.get("user")
    if not user:
        return jsonify({"signed_in": False}), 401
    return jsonify(dict(user, signed_in=True))


def sign_in(browser):
    final = browser.go(app_base + "/login")
    whoami = browser.session.get(app_base + "/whoami", timeout=h.TIMEOUT)
    callback = browser.status_of(app_base + "/callback")
    detail = final.json() if final.headers.get("Content-Type", "").startswith("application/json") else {}
    return {"authorize": h.authorize_request(browser), "callback": h.callback_params(browser, app_base + "/callback"),
            "callback_status": callback, "whoami_status": whoami.status_code, "user": whoami.json(),
            "error": detail.get("error"), "detail": detail.get("detail")}


server, app_base = h.serve_wsgi(app)
try:
    h.run_cases(sign_in, dict(h.FORGERIES, **h.CLAIM_FORGERIES))
finally:
    server.shutdown()
