"""The Sale ↔ Order header adapter: shop users change an order's status and title, SuperOffice users edit a sale's
heading and status, create sales and delete them; shop users delete orders. After each clean sync the flow's
invariants are checked over HTTP.

Rule: header fields only (status, title: the two that go both ways), so the adapter stays valid while quote
lines become two-way; lines, totals and quote versions are the e2e tests' (tests/e2e/test_sale_order_sync.py).
The edits are modelled by ``edits.EditLog`` per order (``sale:<SaleId>:<ordinal>``); a sale edit is an edit of
each of its orders. Status compares in SuperOffice's vocabulary, as the pipes do (``completed`` reads as Sold).
Orders of a sale whose contact has no active Contact ↔ Customer link wait by design and are not judged; every
order is still held to "one order per key". A deleted sale is seen by a full pull, so a window with one ends in a
full clean sync (``wants_full``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sluice.project import Project
from tests.e2e.test_sale_order_sync import active_alternatives, sale_ids
from tests.soak.edits import EditLog, active_links, conflicts, dead_letters
from tests.soak.figures import DUPLICATE, Violation
from tests.soak.world import World, shop_records

FLOW = "sale_order"
FIELDS = ("status", "title")
TO_SALE = {"pending": "Open", "confirmed": "Sold", "completed": "Sold", "on_hold": "Stalled", "cancelled": "Lost"}
"""A shop status in SuperOffice's vocabulary (pipes/sale_order/flow.py ``SALE_STATUS``, as documented)."""
SALE_STATUSES = ("Open", "Sold", "Stalled", "Lost")
TITLES = ("Årlig fornyelse", "Ny avtale 🚀", "Rammeavtale «Nord»", "Café\u0301-leveranse", "two\nlines", "案件")


def sale_fields(sale: dict[str, Any]) -> dict[str, Any]:
    return {"status": sale.get("Status") or "Open", "title": sale.get("Heading") or None}


def order_fields(order: dict[str, Any]) -> dict[str, Any]:
    return {"status": TO_SALE.get(order.get("status") or "", order.get("status")), "title": order.get("title") or None}


def order_key(order: dict[str, Any]) -> str | None:
    return (order.get("external_refs") or {}).get("superoffice_sale_id")


@dataclass
class Model(EditLog):
    what: str = "order"
    actions: int = 0
    sales: set[str] = field(default_factory=set)
    """Every SuperOffice sale of the scenario, deleted ones included."""
    so_deleted: set[str] = field(default_factory=set)
    shop_deleted: set[str] = field(default_factory=set)
    """Order keys whose shop order a shop user deleted: their link closed, never re-created."""
    deleted_since_check: bool = False
    siblings: int = 0
    """Other orders of the sales a shop user edited an order of since the last check: one write each."""
    conflict_ids: set[str] = field(default_factory=set)

    def terms(self, name: str, value: Any) -> Any:
        """A status resolved in the shop's words (``"cancelled"``) read in SuperOffice's (``"Lost"``)."""
        return TO_SALE.get(value, value) if name == "status" else value


