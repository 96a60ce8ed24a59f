"""The simulator's fixed demo credentials (public on purpose: they only open a local simulator).

Rule: these are the only credentials the simulator accepts; they are documented in ``sluice simulate
superoffice --help`` and used by tests and the README. Never reuse them for a real tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources


def _pem(name: str) -> str:
    return resources.files("sluice.simulators.superoffice").joinpath(name).read_text()


@dataclass(frozen=True)
class DemoCredentials:
    """OAuth client, system-user token and key pair, onsite user: what a client needs to sign in."""

    client_id: str = "sluice-demo-client"
    client_secret: str = field(default="sluice-demo-secret", repr=False)
    redirect_uri: str = "http://127.0.0.1/callback"
    system_user_token: str = field(default="SluiceDemo-7Qm2xV9pL4", repr=False)
    username: str = "sluice"
    password: str = field(default="sluice-demo-password", repr=False)
    tenant: str = "Cust12345"

    @property
    def private_key_pem(self) -> str:
        """The partner's RSA private key that signs the system-user token (demo only)."""
        return _pem("demo_key.pem")

    @property
    def public_key_pem(self) -> str:
        """The key the simulator verifies signed system-user tokens with."""
        return _pem("demo_key.pub.pem")


DEMO = DemoCredentials()
