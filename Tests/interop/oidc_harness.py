"""What the OIDC relying-party drivers share: the mock from `mockidp serve -- …`'s environment,
its control API, a loopback WSGI server on port 0, and a headless browser that follows redirects.

The drivers (oidc_authlib_app.py, oidc_django_app.py, oidc_flask_oidc_app.py) run as
`mockidp serve --port 0 -- PYTHON DRIVER`: serve sets WORKOS_BASE_URL, WORKOS_CLIENT_ID and
WORKOS_API_KEY and stops when the driver exits. Each driver serves its app on 127.0.0.1:0, signs
Alice in through the app's own login route, then makes the next token answer carry a forged
id_token (bad signature, wrong nonce; wrong issuer or audience for apps that check those) and
shows the app refuses it. Every wait is bounded.
"""
import faulthandler
import html.parser
import json
import logging
import os
import sys
import threading
import urllib.parse

import requests

BASE = os.environ["WORKOS_BASE_URL"].rstrip("/")
CLIENT_ID = os.environ["WORKOS_CLIENT_ID"]
CLIENT_SECRET = os.environ["WORKOS_API_KEY"]  # the environment client's secret is the API key
ALICE = "alice@acme.test"
TIMEOUT = 10  # seconds, for every HTTP request


def watchdog(seconds=90):
    """A hung step ends the driver with a traceback instead of hanging the test."""
    faulthandler.dump_traceback_later(seconds, exit=True)


def control(method, path, body=None):
    response = requests.request(method, BASE + path, json=body, timeout=TIMEOUT)
    if response.status_code >= 400:
        raise AssertionError("%s %s: %s %s" % (method, path, response.status_code, response.text))
    return response.json() if response.content else None


def forge_next_token(id_token):
    """The next /oauth2/token answer carries an id_token minted with these changes."""
    control("POST", "/_mock/oauth2/token_overrides", {"times": 1, "id_token": id_token})


def clear_forgeries():
    control("DELETE", "/_mock/oauth2/token_overrides")


def journal_mark():
    """Clears the mock's journal, so journal() sees only what follows."""
    control("DELETE", "/_mock/journal")


def journal(method=None, path_prefix=None, flag=None):
    query = {name: value for name, value in (("method", method), ("path_prefix", path_prefix), ("flag", flag)) if value}
    return control("GET", "/_mock/journal?" + urllib.parse.urlencode(query))["data"]


