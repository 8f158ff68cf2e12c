"""An MCP resource server on FastMCP, protected by its AuthKitProvider pointed at the mock: the app
`mockidp run --target mcp-resource-server.json` judges as a bearer resource server.

Usage (the profile starts it): PYTHON mcp_resource_server.py [--bug=NAME]
Environment: PORT (its own port), IDP (the mock's base URL, which is also its issuer), MCP_BUG (optional,
the same as --bug; `mockidp run --app-arg=--bug=NAME` passes the flag).
Correct (no bug): FastMCP's AuthKitProvider with its JWTVerifier bound to the IdP's JWKS
(<IDP>/oauth2/jwks), iss = IDP, aud = this server's resource URL (http://127.0.0.1:PORT/mcp), plus
the two claims RFC 9068 §2.2 requires that FastMCP 4.2.3's verifier lets pass when absent: exp
(it checks exp only when present) and sub. /.well-known/oauth-protected-resource/mcp names IDP in
authorization_servers (RFC 9728).
Seeded bugs (--bug / MCP_BUG):
  audience-not-checked         the verifier takes a token for any audience (audience=None)
  resource-issuer-not-checked  the verifier takes a token from any issuer (issuer=None), signed by the IdP's keys
  metadata-wrong-issuer        the metadata names another authorization server; tokens are still verified correctly
  as-shipped                   AuthKitProvider exactly as FastMCP ships it: a token without exp or sub is accepted
                               (token.missing-exp, token.missing-sub)
"""
import os
import sys

os.environ.setdefault("FASTMCP_LOG_LEVEL", "WARNING")

import uvicorn  # noqa: E402
from fastmcp import FastMCP  # noqa: E402
from fastmcp.server.auth import RemoteAuthProvider  # noqa: E402
from fastmcp.server.auth.providers.jwt import JWTVerifier  # noqa: E402
from fastmcp.server.auth.providers.workos import AuthKitProvider  # noqa: E402
from fastmcp.server.dependencies import get_access_token  # noqa: E402
from pydantic import AnyHttpUrl  # noqa: E402

PORT = int(os.environ["PORT"])
IDP = os.environ["IDP"].rstrip("/")
BUG = next((arg.split("=", 1)[1] for arg in sys.argv[1:] if arg.startswith("--bug=")), os.environ.get("MCP_BUG", ""))
BUGS = ("audience-not-checked", "resource-issuer-not-checked", "metadata-wrong-issuer", "as-shipped")
if BUG and BUG not in BUGS:
    raise SystemExit("--bug=%r is not one of %s" % (BUG, ", ".join(BUGS)))
BASE = "http://127.0.0.1:%d" % PORT
RESOURCE = BASE + "/mcp"


class RequiredClaimsVerifier(JWTVerifier):
    """FastMCP's JWTVerifier, which also refuses a token without exp or sub (RFC 9068 §2.2)."""

    async def load_access_token(self, token):
        access = await super().load_access_token(token)
        if access is None or access.claims.get("exp") is None or not access.claims.get("sub"):
            return None
        return access


def verifier(issuer=IDP, audience=RESOURCE):
    return RequiredClaimsVerifier(jwks_uri=IDP + "/oauth2/jwks", issuer=issuer, algorithm="RS256", audience=audience)


if BUG == "as-shipped":
    auth = AuthKitProvider(authkit_domain=IDP, base_url=BASE)
elif BUG == "metadata-wrong-issuer":
    auth = RemoteAuthProvider(token_verifier=verifier(), authorization_servers=[AnyHttpUrl("https://other-tenant.authkit.app")], base_url=BASE)
else:
    auth = AuthKitProvider(authkit_domain=IDP, base_url=BASE, token_verifier=verifier(
        issuer=None if BUG == "resource-issuer-not-checked" else IDP, audience=None if BUG == "audience-not-checked" else RESOURCE))

mcp = FastMCP("mockidp-resource-server", auth=auth)


@mcp.tool
def whoami() -> str:
    """The subject of the verified bearer token."""
    token = get_access_token()
    return token.claims.get("sub", "") if token else ""


uvicorn.run(mcp.http_app(path="/mcp"), host="127.0.0.1", port=PORT, log_level="warning")
