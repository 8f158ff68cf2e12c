"""An OpenID Connect relying party on mozilla-django-oidc (Django), for `mockidp run` (profile oidc-rp-django.json).

The library's own views drive the login (/oidc/authenticate/ -> authorize with state, nonce and
PKCE -> /oidc/callback/); its backend verifies the id_token's signature and nonce, and this app's
backend adds what the library leaves to the application (OIDC Core §3.1.3.7: iss, aud, the
required claims; a JWKS key chosen without kid only when one key is published), compares userinfo's
sub with the id_token's (§5.3.4), keeps the refresh token and refreshes an expired access token on
/whoami with the §12.2 checks. Correct unless OIDC_RP_BUG names a seeded bug:
  nonce-not-checked          the id_token's nonce is never compared with the login's
  aud-not-checked            the id_token's aud (and azp) are never checked
  userinfo-sub-not-compared  userinfo's sub is not compared with the id_token's
  refresh-switches-user      a refreshed id_token's sub becomes the signed-in user

Environment: PORT, OIDC_ISSUER_URL (the mock's base URL), OIDC_CLIENT_ID, OIDC_CLIENT_SECRET.
Routes: /health, /oidc/authenticate/, /oidc/callback/, /whoami (the probe), /failed, /logout
(RP-initiated logout: end_session_endpoint with id_token_hint, post_logout_redirect_uri and state)
and /logged-out (checks that state).
"""
import logging
import os
import secrets
import shutil
import tempfile
import time
import urllib.parse

import jwt
import requests

BUG = os.environ.get("OIDC_RP_BUG", "")
BUGS = {"", "nonce-not-checked", "aud-not-checked", "userinfo-sub-not-compared", "refresh-switches-user"}
if BUG not in BUGS:
    raise SystemExit("OIDC_RP_BUG=%r is not one of %s" % (BUG, sorted(BUGS)))
ISSUER_URL = os.environ["OIDC_ISSUER_URL"].rstrip("/")
CLIENT_ID = os.environ["OIDC_CLIENT_ID"]
CLIENT_SECRET = os.environ["OIDC_CLIENT_SECRET"]
PORT = int(os.environ["PORT"])
BASE = "http://127.0.0.1:%d" % PORT
TIMEOUT = 10
LEEWAY = 5
discovery = requests.get(ISSUER_URL + "/.well-known/openid-configuration", timeout=TIMEOUT).json()
workdir = tempfile.mkdtemp(prefix="mockidp-oidc-rp-django-")

import django  # noqa: E402  (settings first)
from django.conf import settings  # noqa: E402

settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_hex(32),
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "mozilla_django_oidc"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware", "django.contrib.auth.middleware.AuthenticationMiddleware"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(workdir, "db.sqlite3"),
                           "OPTIONS": {"timeout": 20}}},
    SESSION_ENGINE="django.contrib.sessions.backends.cache",
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    AUTHENTICATION_BACKENDS=[__name__ + ".CheckedBackend"],
    LOGIN_REDIRECT_URL="/whoami",
    LOGIN_REDIRECT_URL_FAILURE="/failed",
    OIDC_RP_CLIENT_ID=CLIENT_ID,
    OIDC_RP_CLIENT_SECRET=CLIENT_SECRET,
    OIDC_TOKEN_USE_BASIC_AUTH=True,
    OIDC_RP_SIGN_ALGO="RS256",
    OIDC_RP_SCOPES="openid email profile",
    OIDC_OP_AUTHORIZATION_ENDPOINT=discovery["authorization_endpoint"],
    OIDC_OP_TOKEN_ENDPOINT=discovery["token_endpoint"],
    OIDC_OP_USER_ENDPOINT=discovery["userinfo_endpoint"],
    OIDC_OP_JWKS_ENDPOINT=discovery["jwks_uri"],
    OIDC_USE_NONCE=True,
    OIDC_USE_PKCE=True,
    OIDC_STORE_ID_TOKEN=True,
    OIDC_STORE_ACCESS_TOKEN=True,
    OIDC_TIMEOUT=TIMEOUT,
    LOGGING_CONFIG=None,
)
logging.disable(logging.CRITICAL)
django.setup()

from django.contrib.auth import logout as django_logout  # noqa: E402
from django.core.exceptions import SuspiciousOperation  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponseRedirect, JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # noqa: E402


