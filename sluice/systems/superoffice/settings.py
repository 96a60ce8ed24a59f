"""Where the SuperOffice tenant is and how to sign in: one frozen value built from explicit
arguments or from the environment.

Rule: secrets are held as ``Secret`` from the moment they are read; nothing here performs I/O
except reading a private-key file named by ``SLUICE_SUPEROFFICE_PRIVATE_KEY``.

Environment variables (all optional except the URL and what the chosen auth kind needs):

=====================================  ==============================================================
``SLUICE_SUPEROFFICE_URL``             the tenant URL as SuperOffice gives it, e.g.
                                       ``https://online.superoffice.com/Cust12345`` (``/api/v1`` is
                                       appended by the client)
``SLUICE_SUPEROFFICE_AUTH``            ``oauth`` (default), ``system_user``, ``ticket`` or ``basic``
``SLUICE_SUPEROFFICE_CLIENT_ID``       OAuth application id (oauth)
``SLUICE_SUPEROFFICE_CLIENT_SECRET``   OAuth client secret; also the ``SO-AppToken`` (oauth,
                                       system_user, ticket)
``SLUICE_SUPEROFFICE_REFRESH_TOKEN``   long-lived refresh token from the code flow (oauth)
``SLUICE_SUPEROFFICE_SYSTEM_USER_TOKEN``  the ``system_token`` claim given at consent (system_user)
``SLUICE_SUPEROFFICE_PRIVATE_KEY``     partner RSA private key, PEM text or a path to it (system_user)
``SLUICE_SUPEROFFICE_TICKET``          a ready SOTicket (ticket)
``SLUICE_SUPEROFFICE_USERNAME``        user name (basic, onsite only)
``SLUICE_SUPEROFFICE_PASSWORD``        password (basic, onsite only)
``SLUICE_SUPEROFFICE_LOGIN_URL``       login root override; default: scheme and host of the tenant URL
=====================================  ==============================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sluice.errors import ConfigError
from sluice.secrets import Secret

ENV_PREFIX = "SLUICE_SUPEROFFICE_"
AUTH_KINDS = ("oauth", "system_user", "ticket", "basic")

# auth kind -> settings fields it cannot work without
REQUIRED = {
    "oauth": ("client_id", "client_secret", "refresh_token"),
    "system_user": ("client_secret", "system_user_token", "private_key"),
    "ticket": ("ticket",),
    "basic": ("username", "password"),
}


@dataclass(frozen=True)
class SuperOfficeSettings:
    """Tenant URL, auth kind and credentials. ``validate()`` runs on construction, so a bad
    configuration fails at start with the name of what is missing (never a value)."""

    url: str
    auth: str = "oauth"
    client_id: str | None = None
    client_secret: Secret | None = field(default=None, repr=False)
    refresh_token: Secret | None = field(default=None, repr=False)
    system_user_token: Secret | None = field(default=None, repr=False)
    private_key: Secret | None = field(default=None, repr=False)
    ticket: Secret | None = field(default=None, repr=False)
    username: str | None = None
    password: Secret | None = field(default=None, repr=False)
    login_url: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"SuperOffice URL must be http(s)://host/<tenant>, got {self.url!r}")
        if self.auth not in AUTH_KINDS:
            raise ConfigError(f"SuperOffice auth must be one of {', '.join(AUTH_KINDS)}, got {self.auth!r}")
        missing = [name for name in REQUIRED[self.auth] if not getattr(self, name)]
        if missing:
            names = ", ".join(ENV_PREFIX + name.upper() for name in missing)
            raise ConfigError(f"SuperOffice auth {self.auth!r} needs {names}")

    @property
    def tenant_url(self) -> str:
        return tenant_base(self.url)

    @property
    def api_url(self) -> str:
        return api_url(self.url)

    @property
    def context_identifier(self) -> str:
        return context_identifier(self.url)

    @property
    def login_root(self) -> str:
        return login_root(self.url, self.login_url)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SuperOfficeSettings:
        """Read every ``SLUICE_SUPEROFFICE_*`` variable; raise ConfigError naming what is missing."""
        env = os.environ if environ is None else environ

        def text(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name, "").strip()
            return value or None

        def secret(name: str) -> Secret | None:
            value = text(name)
            return Secret(value) if value else None

        url = text("URL")
        if not url:
            raise ConfigError(f"the environment variable {ENV_PREFIX}URL is not set")
        return cls(
            url=url,
            auth=(text("AUTH") or "oauth").lower(),
            client_id=text("CLIENT_ID"),
            client_secret=secret("CLIENT_SECRET"),
            refresh_token=secret("REFRESH_TOKEN"),
            system_user_token=secret("SYSTEM_USER_TOKEN"),
            private_key=load_private_key(text("PRIVATE_KEY")),
            ticket=secret("TICKET"),
            username=text("USERNAME"),
            password=secret("PASSWORD"),
            login_url=text("LOGIN_URL"),
        )


def tenant_base(url: str) -> str:
    """The tenant URL without a trailing slash or an ``/api``/``/api/v1`` suffix."""
    base = url.strip().rstrip("/")
    for suffix in ("/api/v1", "/api"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
    return base


def api_url(url: str) -> str:
    """``{tenant}/api/v1``: where every REST and agent path hangs."""
    return f"{tenant_base(url)}/api/v1"


def context_identifier(url: str) -> str:
    """The tenant id (``Cust12345``): the last path segment of the tenant URL."""
    return urlsplit(tenant_base(url)).path.rstrip("/").rsplit("/", 1)[-1]


def login_root(url: str, override: str | None = None) -> str:
    """Where tokens, tickets and tenant state come from: the override, else scheme + host."""
    if override:
        return override.rstrip("/")
    parts = urlsplit(tenant_base(url))
    return f"{parts.scheme}://{parts.netloc}"


def load_private_key(value: str | None) -> Secret | None:
    """PEM text as given, or the contents of the file it names (so keys can live in a mounted file)."""
    if not value:
        return None
    if "-----BEGIN" in value:
        return Secret(value.replace("\\n", "\n"))
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(f"{ENV_PREFIX}PRIVATE_KEY is neither PEM text nor a readable file")
    return Secret(path.read_text())
