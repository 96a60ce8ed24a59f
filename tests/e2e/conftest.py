"""Both simulators on 127.0.0.1 and a project wired to them: the fixtures of the end-to-end sync tests.

Each test gets fresh simulators (seeding a few dozen records takes milliseconds) and its own
dataset root, so tests never see each other's edits. Clients use short retry delays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from sluice.config import load_config
from sluice.project import Project
from sluice.secrets import Secret
from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.http import RetryPolicy
from sluice.systems.superoffice import BasicAuth, SuperOfficeClient

REPO = Path(__file__).resolve().parents[2]
FAST_RETRY = RetryPolicy(attempts=10, base=0.005, cap=0.05, max_retry_after=0.05)


@dataclass
class Systems:
    """The two simulators, served, with small helpers to edit records as a user of each system would."""

    superoffice: SuperOfficeSimulator
    shop: CustomwebshopSimulator
    so_server: ServerThread
    shop_server: ServerThread

    @property
    def tenant_url(self) -> str:
        return f"{self.so_server.url}/{self.superoffice.tenant}"

    @property
    def so_api(self) -> str:
        return f"{self.tenant_url}/api/v1"

    @property
    def shop_api(self) -> str:
        return f"{self.shop_server.url}/api/v1"

    def so(self) -> requests.Session:
        session = requests.Session()
        session.auth = (DEMO.username, DEMO.password)
        session.headers["Accept"] = "application/json"
        return session

    def shop_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {DEMO_API_KEY}", "Accept": "application/json"})
        return session

    def env(self, datasets: Path) -> dict[str, str]:
        """The ``SLUICE_*`` variables an operator would export to point Sluice at these two systems."""
        return {
            "SLUICE_SUPEROFFICE_URL": self.tenant_url,
            "SLUICE_SUPEROFFICE_AUTH": "basic",
            "SLUICE_SUPEROFFICE_USERNAME": DEMO.username,
            "SLUICE_SUPEROFFICE_PASSWORD": DEMO.password,
            "SLUICE_CUSTOMWEBSHOP_URL": self.shop_server.url,
            "SLUICE_CUSTOMWEBSHOP_API_KEY": DEMO_API_KEY,
            "SLUICE_DATASETS": str(datasets),
            "SLUICE_PROJECT": str(REPO),
        }

    def project(self, root: Path, *, retry: RetryPolicy = FAST_RETRY) -> Project:
        so_client = SuperOfficeClient(
            self.tenant_url, BasicAuth(DEMO.username, Secret(DEMO.password)), retry=retry, workers=4
        )
        shop_client = CustomwebshopClient(self.shop_server.url, DEMO_API_KEY, retry=retry)
        clients = {"superoffice": so_client, "customwebshop": shop_client}
        return Project(load_config(REPO, datasets=root), clients=clients)

    # -- edits, as a user of each system makes them --------------------------------------------

    def contact(self, contact_id: int | str) -> dict[str, Any]:
        response = self.so().get(f"{self.so_api}/Contact/{contact_id}")
        response.raise_for_status()
        return response.json()

    def edit_contact(self, contact_id: int | str, **changes: Any) -> dict[str, Any]:
        response = self.so().patch(f"{self.so_api}/Contact/{contact_id}", json=changes)
        response.raise_for_status()
        return response.json()

    def delete_contact(self, contact_id: int | str) -> None:
        self.so().delete(f"{self.so_api}/Contact/{contact_id}").raise_for_status()

    def create_contact(self, **values: Any) -> dict[str, Any]:
        session = self.so()
        body = session.get(f"{self.so_api}/Contact/default").json()
        body.update(values)
        response = session.post(f"{self.so_api}/Contact", json=body)
        response.raise_for_status()
        return response.json()

    def contact_ids(self) -> list[int]:
        rows = self.so().get(f"{self.so_api}/Contact", params={"$select": "contactId", "$top": 100000}).json()
        return sorted(int(r["PrimaryKey"]) for r in rows["value"])

    def customers(self, include_deleted: bool = False) -> list[dict[str, Any]]:
        session, out, cursor = self.shop_session(), [], None
        while True:
            params = {"limit": 1000, "include_deleted": str(include_deleted).lower()}
            if cursor:
                params["cursor"] = cursor
            page = session.get(f"{self.shop_api}/customers", params=params).json()
            out.extend(page["data"])
            cursor = page.get("next_cursor")
            if not cursor:
                return out

    def customer(self, customer_id: int | str) -> dict[str, Any]:
        response = self.shop_session().get(f"{self.shop_api}/customers/{customer_id}")
        response.raise_for_status()
        return response.json()

    def edit_customer(self, customer_id: int | str, **patch: Any) -> dict[str, Any]:
        response = self.shop_session().patch(f"{self.shop_api}/customers/{customer_id}", json=patch)
        response.raise_for_status()
        return response.json()

    def writes(self) -> tuple[int, int]:
        """Write requests each simulator answered since the last reset: (SuperOffice, shop)."""
        so = requests.get(f"{self.so_server.url}/_admin/stats").json()["writes"]
        shop = requests.get(f"{self.shop_server.url}/_admin/stats").json()["writes"]
        return so, shop

    def reset_stats(self) -> None:
        requests.delete(f"{self.so_server.url}/_admin/stats")
        requests.delete(f"{self.shop_server.url}/_admin/stats")

    def faults(self, **settings: Any) -> None:
        for server in (self.so_server, self.shop_server):
            requests.put(f"{server.url}/_admin/faults", json=settings).raise_for_status()

    def clear_faults(self) -> None:
        for server in (self.so_server, self.shop_server):
            requests.delete(f"{server.url}/_admin/faults").raise_for_status()

    def stop(self) -> None:
        self.so_server.stop()
        self.shop_server.stop()


def start_systems(contacts: int = 30, customers: int = 8, seed: int = 5) -> tuple[Systems, list[ServerThread]]:
    so = SuperOfficeSimulator(contacts=contacts, seed=seed, auth="basic")
    shop = CustomwebshopSimulator(customers=customers, seed=seed)
    servers = [ServerThread(so.app).start(), ServerThread(shop.app).start()]
    return Systems(so, shop, servers[0], servers[1]), servers


@pytest.fixture
def systems() -> Iterator[Systems]:
    sims, servers = start_systems()
    yield sims
    for server in servers:
        server.stop()


@pytest.fixture
def project(systems: Systems, tmp_path: Path) -> Iterator[Project]:
    with systems.project(tmp_path / "datasets") as proj:
        yield proj
