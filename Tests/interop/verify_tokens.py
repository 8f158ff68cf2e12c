"""Verify MockIdP tokens with independent JOSE libraries (PyJWT, joserfc, jwcrypto).

Usage: verify_tokens.py BASE_URL TOKENS_JSON
TOKENS_JSON is [{"name": ..., "token": ...}]; prints {"name": {"pyjwt": "ok" | "rejected: ...", ...}}.
Each library is pointed at the mock the way apps do it: discovery -> jwks_uri -> keys.
"""
import json
import sys
import time
import urllib.request

import jwt as pyjwt
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from jwcrypto import jwk as jwc_jwk
from jwcrypto import jwt as jwc_jwt


def fetch_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


def main():
    base, tokens_file = sys.argv[1], sys.argv[2]
    discovery = fetch_json(base + "/.well-known/openid-configuration")
    issuer, jwks_uri = discovery["issuer"], discovery["jwks_uri"]
    jwks = fetch_json(jwks_uri)
    jwk_client = pyjwt.PyJWKClient(jwks_uri)
    joserfc_keys = KeySet.import_key_set(jwks)
    jwcrypto_keys = jwc_jwk.JWKSet.from_json(json.dumps(jwks))
    results = {}
    for case in json.load(open(tokens_file)):
        token = case["token"]
        outcome = {}
        try:
            key = jwk_client.get_signing_key_from_jwt(token)
            pyjwt.decode(token, key.key, algorithms=["RS256"], issuer=issuer,
                         options={"verify_aud": False, "require": ["exp", "iat", "sub"]})
            outcome["pyjwt"] = "ok"
        except Exception as error:  # noqa: BLE001 - any refusal counts
            outcome["pyjwt"] = "rejected: %s: %s" % (type(error).__name__, error)
        try:
            decoded = jose_jwt.decode(token, joserfc_keys, algorithms=["RS256"])
            JWTClaimsRegistry(now=int(time.time()), iss={"essential": True, "value": issuer},
                              exp={"essential": True}, sub={"essential": True}).validate(decoded.claims)
            outcome["joserfc"] = "ok"
        except Exception as error:  # noqa: BLE001
            outcome["joserfc"] = "rejected: %s: %s" % (type(error).__name__, error)
        try:
            jwc_jwt.JWT(jwt=token, key=jwcrypto_keys, algs=["RS256"], expected_type="JWS",
                        check_claims={"iss": issuer, "exp": None, "sub": None})
            outcome["jwcrypto"] = "ok"
        except Exception as error:  # noqa: BLE001
            outcome["jwcrypto"] = "rejected: %s: %s" % (type(error).__name__, error)
        results[case["name"]] = outcome
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