def user_id(email):
    """The user's ID, from the management API (not from the flow under test)."""
    response = requests.get(BASE + "/user_management/users", params={"email": email},
                            headers={"Authorization": "Bearer " + CLIENT_SECRET}, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()["data"][0]["id"]


class LoginForms(html.parser.HTMLParser):
    """The mock's login page: each form's action and hidden fields."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "method": (attrs.get("method") or "get").lower(), "fields": {}})
        elif tag == "input" and self.forms and attrs.get("type") == "hidden":
            self.forms[-1]["fields"][attrs.get("name")] = attrs.get("value", "")


def serve_wsgi(app):
    """Serve a WSGI app on 127.0.0.1 and a free port, in a daemon thread; returns (server, base URL)."""
    from werkzeug.serving import make_server
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_port


class Browser:
    """A cookie jar that follows redirects one hop at a time and keeps the hops for inspection."""

    def __init__(self):
        self.session = requests.Session()
        self.hops = []

    def go(self, url, max_hops=12):
        response = self.session.get(url, allow_redirects=False, timeout=TIMEOUT)
        for _ in range(max_hops):
            self.hops.append({"url": url, "status": response.status_code})
            location = response.headers.get("Location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                return response
            url = urllib.parse.urljoin(url, location)
            response = self.session.get(url, allow_redirects=False, timeout=TIMEOUT)
        raise AssertionError("more than %d redirects from %s" % (max_hops, self.hops[0]["url"]))

    def log_in_on_page(self, page, page_url, user):
        """Post the login page's form for this user ID, as a person clicking their name would, and follow on."""
        forms = LoginForms()
        forms.feed(page.text)
        form = next((f for f in forms.forms if f["fields"].get("user_id") == user), None)
        if form is None:
            raise AssertionError("no login form for %s on %s (status %s): %s" % (user, page_url, page.status_code, page.text[:500]))
        url = urllib.parse.urljoin(page_url, form["action"])
        self.hops.append({"url": url, "status": "POST"})
        response = self.session.post(url, data=form["fields"], allow_redirects=False, timeout=TIMEOUT)
        location = response.headers.get("Location")
        if response.status_code not in (302, 303) or not location:
            raise AssertionError("the login form answered %s: %s" % (response.status_code, response.text[:500]))
        return self.go(urllib.parse.urljoin(url, location))

    def hop(self, prefix):
        """The first URL the browser visited that starts with prefix, parsed: (path, {param: value})."""
        for hop in self.hops:
            if hop["url"].startswith(prefix):
                parts = urllib.parse.urlsplit(hop["url"])
                return parts.path, {k: v[0] for k, v in urllib.parse.parse_qs(parts.query).items()}
        return None, {}

    def status_of(self, prefix):
        return next((hop["status"] for hop in self.hops if hop["url"].startswith(prefix)), None)


def authorize_request(browser):
    """What the app's authorize redirect asked for (values of state and nonce are not kept)."""
    path, params = browser.hop(BASE + "/oauth2/authorize")
    return {"path": path, "params": sorted(params), "scope": params.get("scope"),
            "code_challenge_method": params.get("code_challenge_method"), "response_type": params.get("response_type"),
            "client_id": params.get("client_id"), "has_nonce": bool(params.get("nonce")), "has_state": bool(params.get("state"))}


def callback_params(browser, callback_prefix):
    _, params = browser.hop(callback_prefix)
    return {"has_code": "code" in params, "iss": params.get("iss"), "error": params.get("error")}


FORGERIES = {"bad_signature": {"sign": "bad-signature"}, "wrong_nonce": {"claims": {"nonce": "wrong"}}}
# Checked by apps that verify iss and aud (Authlib and what builds on it); mozilla-django-oidc does
# not check either by design, so its driver does not ask for these. The wrong audience is an
# id_token issued to another client (its aud, no azp): Authlib's client checks the audience only
# through azp (OIDC Core 3.1.3.7 step 3 says to check aud itself), so it would take a token whose
# aud is another client but whose azp is this one.
CLAIM_FORGERIES = {"wrong_issuer": {"claims": {"iss": "https://issuer.invalid"}},
                   "wrong_audience": {"claims": {"aud": "client_01KDY0AQ3N0TTH1SC11ENT0000"}, "omit": ["azp"]}}


def run_cases(sign_in, forgeries=FORGERIES):
    """sign_in(browser) -> the app's view of who is signed in ({"signed_in": bool, ...}), after a full login.

    Runs the good login, then each forgery, each in a fresh browser, and prints the JSON result.
    """
    out = {"issuer": BASE}
    clear_forgeries()
    journal_mark()
    browser = Browser()
    out["login"] = sign_in(browser)
    out["token_requests"] = [e.get("status") for e in journal("POST", "/oauth2/token")]
    out["id_space_violations"] = journal(flag="id_space_violation")
    out["jwks_requests"] = len(journal("GET", "/oauth2/jwks"))  # the app found the keys where discovery points
    for name, forgery in forgeries.items():
        journal_mark()
        forge_next_token(forgery)
        try:
            result = sign_in(Browser())
        finally:
            clear_forgeries()
        # The forgery is only meaningful if the app did exchange the code and got the forged token.
        result["token_requests"] = [e.get("status") for e in journal("POST", "/oauth2/token")]
        out[name] = result
    print(json.dumps(out))
    sys.stdout.flush()
