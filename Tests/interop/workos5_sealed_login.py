"""A 5.x sealed-session login end to end, the way an app written for workos 5.x does it.

Usage: mockidp serve --redirect-uri CALLBACK -- python workos5_sealed_login.py CALLBACK
Run by `mockidp serve -- …`: the SDK is configured from the environment serve sets
(WORKOS_BASE_URL, WORKOS_API_KEY, WORKOS_CLIENT_ID) with nothing in between. Signs Alice in on the
mock's login page (the HTML form, as a browser would post it), seals the session through
authenticate_with_code(session=...), finds the cookie expired an hour later, refreshes it, and
logs out. Prints one JSON line of what the app saw; exits non-zero when a step breaks.
"""
import html.parser
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

from cryptography.fernet import Fernet
from workos import WorkOSClient


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def fetch(url, data=None):
    """(status, Location, body) without following redirects."""
    try:
        response = _opener.open(urllib.request.Request(url, data=data), timeout=10)
        return response.status, response.headers.get("Location"), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location"), error.read().decode()


class LoginForms(html.parser.HTMLParser):
    """The login page's forms: their action and hidden fields."""

    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": {}})
        elif tag == "input" and self.forms and attrs.get("type") == "hidden":
            self.forms[-1]["fields"][attrs.get("name")] = attrs.get("value", "")


def set_clock(base, offset):
    request = urllib.request.Request(base + "_mock/clock", data=json.dumps({"offset": offset}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


def main():
    callback = sys.argv[1]
    base = os.environ["WORKOS_BASE_URL"]
    client = WorkOSClient()  # api key, client id and base URL from the environment
    um = client.user_management
    cookie_password = Fernet.generate_key().decode()
    out = {}

    # An hour ago (the mock's clock), Alice signed in through the login page.
    set_clock(base, -3600)
    url = um.get_authorization_url(redirect_uri=callback, provider="authkit", state="e2e-state")
    status, _, page = fetch(url)
    forms = LoginForms()
    forms.feed(page)
    alice = um.list_users(email="alice@acme.test").data[0]
    form = next(f for f in forms.forms if f["fields"].get("user_id") == alice.id)
    out["login_page"] = {"status": status, "forms": len(forms.forms)}
    status, location, _ = fetch(urllib.parse.urljoin(base, form["action"]), urllib.parse.urlencode(form["fields"]).encode())
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location or "").query)
    out["callback"] = {"status": status, "state": query.get("state", [None])[0], "to": (location or "").split("?")[0]}
    auth = um.authenticate_with_code(code=query["code"][0], session={"seal_session": True, "cookie_password": cookie_password})
    cookie = auth.sealed_session
    out["sealed"] = {"user": auth.user.email, "organization_id": auth.organization_id, "has_cookie": bool(cookie)}

    # Now: the cookie's access token has expired, so the app refreshes the session.
    set_clock(base, 0)
    session = um.load_sealed_session(sealed_session=cookie, cookie_password=cookie_password)
    stale = session.authenticate()
    out["expired"] = {"authenticated": stale.authenticated, "reason": str(getattr(stale.reason, "value", stale.reason))}
    refreshed = session.refresh()
    out["refreshed"] = {"authenticated": refreshed.authenticated, "reason": str(getattr(refreshed, "reason", "")),
                        "session_id": getattr(refreshed, "session_id", None)}
    fresh = um.load_sealed_session(sealed_session=refreshed.sealed_session, cookie_password=cookie_password).authenticate()
    out["authenticated"] = {"authenticated": fresh.authenticated, "session_id": fresh.session_id,
                            "organization_id": fresh.organization_id, "role": fresh.role, "user": fresh.user.email}

    # Logout from the session: no return_to, so the mock's logout redirect; the session is over.
    logout_url = um.load_sealed_session(sealed_session=refreshed.sealed_session, cookie_password=cookie_password).get_logout_url()
    status, location, _ = fetch(logout_url)
    out["logout"] = {"status": status, "location": location}
    after = um.load_sealed_session(sealed_session=refreshed.sealed_session, cookie_password=cookie_password).refresh()
    out["refresh_after_logout"] = {"authenticated": after.authenticated, "reason": str(getattr(after, "reason", ""))}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
