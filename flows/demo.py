"""``make demo``: both simulators on 127.0.0.1, the ``sync`` flow, edits on each side, ``sync`` again.

Rule: the demo drives Sluice only the way a user would: simulators over HTTP, configuration
through ``SLUICE_*`` environment variables, the Prefect ``sync`` flow. Its data stays under
``.demo/`` (datasets and the Prefect database), where the notebooks and ``make serve`` find it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from rich.console import Console

from flows import demo_orders
from flows.demo_orders import Apis, OrderEdits
from sluice.cli.sync import render_rows
from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import DEMO, SuperOfficeSimulator

REPO = Path(__file__).resolve().parents[1]
DEMO_DIR = REPO / ".demo"
DEMO_DATASETS = DEMO_DIR / "datasets"


@dataclass
class DemoSystems:
    """The two running simulators and the environment that points Sluice at them."""

    superoffice: ServerThread
    shop: ServerThread
    tenant: str

    @property
    def tenant_url(self) -> str:
        return f"{self.superoffice.url}/{self.tenant}"

    def env(self, datasets: Path) -> dict[str, str]:
        """What an operator would export for a real tenant and shop; here the simulators' demo credentials."""
        return {
            "SLUICE_SUPEROFFICE_URL": self.tenant_url,
            "SLUICE_SUPEROFFICE_AUTH": "system_user",
            "SLUICE_SUPEROFFICE_CLIENT_ID": DEMO.client_id,
            "SLUICE_SUPEROFFICE_CLIENT_SECRET": DEMO.client_secret,
            "SLUICE_SUPEROFFICE_SYSTEM_USER_TOKEN": DEMO.system_user_token,
            "SLUICE_SUPEROFFICE_PRIVATE_KEY": DEMO.private_key_pem,
            "SLUICE_CUSTOMWEBSHOP_URL": self.shop.url,
            "SLUICE_CUSTOMWEBSHOP_API_KEY": DEMO_API_KEY,
            "SLUICE_DATASETS": str(datasets),
            "SLUICE_PROJECT": str(REPO),
        }


