"""SuperOffice CRM WebAPI simulator: a seeded tenant over real HTTP (FastAPI + SQLite).

Public API: ``SuperOfficeSimulator`` (``.app``, ``.faults``, ``.tenant``), ``DEMO`` (demo credentials),
``sign_system_token`` (for the system-user flow) and ``seed.companies`` (stable seed interface).
"""

from sluice.simulators.superoffice.app import SuperOfficeSimulator, create_app
from sluice.simulators.superoffice.auth import AUTH_MODES, sign_system_token
from sluice.simulators.superoffice.credentials import DEMO, DemoCredentials

__all__ = ["AUTH_MODES", "DEMO", "DemoCredentials", "SuperOfficeSimulator", "create_app", "sign_system_token"]
