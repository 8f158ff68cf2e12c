"""An MCP server on FastMCP with its AuthKitProvider pointed at the mock, reached by the MCP Python
SDK's client, which signs in through the protected-resource flow on its own.

Usage: mockidp serve --port 0 --log off -- PYTHON mcp_authkit.py
The server: FastMCP with AuthKitProvider(authkit_domain=<the mock's base URL>, base_url=<its own
URL>), so its JWTVerifier checks tokens against <mock>/oauth2/jwks with the mock as issuer and its
own resource URL as audience; one tool, whoami, answers the verified token's subject.
The client: mcp's OAuthClientProvider on an httpx2 client, unchanged. It follows the 401 to the
RFC 9728 metadata, then the RFC 8414 metadata, registers itself (DCR), authorizes with PKCE and
`resource`, exchanges the code and calls the tool. Its redirect handler is the headless browser:
it opens the authorization URL, posts Alice's form on the mock's login page, and hands the
callback's code, state and iss to the SDK's callback handler.
Then the server is shown a token with a bad signature (the mock's forgery on the next token
answer) and a genuine token bound to another resource; both must be refused (401).
Prints one JSON object.
"""
import asyncio
import base64
import faulthandler
import hashlib
import html.parser
import json
import os
import secrets
import socket
import threading
import time
import urllib.parse

os.environ.setdefault("FASTMCP_LOG_LEVEL", "WARNING")  # before fastmcp is imported: the output is one JSON line

import httpx2  # noqa: E402
import uvicorn  # noqa: E402
from fastmcp import FastMCP  # noqa: E402
from fastmcp.server.auth.providers.workos import AuthKitProvider  # noqa: E402
from fastmcp.server.dependencies import get_access_token  # noqa: E402
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider  # noqa: E402
from mcp.client.client import Client  # noqa: E402
from mcp.client.streamable_http import streamable_http_client  # noqa: E402
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken  # noqa: E402

faulthandler.dump_traceback_later(120, exit=True)
BASE = os.environ["WORKOS_BASE_URL"].rstrip("/")
API_KEY = os.environ["WORKOS_API_KEY"]
ALICE = "alice@acme.test"
TIMEOUT = 10
# The client's redirect URI: a loopback URL nothing listens on; the browser below reads the redirect to it.
REDIRECT_URI = "http://127.0.0.1:%d/callback" % (50000 + secrets.randbelow(10000))


# ---- the MCP server -------------------------------------------------------------------------

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
SERVER_BASE = "http://127.0.0.1:%d" % listener.getsockname()[1]
MCP_URL = SERVER_BASE + "/mcp"

auth = AuthKitProvider(authkit_domain=BASE, base_url=SERVER_BASE)
mcp = FastMCP("mockidp-interop", auth=auth)


@mcp.tool
def whoami() -> str:
    """The subject of the verified bearer token."""
    token = get_access_token()
    claims = token.claims if token else {}
    return json.dumps({"sub": claims.get("sub"), "aud": claims.get("aud"), "iss": claims.get("iss"), "client_id": token.client_id if token else None})


server = uvicorn.Server(uvicorn.Config(mcp.http_app(path="/mcp"), log_level="warning", lifespan="on"))
threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True).start()


def wait_for_server():
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx2.get(SERVER_BASE + "/.well-known/oauth-protected-resource/mcp", timeout=2).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.05)  # polling readiness with a deadline, not waiting a fixed time
    raise AssertionError("the MCP server did not answer within 30 s")


# ---- the headless browser -------------------------------------------------------------------

class LoginForms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action"), "fields": {}})
        elif tag == "input" and self.forms and attrs.get("type") == "hidden":
            self.forms[-1]["fields"][attrs.get("name")] = attrs.get("value", "")


def alice_id():
    response = httpx2.get(BASE + "/user_management/users", params={"email": ALICE}, headers={"Authorization": "Bearer " + API_KEY}, timeout=TIMEOUT)
    response.raise_for_status()
    return response.json()["data"][0]["id"]


class HeadlessBrowser:
    """Opens the authorization URL, clicks Alice on the login page, and keeps where the mock sent it back."""

    def __init__(self, user_id):
        self.user_id = user_id
        self.authorization_url = None
        self.callback = None

    async def redirect_handler(self, url):
        self.authorization_url = url
        async with httpx2.AsyncClient(timeout=TIMEOUT) as browser:
            page = await browser.get(url)
            forms = LoginForms()
            forms.feed(page.text)
            form = next((f for f in forms.forms if f["fields"].get("user_id") == self.user_id), None)
            if form is None:
                raise AssertionError("no login form for Alice (%s): %s" % (page.status_code, page.text[:500]))
            answer = await browser.post(urllib.parse.urljoin(str(page.url), form["action"]), data=form["fields"])
            location = answer.headers.get("Location", "")
            if not location.startswith(REDIRECT_URI):
                raise AssertionError("the login did not return to the client: %s %s" % (answer.status_code, location or answer.text[:300]))
            self.callback = {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).items()}

    async def callback_handler(self):
        return AuthorizationCodeResult(code=self.callback["code"], state=self.callback.get("state"), iss=self.callback.get("iss"))


class MemoryStorage:
    def __init__(self):
        self.tokens = None
        self.client_info = None

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull):
        self.client_info = client_info


# ---- the checks -----------------------------------------------------------------------------

def mcp_status(token):
    """What the MCP endpoint answers an initialize request carrying this bearer token."""
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}}}
    response = httpx2.post(MCP_URL, json=body, timeout=TIMEOUT, headers={
        "Authorization": "Bearer " + token, "Accept": "application/json, text/event-stream"})
    return {"status": response.status_code, "www_authenticate": response.headers.get("WWW-Authenticate")}


