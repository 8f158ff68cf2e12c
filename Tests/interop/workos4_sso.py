"""The WorkOS Python SDK 4.x SSO flow, the way WorkOS's Flask and Django SSO examples call it.

Usage: mockidp serve --port 0 --log off --auto-approve -- PYTHON workos4_sso.py CALLBACK FIXTURE_JSON
FIXTURE_JSON: {"organization_id", "provider"?: an SsoProviderType value with a connection}.
The SDK's module-level client is configured from serve's environment (workos.api_key,
workos.client_id, workos.base_api_url); the authorization URL it builds is followed unchanged
(serve's --auto-approve signs the login_hint in), then get_profile_and_token(code) and
get_profile(access_token). Prints one JSON object of what the SDK returned.
"""
import faulthandler
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import workos
from workos.exceptions import BaseRequestException
from workos.utils.sso_provider_types import SsoProviderType

faulthandler.dump_traceback_later(60, exit=True)
workos.api_key = os.environ["WORKOS_API_KEY"]
workos.client_id = os.environ["WORKOS_CLIENT_ID"]
workos.base_api_url = os.environ["WORKOS_BASE_URL"]  # ends with "/", as the SDK needs
workos.request_timeout = 10

from workos import client  # noqa: E402  (reads the settings above on first use)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def follow_once(url):
    """GET url like a browser and return the query of the redirect back to the app."""
    try:
        response = _opener.open(url, timeout=10)
    except urllib.error.HTTPError as error:
        if error.code in (301, 302, 303, 307, 308):
            location = error.headers["Location"]
            return location.split("?")[0], {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).items()}
        raise AssertionError("authorize answered %s: %s" % (error.code, error.read()[:500]))
    raise AssertionError("expected a redirect from %s, got %s" % (url, response.status))


def profile_json(profile):
    return {name: getattr(profile, name, None) for name in
            ("id", "email", "first_name", "last_name", "organization_id", "connection_id", "connection_type", "idp_id")}


def sign_in(callback, state, **selector):
    url = client.sso.get_authorization_url(redirect_uri=callback, state=state, login_hint="alice@acme.test", **selector)
    parsed = urllib.parse.urlsplit(url)
    to, query = follow_once(url)
    result = {"authorize_path": parsed.path, "authorize_params": sorted(urllib.parse.parse_qs(parsed.query)),
              "redirected_to": to, "state": query.get("state"), "error": query.get("error")}
    if "code" not in query:
        return result, None
    exchanged = client.sso.get_profile_and_token(query["code"])
    result["profile"] = profile_json(exchanged.profile)
    result["has_access_token"] = bool(exchanged.access_token)
    return result, (query["code"], exchanged.access_token)


def main():
    callback = sys.argv[1]
    fixture = json.loads(sys.argv[2])
    out = {"version": workos.__version__}

    by_org, (code, access_token) = sign_in(callback, "sso-org", organization=fixture["organization_id"])
    out["by_organization"] = by_org
    out["get_profile"] = profile_json(client.sso.get_profile(access_token))
    try:
        client.sso.get_profile_and_token(code)
        out["code_reused"] = {"refused": False}
    except BaseRequestException as error:
        out["code_reused"] = {"refused": True, "status": error.response.status_code, "error": error.error or error.code}

    by_connection, _ = sign_in(callback, "sso-conn", connection=by_org["profile"]["connection_id"])
    out["by_connection"] = by_connection
    if fixture.get("provider"):
        by_provider, _ = sign_in(callback, "sso-provider", provider=SsoProviderType(fixture["provider"]))
        out["by_provider"] = by_provider
    try:
        client.sso.get_profile("not-a-token")
        out["bad_token"] = {"refused": False}
    except BaseRequestException as error:
        out["bad_token"] = {"refused": True, "status": error.response.status_code}
    flagged = urllib.request.urlopen(workos.base_api_url + "_mock/journal?flag=id_space_violation", timeout=10)
    out["id_space_violations"] = json.load(flagged)["data"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