class SaleOrder:
    """The flow's adapter (see ``FlowAdapter``)."""

    name = FLOW
    enables: tuple[str, ...] = (FLOW,)

    def __init__(self, features: set[str]) -> None:
        self.features = features
        self.model = Model()
        self.serial = 0

    def begin(self, world: World) -> None:
        """The seeded sales are part of the scenario. Unless ``quoteless`` is on, a tenant whose sales have no
        quote at all gets one (on its first sale) before the first sync: with none, the order pipe fails."""
        self.model.story = world.story
        sales = sale_ids(world.systems)
        self.model.sales |= {str(s) for s in sales}
        if sales and "quoteless" not in self.features and not any(active_alternatives(world.systems, s) for s in sales):
            body = {"SaleId": sales[0], "ConnectionId": 0, "FirstAlternativeName": "Tilbud"}
            world.systems.so().post(
                f"{world.systems.so_api}/Agents/Quote/CreateAndSaveQuote", json=body
            ).raise_for_status()
            self.model.tell(f"  a quote for sale {sales[0]}: the tenant had none")

    def wants_full(self) -> bool:
        """A sale deleted since the last check is seen by a full pull only (hard delete)."""
        return self.model.deleted_since_check

    # -- both systems -------------------------------------------------------------------------

    def _sale(self, world: World, sale_id: str) -> dict[str, Any]:
        response = world.systems.so().get(f"{world.systems.so_api}/Sale/{sale_id}")
        response.raise_for_status()
        return response.json()

    def _orders(self, world: World) -> dict[str, dict[str, Any]]:
        """Live shop orders made by the sync, by key (the first of any duplicates: ``check`` reports those)."""
        out: dict[str, dict[str, Any]] = {}
        for order in shop_records(world, "orders"):
            key = order_key(order)
            if key and key not in out:
                out[key] = order
        return out

    def _live_sales(self) -> list[str]:
        return sorted(self.model.sales - self.model.so_deleted, key=int)

    # -- the users ----------------------------------------------------------------------------

    def act(self, world: World, rng: random.Random) -> str | None:
        actions = [(self._shop_edit, 40), (self._so_edit, 35), (self._so_create, 8)]
        actions += [(self._so_delete, 3), (self._shop_delete, 3)]
        action = rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        return action.__name__.strip("_").replace("_", " ") if action(world, rng) else None

    def clean_syncs(self) -> int:
        """Two after a shop edit of an order whose sale has others: the edit goes to the sale in the first run and
        from the sale to its other orders in the next (their pull reads the sale then); one otherwise."""
        return 2 if self.model.siblings else 1

    def write_budget(self) -> int:
        return self.model.actions + self.model.siblings

    def _shop_edit(self, world: World, rng: random.Random) -> bool:
        """A shop user changes an order's status and/or title. Two orders of one sale are not given different
        edits in one window: they share one sale, so the second write-back meets a 412 and needs another run."""
        orders = self._orders(world)
        edited: dict[str, set[str]] = {}
        for edit in self.model.edits:
            if edit.side == "shop":
                edited.setdefault(edit.record.split(":")[1], set()).add(edit.record)
        keys = sorted(
            k for k in orders if k not in self.model.shop_deleted and k.split(":")[1] not in self.model.so_deleted
        )
        keys = [k for k in keys if edited.get(k.split(":")[1], {k}) == {k}]
        if not keys:
            return False
        key = rng.choice(keys[:3] if rng.random() < 0.5 else keys)
        order = orders[key]
        patch: dict[str, Any] = {}
        for name in rng.sample(FIELDS, rng.randint(1, 2)):
            patch[name] = rng.choice(sorted(TO_SALE)) if name == "status" else rng.choice(TITLES)
        response = world.systems.shop_session().patch(f"{world.systems.shop_api}/orders/{order['id']}", json=patch)
        response.raise_for_status()
        after = order_fields(response.json())
        changed = self.model.record_edit("shop", key, order_fields(order), after, FIELDS)
        # The sale's other orders follow the fields the user changed, next run; only those: a field this order
        # still holds from before the sale's last change is no edit of the user's (seed 40372: a title edit on
        # an order whose status lagged the sale was read as a status edit of its sibling).
        for sibling in self._keys(world, key.split(":")[1]):
            if sibling != key and sibling in orders and sibling not in self.model.shop_deleted:
                self.model.record_edit("shop", sibling, order_fields(orders[sibling]), after, changed, source=key)
                self.model.siblings += 1
        self.model.actions += 1
        return True

    def _so_edit(self, world: World, rng: random.Random) -> bool:
        """A CRM user edits a sale's heading and/or status (a PATCH of the fields, as the client does)."""
        live = self._live_sales()
        if not live:
            return False
        sale_id = rng.choice(live[:3] if rng.random() < 0.5 else live)
        before = sale_fields(self._sale(world, sale_id))
        patch: dict[str, Any] = {}
        for name in rng.sample(FIELDS, rng.randint(1, 2)):
            patch["Status" if name == "status" else "Heading"] = (
                rng.choice(SALE_STATUSES) if name == "status" else rng.choice(TITLES)
            )
        response = world.systems.so().patch(f"{world.systems.so_api}/Sale/{sale_id}", json=patch)
        response.raise_for_status()
        after = sale_fields(response.json())
        keys = self._keys(world, sale_id)
        for key in keys:
            self.model.record_edit("superoffice", key, before, after, FIELDS)
        self.model.actions += len(keys)  # one order to update per alternative
        return True

    def _so_create(self, world: World, rng: random.Random) -> bool:
        """A new sale (no quote: one header-only order) for a contact the contact flow links."""
        with world.project() as project:
            contacts = sorted(active_links(project, "contact_customer"), key=int)
        if not contacts:
            return False
        session = world.systems.so()
        body = session.get(f"{world.systems.so_api}/Sale/default").json()
        body |= {"Contact": {"ContactId": int(rng.choice(contacts))}, "Heading": rng.choice(TITLES)}
        body |= {"Status": rng.choice(SALE_STATUSES), "Amount": float(rng.randrange(1000, 100000))}
        response = session.post(f"{world.systems.so_api}/Sale", json=body)
        response.raise_for_status()
        sale_id = str(response.json()["SaleId"])
        self.model.sales.add(sale_id)
        self.model.record_edit("superoffice", f"sale:{sale_id}:1", {}, sale_fields(response.json()), FIELDS)
        self.model.actions += 1
        return True

    def _so_delete(self, world: World, rng: random.Random) -> bool:
        live = self._live_sales()
        if len(live) < 3:
            return False
        sale_id = rng.choice(live)
        quoted = [s for s in live if active_alternatives(world.systems, int(s))]
        if quoted == [sale_id] and "delete_last_quote" not in self.features:
            return False  # the tenant's last quote: the next full pull's empty quote read trips the breaker
        keys = self._keys(world, sale_id)
        world.systems.so().delete(f"{world.systems.so_api}/Sale/{sale_id}").raise_for_status()
        self.model.so_deleted.add(sale_id)
        for key in keys:
            self.model.forget(key)
            self.model.base.pop(key, None)
        self.model.deleted_since_check = True
        self.model.tell(f"  so delete sale {sale_id}")
        self.model.actions += len(keys)  # each order is cancelled
        return True

    def _shop_delete(self, world: World, rng: random.Random) -> bool:
        orders = self._orders(world)
        keys = sorted(k for k in orders if k not in self.model.shop_deleted)
        if len(keys) < 3:
            return False
        key = rng.choice(keys)
        world.systems.shop_session().delete(f"{world.systems.shop_api}/orders/{orders[key]['id']}").raise_for_status()
        self.model.shop_deleted.add(key)
        self.model.forget(key)
        self.model.tell(f"  shop delete order {key}")
        self.model.actions += 1
        return True

    def _keys(self, world: World, sale_id: str) -> list[str]:
        """The order keys of a sale: one per alternative of its active quote version, or one without a quote."""
        count = len(active_alternatives(world.systems, int(sale_id))) or 1
        return [f"sale:{sale_id}:{n}" for n in range(1, count + 1)]

    # -- the invariants -----------------------------------------------------------------------

    def observe(self, world: World) -> None:
        """After an unchecked sync: edited fields both systems now agree on are settled (``EditLog.settle``)."""
        orders = self._orders(world)
        for key in sorted(self.model.pending() & orders.keys()):
            sale_id = key.split(":")[1]
            if sale_id not in self.model.so_deleted:
                self.model.settle(key, sale_fields(self._sale(world, sale_id)), order_fields(orders[key]), FIELDS)

    def check(self, world: World, project: Project) -> list[Violation]:
        everything = shop_records(world, "orders")
        links = active_links(project, FLOW)
        contact_links = active_links(project, "contact_customer")
        found = dead_letters(project, FLOW, "order") + self._one_each(everything, links)
        orders = self._orders(world)
        recorded = self._per_sale(conflicts(project, FLOW))
        for sale_id in self._live_sales():
            sale = self._sale(world, sale_id)
            contact = str((sale.get("Contact") or {}).get("ContactId") or "")
            if contact not in contact_links:
                continue  # waits for its customer, by design
            held = sale_fields(sale)
            for key in self._keys(world, sale_id):
                if key in self.model.shop_deleted:
                    continue
                order = orders.get(key)
                if order is None or links.get(key) != str(order["id"]):
                    found.append(Violation("one order per alternative", f"{key} has no linked live order"))
                    continue
                if str(order.get("customer_id")) != contact_links[contact]:
                    detail = f"{key} belongs to customer {order.get('customer_id')}, contact {contact}'s is "
                    found.append(Violation("the order's customer is the contact's", detail + contact_links[contact]))
                shown = order_fields(order)
                found += [
                    Violation("mapped fields equal", f"{key} {name}: {held[name]!r} vs {shown[name]!r}")
                    for name in FIELDS
                    if held[name] != shown[name]
                ]
                found += self.model.judge(key, held, FIELDS, recorded)
        for sale_id in sorted(self.model.so_deleted, key=int):
            for key, order in orders.items():
                if (
                    key.split(":")[1] == sale_id
                    and key not in self.model.shop_deleted
                    and order["status"] != "cancelled"
                ):
                    found.append(Violation("a deleted sale cancels its orders", f"{key} is {order['status']}"))
        return found + self.model.judge_settled(recorded)

    def _per_sale(self, recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The conflicts, each also under every other order key of its sale the model follows: a header field is
        the sale's, so a conflict the sync recorded on the order that carried it (seed 106: the shop's title on
        sale:11:2 won over the CRM's) decides the sale's other orders too, which take the value next run."""
        keys = {e.record for e in self.model.edits} | {s.record for s in self.model.settled}
        shared = list(recorded)
        for row in recorded:
            sale = str(row["a_id"]).split(":")[1:2]
            shared += [row | {"a_id": k} for k in sorted(keys) if k.split(":")[1:2] == sale and k != row["a_id"]]
        return shared

    def _one_each(self, everything: list[dict[str, Any]], links: dict[str, str]) -> list[Violation]:
        found = []
        per_key: dict[str, int] = {}
        for order in everything:
            if key := order_key(order):
                per_key[key] = per_key.get(key, 0) + 1
        found += [Violation(DUPLICATE, f"{k} has {n} shop orders") for k, n in sorted(per_key.items()) if n > 1]
        doubled = sorted({b for b in links.values() if list(links.values()).count(b) > 1})
        found += [Violation(DUPLICATE, f"shop order {b} is linked to several keys") for b in doubled]
        for key in sorted(self.model.shop_deleted):
            if key in links or key in per_key:
                found.append(Violation("a shop delete closes the link", f"{key} is linked or re-created"))
        return found

    def checkpoint(self, world: World, project: Project) -> int:
        base = {}
        for sale_id in self._live_sales():
            held = sale_fields(self._sale(world, sale_id))
            base |= {key: dict(held) for key in self._keys(world, sale_id)}
        self.model.restart(base)
        self.model.actions = self.model.siblings = 0
        self.model.deleted_since_check = False
        recorded = {row["_id"] for row in conflicts(project, FLOW)}
        new, self.model.conflict_ids = len(recorded - self.model.conflict_ids), recorded
        return new
