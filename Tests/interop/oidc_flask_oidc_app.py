"""A tiny Flask app on flask-oidc 2.x signs Alice in against the mock through the mock's login page.

Usage: mockidp serve --port 0 --log off -- PYTHON oidc_flask_oidc_app.py
Its client is registered first through the mock's control API (POST /_mock/clients: confidential,
client_secret_post, redirect URI http://127.0.0.1/authorize, any port per RFC 8252). The app is
configured as flask-oidc's docs show: OIDC_CLIENT_SECRETS with that client's ID, secret and the
issuer (flask-oidc finds the rest by discovery), scopes openid email profile. The browser opens the
extension's own /login route, lands on the mock's login page (no hint, no auto-approve: the app
adds nothing to the authorize URL), posts Alice's form like a person clicking her name, and
follows the redirect to the extension's /authorize callback, which verifies the id_token and
reads userinfo. /whoami says who is signed in. Prints one JSON object (oidc_harness.run_cases).
"""
import secrets

from flask import Flask, jsonify, session
from flask_oidc import OpenIDConnect

import oidc_harness as h

h.watchdog()
client = h.control("POST", "/_mock/clients", {"name": "flask-oidc interop app", "type": "confidential",
                                               "redirect_uris": ["http://127.0.0.1/authorize"], "token_endpoint_auth_method": "client_secret_post"})

app = Flask(__name__)
app.config.update(
    SECRET_KEY=secrets.token_hex(32),
    OIDC_CLIENT_SECRETS={"web": {"client_id": client["client_id"], "client_secret": client["client_secret"], "issuer": h.BASE}},
    OIDC_SCOPES="openid email profile",
)
oidc = OpenIDConnect(app)


@app.route("/whoami")
def whoami():
    if not oidc.user_loggedin:
        return jsonify({"signed_in": False}), 401
    claims = session["oidc_auth_token"]["userinfo"]  # the verified id_token's claims, as Authlib parsed them
    profile = session.get("oidc_auth_profile") or {}  # what /oauth2/userinfo answered
    return jsonify({"signed_in": True, "sub": claims.get("sub"), "email": claims.get("email"), "aud": claims.get("aud"),
                    "iss": claims.get("iss"), "userinfo_sub": profile.get("sub"), "userinfo_email": profile.get("email")})


def sign_in(browser):
    page = browser.go(app_base + "/login?next=/whoami")
    login_page = {"status": page.status_code, "url": browser.hops[-1]["url"].split("?")[0]}
    final = browser.log_in_on_page(page, browser.hops[-1]["url"], alice)
    whoami = browser.session.get(app_base + "/whoami", timeout=h.TIMEOUT)
    return {"authorize": h.authorize_request(browser), "login_page": login_page, "client_id": client["client_id"],
            "callback": h.callback_params(browser, app_base + "/authorize"), "callback_status": browser.status_of(app_base + "/authorize"),
            "final_status": final.status_code, "whoami_status": whoami.status_code, "user": whoami.json()}


alice = h.user_id(h.ALICE)
server, app_base = h.serve_wsgi(app)
try:
    h.run_cases(sign_in, dict(h.FORGERIES, **h.CLAIM_FORGERIES))
finally:
    server.shutdown()
