from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sluice.errors import AuthError, ConfigError
from sluice.secrets import Secret
from sluice.systems.superoffice.auth import (
    TICKET_CLAIM,
    BasicAuth,
    TicketAuth,
    jwt_claims,
    sign_system_token,
    ticket_from_jwt,
)


def prepared(auth: requests.auth.AuthBase) -> requests.PreparedRequest:
    return requests.Request("GET", "https://example.invalid/Cust1/api/v1/Contact", auth=auth).prepare()


def test_ticket_auth_sends_soticket_and_app_token() -> None:
    request = prepared(TicketAuth(Secret("7T:abc=="), Secret("app-secret")))
    assert request.headers["Authorization"] == "SOTicket 7T:abc=="
    assert request.headers["SO-AppToken"] == "app-secret"
    assert "abc" not in repr(TicketAuth(Secret("7T:abc==")))
    assert "SO-AppToken" not in prepared(TicketAuth(Secret("7T:x"))).headers


def test_basic_auth_encodes_user_and_password() -> None:
    auth = BasicAuth("jane", Secret("pa:ss"))
    header = prepared(auth).headers["Authorization"]
    assert base64.b64decode(header.removeprefix("Basic ")) == b"jane:pa:ss"
    assert "pa:ss" not in repr(auth)


def test_system_token_is_signed_with_rsa_sha256_over_token_and_utc_minute() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    signed = sign_system_token("App-xyz", pem, datetime(2024, 5, 1, 10, 7, 59, tzinfo=UTC))
    token, stamp, signature = signed.rsplit(".", 2)
    assert (token, stamp) == ("App-xyz", "202405011007")
    key.public_key().verify(
        base64.b64decode(signature), b"App-xyz.202405011007", padding.PKCS1v15(), hashes.SHA256()
    )  # raises if wrong
    with pytest.raises(ConfigError):
        sign_system_token("App-xyz", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----", datetime.now(UTC))


def jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2ln"


def test_ticket_comes_from_the_jwt_claim() -> None:
    assert ticket_from_jwt(jwt({TICKET_CLAIM: "7T:tick", "sub": "x"})) == "7T:tick"
    with pytest.raises(AuthError, match="no ticket"):
        ticket_from_jwt(jwt({"sub": "x"}))
    with pytest.raises(AuthError, match="malformed"):
        jwt_claims("not-a-jwt")