@contextmanager
def simulators(contacts: int = 300, customers: int = 12, seed: int = 42) -> Iterator[DemoSystems]:
    """A seeded SuperOffice tenant (system-user auth) and a shop whose customers partly match it by e-mail."""
    so = SuperOfficeSimulator(contacts=contacts, seed=seed, auth="ticket")
    shop = CustomwebshopSimulator(customers=customers, seed=seed)
    with ServerThread(so.app) as so_server, ServerThread(shop.app) as shop_server:
        yield DemoSystems(so_server, shop_server, so.tenant)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def prefect_settings() -> dict[str, str]:
    """A Prefect home inside .demo/, no telemetry, and patience for the temporary server on a busy machine."""
    (DEMO_DIR / "prefect").mkdir(parents=True, exist_ok=True)
    return {
        "PREFECT_HOME": str(DEMO_DIR / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
    }


DEMO_FLOWS = ["contact_customer", "product_product", "sale_order", "quoteline_orderline"]
"""The demo syncs products, orders and their lines too (``sluice.toml`` ships those flows disabled); the registry
runs each flow after those it reads links from (orders after contacts and products, lines after orders)."""


def _sessions(systems: DemoSystems) -> tuple[requests.Session, requests.Session]:
    """A CRM user's session (system-user ticket) and the shop's API session."""
    so = requests.Session()
    so.headers.update({"Accept": "application/json"})
    token = _system_user_ticket(systems)
    so.headers.update({"Authorization": f"SOTicket {token}", "SO-AppToken": DEMO.client_secret})
    shop = requests.Session()
    shop.headers.update({"Authorization": f"Bearer {DEMO_API_KEY}"})
    return so, shop


def _linked(shop: requests.Session, systems: DemoSystems, resource: str, ref: str) -> dict[str, dict]:
    """The shop's records of ``resource`` that carry a SuperOffice reference, by that reference."""
    records = shop.get(f"{systems.shop.url}/api/v1/{resource}", params={"limit": 1000}).json()["data"]
    return {r["external_refs"][ref]: r for r in records if (r.get("external_refs") or {}).get(ref)}


def edit_both_sides(systems: DemoSystems) -> list[str]:
    """A user's morning: renames and a phone number in the CRM, a web shop edit, and one field edited on both."""
    so, shop = _sessions(systems)
    api = f"{systems.tenant_url}/api/v1"
    customers = _linked(shop, systems, "customers", "superoffice_contact_id")
    edits = []
    for contact_id, name in ((1, "Nordlys Energi AS"), (2, "Fjellvann Bryggeri AS")):
        so.patch(f"{api}/Contact/{contact_id}", json={"Name": name}).raise_for_status()
        edits.append(f"SuperOffice: contact {contact_id} renamed to {name!r}")
    so.patch(f"{api}/Contact/3", json={"Department": "Innkjøp og logistikk"}).raise_for_status()
    edits.append("SuperOffice: contact 3 department set to 'Innkjøp og logistikk'")
    customer = customers["4"]
    shop.patch(f"{systems.shop.url}/api/v1/customers/{customer['id']}", json={"phone": "+47 22 33 44 55"})
    edits.append(f"shop: customer {customer['id']} (contact 4) phone set to '+47 22 33 44 55'")
    so.patch(f"{api}/Contact/5", json={"Name": "Edited in the CRM AS"}).raise_for_status()
    customer = customers["5"]
    shop.patch(f"{systems.shop.url}/api/v1/customers/{customer['id']}", json={"company_name": "Edited in the shop AS"})
    edits.append("both: contact 5 / its customer renamed on each side (a conflict; the later edit wins)")
    return edits


def edit_products(systems: DemoSystems) -> list[str]:
    """A price changed in the CRM (a whole-product PUT, as SuperOffice saves products) and a name in the shop."""
    so, shop = _sessions(systems)
    api = f"{systems.tenant_url}/api/v1"
    products = _linked(shop, systems, "products", "superoffice_product_id")
    first, second = sorted(products, key=int)[:2]
    carrier = so.get(f"{api}/Product/{first}").json()
    price = round(float(carrier["UnitListPrice"]) * 1.1, 2)
    so.put(f"{api}/Product/{first}", json={**carrier, "UnitListPrice": price}).raise_for_status()
    edits = [f"SuperOffice: product {first} ({carrier['Code']}) price {carrier['UnitListPrice']} -> {price}"]
    name = f"{products[second]['name']} (web edition)"
    shop.patch(f"{systems.shop.url}/api/v1/products/{products[second]['id']}", json={"name": name})
    edits.append(f"shop: product {products[second]['id']} (SuperOffice product {second}) renamed to {name!r}")
    return edits


def order_apis(systems: DemoSystems) -> Apis:
    """The CRM user's and the shop's sessions, for the order edits (``flows.demo_orders``)."""
    so, shop = _sessions(systems)
    return Apis(so, shop, systems.tenant_url, systems.shop.url)


def edit_orders(systems: DemoSystems) -> OrderEdits:
    return demo_orders.edit_orders(order_apis(systems))


def _system_user_ticket(systems: DemoSystems) -> str:
    from sluice.simulators.superoffice import sign_system_token

    signed = sign_system_token(DEMO.system_user_token, DEMO.private_key_pem)
    answer = requests.post(
        f"{systems.superoffice.url}/Login/api/PartnerSystemUser/Authenticate",
        json={"SignedSystemToken": signed, "ApplicationToken": DEMO.client_secret,
              "ContextIdentifier": systems.tenant, "ReturnTokenType": "Ticket"},
    )  # fmt: skip
    answer.raise_for_status()
    body = answer.json()
    return body.get("Ticket") or _ticket_from_jwt(body["Token"])


def _ticket_from_jwt(token: str) -> str:
    import base64
    import json

    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims["http://schemes.superoffice.net/identity/ticket"]


def render(summary: dict[str, Any], title: str, console: Console) -> None:
    from flows.sync import summary_rows

    datasets, sinks = summary_rows(summary)
    render_rows(datasets, sinks, summary["flows"], console, summary["dry_run"], title)


def run_demo(console: Console, fresh: bool = True) -> dict[str, Any]:
    """The whole demo; returns the second sync's summary."""
    if fresh and DEMO_DATASETS.exists():
        shutil.rmtree(DEMO_DATASETS)
    with environment(prefect_settings()):
        from flows.sync import sync

        with simulators() as systems, environment(systems.env(DEMO_DATASETS)):
            console.print(f"SuperOffice simulator: {systems.tenant_url}   shop simulator: {systems.shop.url}")
            console.print("[bold]1. first sync[/bold] (a temporary Prefect server starts first; it can take a while)")
            render(sync(flows=DEMO_FLOWS), "first sync", console)
            console.print("[bold]2. edits on both sides[/bold]")
            orders = edit_orders(systems)
            for line in edit_both_sides(systems) + edit_products(systems) + orders.done:
                console.print(f"  - {line}")
            console.print("[bold]3. second sync[/bold]")
            summary = sync(flows=DEMO_FLOWS)
            render(summary, "second sync", console)
            console.print("[bold]4. the order edits, read back from both systems[/bold]")
            for line in demo_orders.read_back(order_apis(systems), orders):
                console.print(f"  - {line}")
    console.print(f"Datasets are in {DEMO_DATASETS}; inspect them with `SLUICE_DATASETS={DEMO_DATASETS} "
                  "sluice datasets list` or `make notebooks`.")  # fmt: skip
    return summary


def ensure_demo_data() -> Path:
    """The demo's dataset root, running the demo first when it holds nothing yet (for the notebooks)."""
    if not (DEMO_DATASETS / "link_sale_order").exists():  # none yet, or from a demo before it synced orders
        run_demo(Console(quiet=True))
    return DEMO_DATASETS


if __name__ == "__main__":
    run_demo(Console(width=max(120, shutil.get_terminal_size().columns)))