class CheckedBackend(OIDCAuthenticationBackend):
    def retrieve_matching_jwk(self, token):
        header = jwt.get_unverified_header(token)
        if "kid" in header:
            return super().retrieve_matching_jwk(token)
        # Without kid the library's lookup raises KeyError (a 500): take the key only when it is the only one.
        keys = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=TIMEOUT).json()["keys"]
        if len(keys) != 1:
            raise SuspiciousOperation("no kid and %d published keys" % len(keys))
        return jwt.PyJWK(keys[0])

    def verify_token(self, token, **kwargs):
        if not token:
            raise SuspiciousOperation("no id_token")
        if BUG == "nonce-not-checked":
            kwargs["nonce"] = jwt.decode(token, options={"verify_signature": False}).get("nonce")
        try:
            payload = super().verify_token(token, **kwargs)
        except SuspiciousOperation:
            raise
        except Exception as error:  # PyJWT's errors (expired, bad signature, ...): a refused login, not a 500
            raise SuspiciousOperation("id_token rejected: %s: %s" % (type(error).__name__, error))
        for claim in ("iss", "sub", "aud", "exp", "iat"):
            if claim not in payload:
                raise SuspiciousOperation("id_token lacks %s" % claim)
        if payload["iss"] != discovery["issuer"]:
            raise SuspiciousOperation("id_token iss %r is not %r" % (payload["iss"], discovery["issuer"]))
        if payload["exp"] + LEEWAY < time.time():
            raise SuspiciousOperation("id_token expired")
        if BUG != "aud-not-checked":
            audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
            if audiences != [CLIENT_ID]:
                raise SuspiciousOperation("id_token aud %r is not this client alone" % (payload["aud"],))
            if payload.get("azp", CLIENT_ID) != CLIENT_ID:
                raise SuspiciousOperation("id_token azp %r is not this client" % payload["azp"])
        self.id_claims = payload
        return payload

    def get_token(self, payload):
        self.token_info = super().get_token(payload)
        return self.token_info

    def get_userinfo(self, access_token, id_token, payload):
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if BUG != "userinfo-sub-not-compared" and userinfo.get("sub") != payload["sub"]:
            raise SuspiciousOperation("userinfo sub %r is not the id_token's %r" % (userinfo.get("sub"), payload["sub"]))
        self.userinfo_sub = userinfo.get("sub")
        return userinfo

    def authenticate(self, request, **kwargs):
        try:
            user = super().authenticate(request, **kwargs)
        except Exception:  # a token endpoint error or a rejected id_token: a refused login, never a 500
            return None
        if user is not None:
            info = getattr(self, "token_info", {})
            request.session["oidc_sub"] = self.userinfo_sub if BUG == "userinfo-sub-not-compared" else self.id_claims["sub"]
            request.session["oidc_iss"] = self.id_claims["iss"]
            request.session["oidc_refresh_token"] = info.get("refresh_token")
            request.session["oidc_expires_at"] = time.time() + float(info.get("expires_in") or 300)
        return user


def refresh(request):
    """The refresh grant; its id_token must keep iss and sub (OIDC Core §12.2)."""
    response = requests.post(discovery["token_endpoint"], timeout=TIMEOUT, auth=(CLIENT_ID, CLIENT_SECRET),
                             data={"grant_type": "refresh_token", "refresh_token": request.session["oidc_refresh_token"]})
    if response.status_code != 200:
        raise SuspiciousOperation("refresh refused: %s" % response.text)
    token = response.json()
    if token.get("id_token"):
        claims = CheckedBackend().verify_token(token["id_token"], nonce=None)
        if BUG == "refresh-switches-user":
            request.session["oidc_sub"] = claims["sub"]
        elif claims["sub"] != request.session["oidc_sub"] or claims["iss"] != request.session["oidc_iss"]:
            raise SuspiciousOperation("the refreshed id_token changed iss or sub")
        request.session["oidc_id_token"] = token["id_token"]
    request.session["oidc_access_token"] = token["access_token"]
    request.session["oidc_refresh_token"] = token.get("refresh_token") or request.session["oidc_refresh_token"]
    request.session["oidc_expires_at"] = time.time() + float(token.get("expires_in") or 300)


def whoami(request):
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    if time.time() >= request.session.get("oidc_expires_at", 0):
        try:
            refresh(request)
        except Exception as error:  # a refused refresh ends the session
            django_logout(request)
            return JsonResponse({"signed_in": False, "error": str(error)}, status=401)
    return JsonResponse({"signed_in": True, "sub": request.session.get("oidc_sub"), "iss": request.session.get("oidc_iss"),
                         "email": request.user.email})


def failed(request):
    return JsonResponse({"signed_in": False, "failed": True}, status=401)


def health(request):
    return JsonResponse({"ok": True})


def logout(request):
    id_token = request.session.get("oidc_id_token", "")
    state = secrets.token_urlsafe(16)
    django_logout(request)
    target = discovery["end_session_endpoint"] + "?" + urllib.parse.urlencode(
        {"id_token_hint": id_token, "post_logout_redirect_uri": BASE + "/logged-out", "state": state, "client_id": CLIENT_ID})
    response = HttpResponseRedirect(target)
    response.set_cookie("logout_state", state, httponly=True, samesite="Lax")
    return response


def logged_out(request):
    expected = request.COOKIES.get("logout_state")
    if not expected or request.GET.get("state") != expected:
        return JsonResponse({"signed_out": False, "error": "state does not match the logout this browser started"}, status=400)
    response = JsonResponse({"signed_out": True})
    response.delete_cookie("logout_state")
    return response


urlpatterns = [path("oidc/", include("mozilla_django_oidc.urls")), path("whoami", whoami), path("failed", failed), path("health", health),
               path("logout", logout), path("logged-out", logged_out)]

call_command("migrate", verbosity=0, interactive=False)
from werkzeug.serving import make_server  # noqa: E402

try:
    make_server("127.0.0.1", PORT, get_wsgi_application(), threaded=True).serve_forever()
finally:
    shutil.rmtree(workdir, ignore_errors=True)
