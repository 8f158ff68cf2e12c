"""A tiny Django project on mozilla-django-oidc in JWKS mode signs Alice in against the mock.

Usage: mockidp serve --port 0 --log off -- PYTHON oidc_django_app.py CLIENT_ID CLIENT_SECRET
CLIENT_ID and CLIENT_SECRET: a fixture client whose registered redirect URIs include
http://127.0.0.1/oidc/callback/ (any port: RFC 8252 loopback) and that authenticates with
client_secret_basic, which the app asks for with OIDC_TOKEN_USE_BASIC_AUTH.
Settings in code, as mozilla-django-oidc's docs list them: the OP endpoints copied from the
mock's discovery document, OIDC_RP_SIGN_ALGO=RS256 with OIDC_OP_JWKS_ENDPOINT, PKCE and nonce on,
login_hint and mockidp_auto_approve through OIDC_AUTH_REQUEST_EXTRA_PARAMS. The browser goes
through the library's own views (/oidc/authenticate/ -> mock -> /oidc/callback/); the backend
verifies the id_token, reads userinfo and creates the Django user. /whoami says who is signed in.
Prints one JSON object (oidc_harness.run_cases).
"""
import os
import secrets
import shutil
import sys
import tempfile

import jwt
import requests

import oidc_harness as h

h.watchdog()
discovery = requests.get(h.BASE + "/.well-known/openid-configuration", timeout=h.TIMEOUT).json()
workdir = tempfile.mkdtemp(prefix="mockidp-django-")

import django  # noqa: E402  (settings first)
from django.conf import settings  # noqa: E402

settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_hex(32),
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "mozilla_django_oidc"],
    MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware", "django.contrib.auth.middleware.AuthenticationMiddleware"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(workdir, "db.sqlite3")}},
    AUTHENTICATION_BACKENDS=["mozilla_django_oidc.auth.OIDCAuthenticationBackend"],
    LOGIN_REDIRECT_URL="/whoami",
    LOGIN_REDIRECT_URL_FAILURE="/failed",
    OIDC_RP_CLIENT_ID=sys.argv[1],
    OIDC_RP_CLIENT_SECRET=sys.argv[2],
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
    OIDC_TIMEOUT=h.TIMEOUT,
    OIDC_AUTH_REQUEST_EXTRA_PARAMS={"login_hint": h.ALICE, "mockidp_auto_approve": "1"},
    LOGGING_CONFIG=None,
)
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import include, path  # noqa: E402


def whoami(request):
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    # The backend verified this id_token before it signed the user in; here it only names the subject.
    claims = jwt.decode(request.session["oidc_id_token"], options={"verify_signature": False})
    return JsonResponse({"signed_in": True, "email": request.user.email, "sub": claims.get("sub"), "aud": claims.get("aud"),
                         "iss": claims.get("iss"), "users": get_user_model().objects.count()})


def failed(request):
    return JsonResponse({"signed_in": False, "failed": True}, status=401)


urlpatterns = [path("oidc/", include("mozilla_django_oidc.urls")), path("whoami", whoami), path("failed", failed)]


def sign_in(browser):
    final = browser.go(app_base + "/oidc/authenticate/")
    whoami = browser.session.get(app_base + "/whoami", timeout=h.TIMEOUT)
    return {"authorize": h.authorize_request(browser), "callback": h.callback_params(browser, app_base + "/oidc/callback/"),
            "callback_status": browser.status_of(app_base + "/oidc/callback/"), "final_status": final.status_code,
            "whoami_status": whoami.status_code, "user": whoami.json()}


call_command("migrate", verbosity=0, interactive=False)
server, app_base = h.serve_wsgi(get_wsgi_application())
try:
    h.run_cases(sign_in)
finally:
    server.shutdown()
    shutil.rmtree(workdir, ignore_errors=True)
