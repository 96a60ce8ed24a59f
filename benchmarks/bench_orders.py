"""Sale + Quotealternative + Quoteline ↔ Order end to end: a first sync of ``sales`` sales that all carry a quote,
then an incremental one after ``edits`` line edits on each side.

The tenant is the seeded one with every sale quoted and one to five lines per alternative (the simulator's
``QUOTE_SHARE`` and ``MAX_LINES``, set in the child process that serves it), so 2,000 sales carry about 10,000
lines in their active quote versions. The order flow reads the contact links and the line flow the order links, so
each run syncs the contact and product flows too (the registry orders them); the figures are the whole run's.

Cases (each paired with a baseline from the same run):
* ``first sync``: wall seconds vs the clients' HTTP time, and the share of wall time with a request in flight;
  requests vs the sales (the quote tree is read per sale through the Quote agent).
* ``settle sync``: the run after it, which reads the created orders back once: requests vs the first sync.
* ``incremental``: after ``edits`` quote-line quantities changed in SuperOffice (``SaveQuoteLine`` and one
  ``RecalculateQuoteAlternative``, as a user's save does) and ``edits`` line quantities changed in the shop (one
  PATCH of the order's lines each, on orders whose quote version is a draft, so SuperOffice takes them): requests
  per edit, requests and wall vs the first sync, HTTP share of its wall time.

``python -m benchmarks orders --quick`` runs a small tenant (100 sales, 5 edits a side) in well under a minute.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import requests

from benchmarks.bench_sync import Run, Servers, measured_sync, open_project, simulators
from benchmarks.common import Result
from sluice.project import Project
from sluice.simulators.customwebshop import DEMO_API_KEY
from sluice.simulators.superoffice import DEMO

BENCH = "orders"
FLOWS = ["contact_customer", "product_product", "sale_order", "quoteline_orderline"]
ORDERS = "sale_order"
LINES = "quoteline_orderline"

SERVE = """
import json, sys
import sluice.simulators.superoffice.populate_quotes as quotes
quotes.QUOTE_SHARE, quotes.MAX_LINES = 1.0, 5  # every sale quoted, 1-5 lines per alternative
from sluice.simulators.runner import ServerThread
from sluice.simulators.customwebshop import CustomwebshopSimulator
from sluice.simulators.superoffice import SuperOfficeSimulator
contacts = int(sys.argv[1])
so = SuperOfficeSimulator(seed=0, contacts=contacts, auth="basic")
shop = CustomwebshopSimulator(seed=0, customers=max(5, contacts // 50))
so_server, shop_server = ServerThread(so.app).start(), ServerThread(shop.app).start()
print(json.dumps({"so": so_server.url, "tenant": so.tenant, "shop": shop_server.url}), flush=True)
sys.stdin.read()
"""


def sessions() -> tuple[requests.Session, requests.Session]:
    so, shop = requests.Session(), requests.Session()
    so.auth = (DEMO.username, DEMO.password)
    shop.headers["Authorization"] = f"Bearer {DEMO_API_KEY}"
    return so, shop


def active_lines(project: Project) -> int:
    """Lines of the synced orders (the active versions' alternatives): the line flow's SuperOffice rows."""
    return int(project.store.current(f"{LINES}_superoffice").aggregate("count(*)").fetchall()[0][0])


def make_edits(servers: Servers, project: Project, edits: int) -> tuple[int, int]:
    """``edits`` quote-line quantities in SuperOffice and ``edits`` shop line quantities, each on its own order
    (the shop's on orders not confirmed: their quote version is a draft); returns the edits made (CRM, shop)."""
    rows = [r for r in project.links(ORDERS).to_pylist() if r["status"] == "active"]
    links = sorted((tuple(int(x) for x in r["a_id"].split(":")[1:]), r["b_id"]) for r in rows)
    so, shop = sessions()
    agent = f"{servers.tenant_url}/api/v1/Agents/Quote"
    shop_api = f"{servers.shop}/api/v1/orders"
    made = {"crm": 0, "shop": 0}
    for _, order_id in links[:: max(1, len(links) // (4 * edits))]:
        side = "crm" if made["crm"] <= made["shop"] else "shop"
        if made[side] == edits:
            break
        order = shop.get(f"{shop_api}/{order_id}").json()
        if not order["lines"] or (side == "shop" and order["status"] in ("confirmed", "completed")):
            continue
        if side == "crm":
            alternative = int(order["external_refs"]["superoffice_quotealternative_id"])
            lines = so.post(f"{agent}/GetQuoteLines", json={"QuoteAlternativeId": alternative}).json()
            line = min(lines, key=lambda x: x["Rank"])
            saved = {**line, "Quantity": float(line["Quantity"]) + 1}
            so.post(f"{agent}/SaveQuoteLine", json={"QuoteLine": saved}).raise_for_status()
            so.post(f"{agent}/RecalculateQuoteAlternative", json={"QuoteAlternative": alternative}).raise_for_status()
        else:
            body = [{k: v for k, v in x.items() if k != "line_total"} for x in order["lines"]]
            body[-1]["quantity"] = f"{float(body[-1]['quantity']) + 1:g}"
            shop.patch(f"{shop_api}/{order_id}", json={"lines": body}).raise_for_status()
        made[side] += 1
    return made["crm"], made["shop"]


def run(quick: bool) -> list[Result]:
    contacts, edits = (100, 5) if quick else (2_000, 50)
    with (
        simulators(contacts, serve=SERVE) as servers,
        tempfile.TemporaryDirectory() as tmp,
        open_project(servers, Path(tmp) / "datasets") as project,
    ):
        first = measured_sync(project, servers, FLOWS)
        orders = len([r for r in project.links(ORDERS).to_pylist() if r["status"] == "active"])
        sales = int(project.store.current("superoffice_sale").aggregate("count(*)").fetchall()[0][0])
        lines = active_lines(project)
        settle = measured_sync(project, servers, FLOWS)
        made = make_edits(servers, project, edits)
        incremental = measured_sync(project, servers, FLOWS)
    return results(sales, orders, lines, made, first, settle, incremental)


def results(
    sales: int, orders: int, lines: int, made: tuple[int, int], first: Run, settle: Run, incremental: Run
) -> list[Result]:
    size = f"{sales} quoted sales ({orders} orders, {lines} lines)"
    edits = sum(made)
    per_side = f"{made[0]} CRM + {made[1]} shop line edits"
    http = "HTTP time (client stats, summed over threads)"
    return [
        Result(BENCH, f"first sync, {size}", first.wall, "s", first.http, http,
               f"{first.writes} writes; {first.by_system[0]} SuperOffice + {first.by_system[1]} shop requests"),
        Result(BENCH, "first sync: HTTP in flight", first.in_flight, "s", first.wall, "first sync wall",
               f"engine alone {first.wall - first.in_flight:.2f} s"),
        Result(BENCH, "first sync: requests", first.requests, "requests", sales, "sales"),
        Result(BENCH, "settle sync (reads the orders back)", settle.requests, "requests", first.requests,
               "first sync requests", f"{settle.writes} writes, {settle.wall:.2f} s"),
        Result(BENCH, f"incremental, {per_side}: requests", incremental.requests, "requests", edits, "edits",
               f"{incremental.writes} writes; {incremental.by_system[0]} SuperOffice + {incremental.by_system[1]} "
               "shop requests"),
        Result(BENCH, "incremental: requests vs first sync", incremental.requests, "requests", first.requests,
               "first sync requests"),
        Result(BENCH, "incremental: wall vs first sync", incremental.wall, "s", first.wall, "first sync wall"),
        Result(BENCH, "incremental: HTTP in flight", incremental.in_flight, "s", incremental.wall,
               "incremental wall", f"engine alone {incremental.wall - incremental.in_flight:.2f} s"),
    ]  # fmt: skip


if __name__ == "__main__":
    print(json.dumps([r.as_dict() for r in run("--quick" in sys.argv)], indent=2))
