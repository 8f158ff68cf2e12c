"""The `mockidp` fixture against a real `mockidp serve` (MOCKIDP_BIN or PATH)."""
import base64
import hashlib
import json
import urllib.error
import urllib.request

import pytest

from pytest_mockidp import MockIdPError

# DER DigestInfo prefix for SHA-256 (RFC 8017 section 9.2, note 1).
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def verify_rs256(token, jwks):
    """An RS256 check of our own (RFC 8017 RSASSA-PKCS1-v1_5), independent of the mock's code."""
    head, payload, signature = token.split(".")
    header = json.loads(b64url(head))
    key = next(key for key in jwks["keys"] if key["kid"] == header["kid"])
    n = int.from_bytes(b64url(key["n"]), "big")
    e = int.from_bytes(b64url(key["e"]), "big")
    size = (n.bit_length() + 7) // 8
    encoded = pow(int.from_bytes(b64url(signature), "big"), e, n).to_bytes(size, "big")
    digest = SHA256_DIGEST_INFO + hashlib.sha256(f"{head}.{payload}".encode()).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    return header["alg"] == "RS256" and encoded == expected


def test_hands_out_urls_and_credentials_of_a_listening_mock(mockidp):
    assert mockidp.base_url.startswith("http://127.0.0.1:")
    assert not mockidp.base_url.endswith(":0")
    assert mockidp.client_id.startswith("client_")
    assert mockidp.api_key.startswith("sk_")
    assert mockidp.env["WORKOS_CLIENT_ID"] == mockidp.client_id
    assert mockidp.env["WORKOS_API_KEY"] == mockidp.api_key
    status, discovery = get(mockidp.base_url + "/.well-known/openid-configuration")
    assert status == 200
    assert discovery["issuer"] == mockidp.issuer
    status, jwks = get(mockidp.jwks_url)
    assert status == 200 and jwks["keys"]
    # Discovery names the OpenID Connect provider's JWKS (/oauth2/jwks); the WorkOS SDKs read
    # /sso/jwks/{client_id}. Both must publish the same keys.
    status, discovered = get(discovery["jwks_uri"])
    assert status == 200
    assert sorted(k["kid"] for k in discovered["keys"]) == sorted(k["kid"] for k in jwks["keys"])


def test_minted_token_verifies_against_the_served_jwks_and_carries_the_asked_claims(mockidp):
    minted = mockidp.mint_token("alice@acme.test", organization="acme", claims={"sid": ""}, expires_in=120)
    _, jwks = get(mockidp.jwks_url)
    assert verify_rs256(minted["access_token"], jwks)
    claims = json.loads(b64url(minted["access_token"].split(".")[1]))
    assert claims == minted["claims"]
    assert claims["iss"] == mockidp.issuer
    assert claims["sid"] == ""
    assert claims["org_id"].startswith("org_")
    assert claims["exp"] - claims["iat"] == 120
    forged = mockidp.mint_token("alice@acme.test", sign="bad-signature")
    assert not verify_rs256(forged["access_token"], jwks)


def test_an_armed_fault_answers_once_and_the_journal_shows_it(mockidp):
    mockidp.reset()
    fault = mockidp.arm_fault("/sso/jwks/*", status=503, times=1)
    assert fault["path"] == "/sso/jwks/*"
    assert get(mockidp.jwks_url)[0] == 503
    assert get(mockidp.jwks_url)[0] == 200
    entries = mockidp.journal(path_prefix="/sso/jwks")["data"]
    assert [entry["status"] for entry in entries] == [503, 200]
    assert "fault_injected" in [flag["kind"] for flag in entries[0]["flags"]]


def test_reset_brings_back_the_fixtures_and_empties_the_journal(mockidp):
    auth = {"Authorization": f"Bearer {mockidp.api_key}", "Content-Type": "application/json"}
    request = urllib.request.Request(mockidp.base_url + "/user_management/users", method="POST", headers=auth,
                                     data=json.dumps({"email": "pytest-plugin@example.test"}).encode())
    with urllib.request.urlopen(request, timeout=30) as response:
        created = json.loads(response.read())
    assert get(f"{mockidp.base_url}/user_management/users/{created['id']}", auth)[0] == 200
    mockidp.reset()
    assert get(f"{mockidp.base_url}/user_management/users/{created['id']}", auth)[0] == 404
    assert [entry["path"] for entry in mockidp.journal()["data"]] == [f"/user_management/users/{created['id']}"]


def test_a_refused_control_request_raises_with_the_mocks_message(mockidp):
    with pytest.raises(MockIdPError) as refused:
        mockidp.arm_fault("/sso/jwks/*")
    assert refused.value.status in (400, 422)
    assert "a fault needs status, latency_ms, drop" in str(refused.value)
    with pytest.raises(MockIdPError) as unknown:
        mockidp.mint_token("nobody-by-this-name")
    assert 400 <= unknown.value.status < 500
