"""Simulated SuperOffice sign-in: OAuth code + refresh grants, system-user tickets, onsite Basic, and the check
that every tenant API call passes.

Rule: all grants live in one ``Sessions`` object per simulator (no global state); a credential is valid only
if this simulator issued it and it has not expired. ``FaultConfig.expire_tokens`` is a one-shot switch: the
next API call revokes every token and ticket issued so far (the client must refresh) and clears the switch.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

from sluice.simulators.faults import FaultInjector
from sluice.simulators.superoffice.credentials import DemoCredentials
from sluice.simulators.superoffice.responses import SoError

AUTH_MODES = ("none", "oauth", "ticket", "basic")
TICKET_TTL = 6 * 3600
CODE_TTL = 600
CLAIMS = "http://schemes.superoffice.net/identity/"


@dataclass
class Grant:
    expires_at: float
    serial: int


class Sessions:
    """Issued codes, access tokens, refresh tokens and tickets of one simulator."""

    def __init__(self, token_ttl: float) -> None:
        self.token_ttl = token_ttl
        self._lock = threading.Lock()
        self._serial = 0
        self._revoked_below = 0
        self._codes: dict[str, tuple[float, str, str]] = {}
        self._tokens: dict[str, Grant] = {}
        self._refresh: dict[str, str] = {}
        self._tickets: dict[str, Grant] = {}

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def new_code(self, client_id: str, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (time.time() + CODE_TTL, client_id, redirect_uri)
        return code

    def take_code(self, code: str) -> tuple[str, str] | None:
        """Codes are single-use: (client_id, redirect_uri) or None if unknown or expired."""
        with self._lock:
            entry = self._codes.pop(code, None)
        if entry is None or entry[0] < time.time():
            return None
        return entry[1], entry[2]

    def new_token(self, tenant: str) -> str:
        token = f"8A:{tenant}.{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = Grant(time.time() + self.token_ttl, self._next())
        return token

    def new_refresh(self, client_id: str) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[token] = client_id
        return token

    def refresh_client(self, token: str) -> str | None:
        with self._lock:
            return self._refresh.get(token)

    def new_ticket(self) -> str:
        ticket = f"7T:{base64.b64encode(secrets.token_bytes(24)).decode()}"
        with self._lock:
            self._tickets[ticket] = Grant(time.time() + TICKET_TTL, self._next())
        return ticket

    def valid_token(self, token: str) -> bool:
        with self._lock:
            grant = self._tokens.get(token)
            return grant is not None and grant.serial > self._revoked_below and grant.expires_at > time.time()

    def valid_ticket(self, ticket: str) -> bool:
        """Tickets slide: each use extends them by the ticket lifetime."""
        with self._lock:
            grant = self._tickets.get(ticket)
            if grant is None or grant.serial <= self._revoked_below or grant.expires_at <= time.time():
                return False
            grant.expires_at = time.time() + TICKET_TTL
            return True

    def revoke_all(self) -> None:
        with self._lock:
            self._revoked_below = self._serial


class Authenticator:
    """Checks the ``Authorization`` header of a tenant API call for the configured mode.

    Modes: ``oauth`` (Online: Bearer tokens, and SOTicket + SO-AppToken), ``ticket`` (SOTicket + SO-AppToken
    only), ``basic`` (onsite: Basic user:password), ``none`` (anything goes).
    """

    def __init__(self, mode: str, sessions: Sessions, faults: FaultInjector, demo: DemoCredentials) -> None:
        if mode not in AUTH_MODES:
            raise ValueError(f"auth mode must be one of {AUTH_MODES}, not {mode!r}")
        self.mode = mode
        self.sessions = sessions
        self.faults = faults
        self.demo = demo

    def check(self, request: Request) -> None:
        if self.faults.config.expire_tokens:
            self.sessions.revoke_all()
            self.faults.configure(expire_tokens=False)
        if self.mode == "none":
            return
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if scheme == "bearer" and self.mode == "oauth":
            if self.sessions.valid_token(value):
                return
            raise _unauthorized("The access token is invalid or has expired")
        if scheme == "soticket" and self.mode in ("oauth", "ticket"):
            if request.headers.get("so-apptoken") != self.demo.client_secret:
                raise _unauthorized("SOTicket requires a valid SO-AppToken header")
            if self.sessions.valid_ticket(value):
                return
            raise _unauthorized("The ticket is invalid or has expired")
        if scheme == "basic" and self.mode == "basic":
            if self._basic_ok(value):
                return
            raise _unauthorized("Invalid user name or password")
        raise _unauthorized(f"Authentication required ({self.mode} mode)")

    def _basic_ok(self, value: str) -> bool:
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, self.demo.username) and hmac.compare_digest(password, self.demo.password)


def _unauthorized(message: str) -> SoError:
    return SoError(401, message, {"WWW-Authenticate": 'Bearer realm="SuperOffice"'})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims: dict[str, object], key: str) -> str:
    """An HS256 JWT (the simulator signs with the client secret; real SuperOffice uses RS256)."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64url(json.dumps(claims).encode())
    signature = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64url(signature)}"