def code_flow(client_info, resource):
    """A plain authorization-code flow with PKCE for the registered client (headless: login_hint +
    mockidp_auto_approve), returning the token response."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {"response_type": "code", "client_id": client_info.client_id, "redirect_uri": REDIRECT_URI, "state": "other",
              "code_challenge": challenge, "code_challenge_method": "S256", "resource": resource,
              "login_hint": ALICE, "mockidp_auto_approve": "1"}
    answer = httpx2.get(BASE + "/oauth2/authorize?" + urllib.parse.urlencode(params), timeout=TIMEOUT)
    query = {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(answer.headers.get("Location", "")).query).items()}
    if "code" not in query:
        raise AssertionError("authorize for another resource: %s %s" % (answer.status_code, answer.headers.get("Location") or answer.text[:300]))
    form = {"grant_type": "authorization_code", "code": query["code"], "redirect_uri": REDIRECT_URI, "code_verifier": verifier,
            "resource": resource, "client_id": client_info.client_id}
    basic = None
    if client_info.client_secret and client_info.token_endpoint_auth_method == "client_secret_basic":
        basic = (client_info.client_id, client_info.client_secret)
    elif client_info.client_secret:
        form["client_secret"] = client_info.client_secret
    response = httpx2.post(BASE + "/oauth2/token", data=form, auth=basic, timeout=TIMEOUT)
    if response.status_code != 200:
        raise AssertionError("token for another resource: %s %s" % (response.status_code, response.text))
    return response.json()


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def control(method, path, body=None):
    response = httpx2.request(method, BASE + path, json=body, timeout=TIMEOUT)
    if response.status_code >= 400:
        raise AssertionError("%s %s: %s %s" % (method, path, response.status_code, response.text))


async def sign_in_and_call(browser, storage, requests_seen, auth_method=None):
    async def record(request):
        requests_seen.append({"method": request.method, "url": str(request.url).split("?")[0]})

    provider = OAuthClientProvider(
        server_url=MCP_URL,
        client_metadata=OAuthClientMetadata(client_name="mockidp interop MCP client", redirect_uris=[REDIRECT_URI],
                                            grant_types=["authorization_code", "refresh_token"], response_types=["code"],
                                            token_endpoint_auth_method=auth_method),
        storage=storage, redirect_handler=browser.redirect_handler, callback_handler=browser.callback_handler)
    async with httpx2.AsyncClient(auth=provider, timeout=TIMEOUT, event_hooks={"request": [record]}) as http:
        async with Client(streamable_http_client(MCP_URL, http_client=http), read_timeout_seconds=TIMEOUT) as client:
            result = await client.call_tool("whoami", {})
            tools = await client.list_tools()
    return json.loads(result.content[0].text), sorted(tool.name for tool in tools.tools)


def main():
    wait_for_server()
    out = {"issuer": BASE, "resource": MCP_URL}
    browser = HeadlessBrowser(alice_id())
    storage = MemoryStorage()
    requests_seen = []
    tool, tools = asyncio.run(asyncio.wait_for(sign_in_and_call(browser, storage, requests_seen), 60))
    out["tool"] = tool
    out["tools"] = tools
    out["requests"] = requests_seen
    authorize = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.authorization_url).query)
    out["authorize"] = {"url": browser.authorization_url.split("?")[0], "params": sorted(authorize),
                        "resource": authorize.get("resource", [None])[0], "code_challenge_method": authorize.get("code_challenge_method", [None])[0]}
    out["callback"] = {"has_code": "code" in browser.callback, "iss": browser.callback.get("iss")}
    info = storage.client_info
    out["registered"] = {"client_id": info.client_id, "token_endpoint_auth_method": info.token_endpoint_auth_method,
                         "has_secret": bool(info.client_secret)}
    token = storage.tokens.access_token
    out["token_claims"] = {name: claims_of(token).get(name) for name in ("iss", "sub", "aud", "client_id", "azp")}
    out["genuine"] = mcp_status(token)

    # A token the mock signed with a bad signature, for this very resource.
    control("POST", "/_mock/oauth2/token_overrides", {"times": 1, "access_token": {"sign": "bad-signature"}})
    try:
        forged = code_flow(info, MCP_URL)["access_token"]
    finally:
        control("DELETE", "/_mock/oauth2/token_overrides")
    out["forged"] = dict(mcp_status(forged), aud=claims_of(forged).get("aud"))

    # A genuine token of the same user and client, bound to another resource.
    elsewhere = SERVER_BASE + "/elsewhere/mcp"
    other = code_flow(info, elsewhere)["access_token"]
    out["other_resource"] = dict(mcp_status(other), aud=claims_of(other).get("aud"))
    # The same plain flow for this resource is accepted: the refusals above are about the token, not the flow.
    again = code_flow(info, MCP_URL)["access_token"]
    out["plain_flow_same_resource"] = mcp_status(again)

    # A public client (token_endpoint_auth_method "none", as many MCP clients register): PKCE alone.
    public_storage = MemoryStorage()
    public_tool, _ = asyncio.run(asyncio.wait_for(sign_in_and_call(HeadlessBrowser(browser.user_id), public_storage, [], "none"), 60))
    public_info = public_storage.client_info
    out["public"] = {"tool": public_tool, "token_endpoint_auth_method": public_info.token_endpoint_auth_method,
                     "has_secret": bool(public_info.client_secret), "client_id": public_info.client_id}
    flagged = httpx2.get(BASE + "/_mock/journal", params={"flag": "id_space_violation"}, timeout=TIMEOUT)
    out["id_space_violations"] = flagged.json()["data"]
    print(json.dumps(out))


try:
    main()
finally:
    server.should_exit = True
