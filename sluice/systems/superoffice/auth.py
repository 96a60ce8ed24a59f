"""SuperOffice sign-in: ``requests`` auth objects for OAuth, system user, a static ticket and Basic.

Rule: credentials are revealed only while a header or a login request is being built; a
failed login raises ``AuthError`` whose message names the login root, the status and the
server's error code, never a value. Logins go through an ``HttpClient`` bound to the login
root, so they get the same retries and error classification as data calls.

Token refresh is thread-safe and collapses concurrent 401s: a thread refreshes only if the
token it sent is still the current one (otherwise another thread already renewed it).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from sluice.errors import ApiError, AuthError, ConfigError, TransientError
from sluice.secrets import Secret
from sluice.systems.http import HttpClient, RefreshableAuth

from .settings import SuperOfficeSettings

TOKEN_PATH = "login/common/oauth/tokens"
SYSTEM_USER_PATH = "Login/api/PartnerSystemUser/Authenticate"
TICKET_CLAIM = "http://schemes.superoffice.net/identity/ticket"
EXPIRY_SKEW = 60.0  # renew a bearer token this many seconds before it expires
TICKET_IDLE_TTL = 5.5 * 3600  # tickets slide for 6 h of use; renew after 5.5 h idle to be safe

Clock = Callable[[], float]


class _CachedCredential(RefreshableAuth):
    """A credential fetched from the login server, cached, and renewed at most once per 401 wave."""

    def __init__(self, login: HttpClient, clock: Clock = time.monotonic) -> None:
        self.login = login
        self.clock = clock
        self._value: Secret | None = None
        self._valid_until = 0.0
        self._lock = threading.Lock()
        self._sent = threading.local()

    # subclasses: fetch a fresh credential and say how long it is good for
    def fetch(self) -> tuple[Secret, float]:  # pragma: no cover - interface
        raise NotImplementedError

    def apply(self, request: requests.PreparedRequest, value: Secret) -> None:  # pragma: no cover
        raise NotImplementedError

    def current(self) -> Secret:
        """The cached credential, fetched first when missing or expired."""
        with self._lock:
            if self._value is None or self.clock() >= self._valid_until:
                self._renew()
            assert self._value is not None
            return self._value

    def refresh(self) -> None:
        """Called by ``HttpClient`` after a 401: renew unless another thread already did."""
        with self._lock:
            if self._value is not None and getattr(self._sent, "value", None) is not self._value:
                return
            self._renew()

    def _renew(self) -> None:
        value, ttl = self.fetch()
        self._value = value
        self._valid_until = self.clock() + ttl

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        value = self.current()
        self._sent.value = value
        self.apply(request, value)
        return request

    def __repr__(self) -> str:
        return f"{type(self).__name__}(login={self.login.base_url!r})"


class OAuthRefreshAuth(_CachedCredential):
    """``Authorization: Bearer <access token>`` from the refresh-token grant, cached until expiry."""

    def __init__(
        self,
        login: HttpClient,
        client_id: str,
        client_secret: Secret,
        refresh_token: Secret,
        clock: Clock = time.monotonic,
    ) -> None:
        super().__init__(login, clock)
        self.client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token

    def fetch(self) -> tuple[Secret, float]:
        form = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "client_secret": self._client_secret.reveal(),
            "refresh_token": self._refresh_token.reveal(),
        }
        body = _login_call(self.login, "POST", TOKEN_PATH, "OAuth refresh-token grant", data=form)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise AuthError(f"OAuth token response from {self.login.base_url} has no access_token")
        expires_in = float(body.get("expires_in") or 3600)
        return Secret(str(token)), max(1.0, expires_in - EXPIRY_SKEW)

    def apply(self, request: requests.PreparedRequest, value: Secret) -> None:
        request.headers["Authorization"] = f"Bearer {value.reveal()}"


class SystemUserAuth(_CachedCredential):
    """``SOTicket`` + ``SO-AppToken`` from the partner system-user flow (signed system token)."""

    def __init__(
        self,
        login: HttpClient,
        context_identifier: str,
        system_user_token: Secret,
        private_key: Secret,
        app_token: Secret,
        clock: Clock = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(login, clock)
        self.context_identifier = context_identifier
        self._system_user_token = system_user_token
        self._private_key = private_key
        self._app_token = app_token
        self._now = now

    def fetch(self) -> tuple[Secret, float]:
        signed = sign_system_token(self._system_user_token.reveal(), self._private_key.reveal(), self._now())
        payload = {
            "SignedSystemToken": signed,
            "ApplicationToken": self._app_token.reveal(),
            "ContextIdentifier": self.context_identifier,
            "ReturnTokenType": "JWT",
        }
        body = _login_call(self.login, "POST", SYSTEM_USER_PATH, "system-user authentication", json=payload)
        if not isinstance(body, dict) or not body.get("IsSuccessful") or not body.get("Token"):
            reason = body.get("ErrorMessage") if isinstance(body, dict) else None
            raise AuthError(f"system-user authentication at {self.login.base_url} failed: {reason or 'no token'}")
        return Secret(ticket_from_jwt(str(body["Token"]))), TICKET_IDLE_TTL

    def apply(self, request: requests.PreparedRequest, value: Secret) -> None:
        request.headers["Authorization"] = f"SOTicket {value.reveal()}"
        request.headers["SO-AppToken"] = self._app_token.reveal()
        with self._lock:  # sliding expiry: each use keeps the ticket alive
            self._valid_until = self.clock() + TICKET_IDLE_TTL


class TicketAuth(requests.auth.AuthBase):
    """A ticket obtained elsewhere: ``SOTicket <ticket>`` (+ ``SO-AppToken`` when given). Cannot renew."""

    def __init__(self, ticket: Secret, app_token: Secret | None = None) -> None:
        self._ticket = ticket
        self._app_token = app_token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"SOTicket {self._ticket.reveal()}"
        if self._app_token:
            request.headers["SO-AppToken"] = self._app_token.reveal()
        return request

    def __repr__(self) -> str:
        return "TicketAuth(***)"


class BasicAuth(requests.auth.AuthBase):
    """``Basic base64(user:password)``: onsite installations only (Online refuses it)."""

    def __init__(self, username: str, password: Secret) -> None:
        self.username = username
        self._password = password

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        raw = f"{self.username}:{self._password.reveal()}".encode()
        request.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode("ascii")
        return request

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=***)"


def build_auth(settings: SuperOfficeSettings, login: HttpClient) -> requests.auth.AuthBase:
    """The auth object for ``settings.auth``; ``login`` is an unauthenticated client on the login root."""
    if settings.auth == "oauth":
        assert settings.client_id and settings.client_secret and settings.refresh_token
        return OAuthRefreshAuth(login, settings.client_id, settings.client_secret, settings.refresh_token)
    if settings.auth == "system_user":
        assert settings.system_user_token and settings.private_key and settings.client_secret
        return SystemUserAuth(
            login,
            settings.context_identifier,
            settings.system_user_token,
            settings.private_key,
            settings.client_secret,
        )
    if settings.auth == "ticket":
        assert settings.ticket
        return TicketAuth(settings.ticket, settings.client_secret)
    assert settings.username and settings.password
    return BasicAuth(settings.username, settings.password)


def sign_system_token(system_token: str, private_key_pem: str, now: datetime) -> str:
    """``"{token}.{yyyyMMddHHmm}.{base64 RSA-SHA256 signature}"`` as the Authenticate call expects."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M")
    message = f"{system_token}.{stamp}"
    try:
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ConfigError("the SuperOffice private key is not an unencrypted PEM RSA key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigError("the SuperOffice private key must be an RSA key")
    signature = key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{message}.{base64.b64encode(signature).decode('ascii')}"


def ticket_from_jwt(token: str) -> str:
    """The ticket claim of the JWT returned by Authenticate.

    The signature is not checked: the JWT came straight from the login server over TLS and
    only its ticket is used, as a bearer credential the API itself validates."""
    claims = jwt_claims(token)
    ticket = claims.get(TICKET_CLAIM)
    if not ticket:
        raise AuthError("the system-user JWT has no ticket claim")
    return str(ticket)


def jwt_claims(token: str) -> dict[str, Any]:
    """The (unverified) claims of a compact JWS."""
    try:
        payload = token.split(".")[1]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(decoded)
    except (IndexError, ValueError, binascii.Error):
        raise AuthError("the login server returned a malformed JWT") from None
    if not isinstance(claims, dict):
        raise AuthError("the login server returned a malformed JWT")
    return claims


def _login_call(login: HttpClient, method: str, path: str, what: str, **kwargs: Any) -> Any:
    """One call to the login server; refusals become AuthError without echoing the body's values."""
    try:
        response = login.request(method, path, **kwargs)
    except TransientError:
        raise
    except ApiError as exc:
        code = _error_code(exc.body)
        detail = f" ({code})" if code else ""
        raise AuthError(
            f"{what} refused by {login.base_url}: HTTP {exc.status}{detail}; check the credentials",
            status=exc.status,
            method=method,
            url=exc.url,
        ) from None
    try:
        return response.json()
    except ValueError:
        raise AuthError(f"{what} at {login.base_url} did not return JSON") from None


def _error_code(body: str | None) -> str | None:
    """The short error code of an OAuth (``error``) or SuperOffice (``ErrorType``) error body."""
    try:
        data = json.loads(body or "")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    code = data.get("error") or data.get("ErrorType")
    return str(code)[:80] if code else None