def sign_system_token(system_token: str, private_key_pem: str, moment: datetime | None = None) -> str:
    """``{token}.{yyyyMMddHHmm}.{base64 RSA-SHA256 signature}``, as a partner signs it (used by tests and demos)."""
    stamp = (moment or datetime.now(UTC)).strftime("%Y%m%d%H%M")
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(f"{system_token}.{stamp}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{system_token}.{stamp}.{base64.b64encode(signature).decode()}"


def verify_system_token(signed: str, expected_token: str, public_key_pem: str, max_skew_minutes: int = 30) -> str:
    """Checks token, timestamp freshness and signature; returns '' if valid, else the reason."""
    try:
        token, stamp, signature = signed.rsplit(".", 2)
        moment = datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=UTC)
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        return "SignedSystemToken is not '{token}.{yyyyMMddHHmm}.{signature}'"
    if not hmac.compare_digest(token, expected_token):
        return "Unknown system user token"
    if abs(datetime.now(UTC) - moment) > timedelta(minutes=max_skew_minutes):
        return "SignedSystemToken timestamp is too old or in the future"
    key = serialization.load_pem_public_key(public_key_pem.encode())
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        key.verify(raw, f"{token}.{stamp}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return "The signature does not match the partner's public key"
    return ""


def login_router(auth: Authenticator, tenant: str) -> APIRouter:
    """``/login/common/oauth/{authorize,tokens}`` and ``/Login/api/PartnerSystemUser/Authenticate``."""
    router = APIRouter()
    demo, sessions = auth.demo, auth.sessions

    @router.get("/login/common/oauth/authorize")
    def authorize(client_id: str, redirect_uri: str, response_type: str = "code", state: str = "") -> RedirectResponse:
        """Simulated consent: a known client is redirected straight back with a code."""
        if client_id != demo.client_id or response_type != "code":
            raise SoError(400, "unknown client_id or unsupported response_type")
        code = sessions.new_code(client_id, redirect_uri)
        query = urlencode({"code": code, "state": state})
        return RedirectResponse(f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}", status_code=302)

    @router.post("/login/common/oauth/tokens")
    async def tokens(request: Request) -> JSONResponse:
        form = await read_form(request)
        client_id, client_secret = _client_credentials(request, form)
        if client_id != demo.client_id or not hmac.compare_digest(client_secret, demo.client_secret):
            return _oauth_error("invalid_client", 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            taken = sessions.take_code(str(form.get("code", "")))
            if taken is None or (form.get("redirect_uri") and form.get("redirect_uri") != taken[1]):
                return _oauth_error("invalid_grant", 400)
            body = _token_body(auth, tenant, request)
            body["refresh_token"] = sessions.new_refresh(client_id)
            return JSONResponse(body)
        if grant_type == "refresh_token":
            if sessions.refresh_client(str(form.get("refresh_token", ""))) != client_id:
                return _oauth_error("invalid_grant", 400)
            return JSONResponse(_token_body(auth, tenant, request))
        return _oauth_error("unsupported_grant_type", 400)

    @router.post("/Login/api/PartnerSystemUser/Authenticate")
    async def system_user(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"IsSuccessful": False, "ErrorMessage": "Body must be a JSON object"}, 400)
        reason = _system_user_reason(body, demo, tenant)
        if reason:
            return JSONResponse({"IsSuccessful": False, "Token": None, "ErrorMessage": reason}, 401)
        claims = {CLAIMS + "ticket": sessions.new_ticket(), CLAIMS + "ctx": tenant, "exp": int(time.time()) + 3600}
        return JSONResponse({"IsSuccessful": True, "Token": make_jwt(claims, demo.client_secret), "ErrorMessage": ""})

    return router


async def read_form(request: Request) -> dict[str, str]:
    """A form-encoded body (parsed here: no multipart dependency for the simulator)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def _system_user_reason(body: dict, demo: DemoCredentials, tenant: str) -> str:
    if body.get("ApplicationToken") != demo.client_secret:
        return "Unknown ApplicationToken"
    if body.get("ContextIdentifier") != tenant:
        return f"Unknown ContextIdentifier {body.get('ContextIdentifier')!r}"
    return verify_system_token(str(body.get("SignedSystemToken", "")), demo.system_user_token, demo.public_key_pem)


def _client_credentials(request: Request, form: dict) -> tuple[str, str]:
    """client_secret_post or client_secret_basic, both documented."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(value).decode().partition(":")
            return client_id, secret
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
    return str(form.get("client_id", "")), str(form.get("client_secret", ""))


def _token_body(auth: Authenticator, tenant: str, request: Request) -> dict[str, object]:
    base = str(request.base_url).rstrip("/")
    claims = {
        "sub": auth.demo.username,
        CLAIMS + "ctx": tenant,
        CLAIMS + "webapi_url": f"{base}/{tenant}/api/",
        CLAIMS + "system_token": auth.demo.system_user_token,
        "exp": int(time.time() + auth.sessions.token_ttl),
    }
    return {
        "token_type": "Bearer",
        "access_token": auth.sessions.new_token(tenant),
        "expires_in": int(auth.sessions.token_ttl),
        "id_token": make_jwt(claims, auth.demo.client_secret),
    }


def _oauth_error(error: str, status: int) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status)
