"""The Product ↔ Product adapter: SuperOffice users edit, create (in the synced price list and in another one),
take products out of assortment and back; shop users edit, deactivate, delete and create products. After each
clean sync the flow's invariants are checked over HTTP.

Rule: the edits are modelled by ``edits.EditLog``; this module holds the products' own rules, as the flow
documents them (pipes/product_product): one shop product per product of the price list in the shop's currency
(NOK), none for another list's; out of assortment makes the shop product inactive and back in reactivates it;
a shop deactivation is undone (``active`` goes to the shop only) and recorded as a conflict; a shop delete
closes the link and changes nothing in SuperOffice; a product born in the shop is never created in SuperOffice.
Numbers compare as decimals (money to 2 places), the flow's rule. SuperOffice products have no timestamps, so a
field edited on both sides goes to the shop's edit, recorded as a conflict.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sluice.project import Project
from tests.soak.edits import EditLog, active_links, conflicts, dead_letters
from tests.soak.figures import DUPLICATE, Violation
from tests.soak.world import World, shop_records

FLOW = "product_product"
_DECLARED = Project.open(Path(__file__).resolve().parents[2]).flow(FLOW)  # its declaration, as loaded
TWO_WAY = tuple(f.name for f in _DECLARED.fields if f.to_a and f.to_b)
SO_KEYS = {
    "sku": "Code", "name": "Name", "description": "Description", "price": "UnitListPrice", "cost": "UnitCost",
    "vat_rate": "VAT", "unit": "QuantityUnit", "category": "ProductCategoryKey", "stock_quantity": "InStock",
    "url": "Url",
}  # fmt: skip
MONEY = {"price", "cost", "vat_rate"}
EDITABLE = tuple(f for f in TWO_WAY if f != "sku")  # a new sku is a new match key: not a user edit here
HOT_FIELDS = ("name", "price", "description", "stock_quantity")
SYNCED_LIST, OTHER_LIST = "PL-NOK", "PL-SEK"

NAMES = ("Konsulenttime Pluss", "Støttepakke Ærlig", "Lisens 🚀 Pro", "Kabel 2 m", "Café\u0301-pakke", "製品テスト")
TEXTS = ("Levert på døra", "two\nlines", '«sitat» "quoted"', "Ünïcödé beskrivelse", "a")
UNITS = ("stk", "time", "kg", "m²")
CATEGORIES = ("Tjenester", "Maskinvare", "Lisenser", "Øl & Brus")


def _decimal(value: Any, places: str) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    return Decimal(str(value)).quantize(Decimal(places))


def _text(value: Any) -> str | None:
    return None if value in (None, "") else value


def so_fields(carrier: dict[str, Any]) -> dict[str, Any]:
    """A SuperOffice ``Product`` as the mapped fields (shop vocabulary), as the pipe documents them."""
    out: dict[str, Any] = {}
    for name, key in SO_KEYS.items():
        value = carrier.get(key)
        if name in MONEY:
            out[name] = _decimal(value, "0.01")
        elif name == "stock_quantity":
            out[name] = _decimal(value, "0.001")
        else:
            out[name] = _text(value)
    out["active"] = bool(carrier.get("InAssortment", True))
    return out


def shop_fields(product: dict[str, Any]) -> dict[str, Any]:
    """A shop product as the mapped fields."""
    out: dict[str, Any] = {}
    for name in SO_KEYS:
        value = product.get(name)
        if name in MONEY:
            out[name] = _decimal(value, "0.01")
        elif name == "stock_quantity":
            out[name] = _decimal(value, "0.001")
        else:
            out[name] = _text(value)
    out["active"] = bool(product.get("active"))
    return out


class Values:
    """Random values of the mapped fields; skus are unique within a scenario."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serial = 0

    def sku(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}-{self.serial}"

    def value(self, name: str) -> Any:
        """A new value in shop terms: ``Decimal`` for numbers (never cleared: SuperOffice keeps doubles), texts
        or None (cleared); a name is never cleared (both systems require one)."""
        rng = self.rng
        if name in ("price", "cost"):
            return Decimal(rng.randrange(100, 10**6)) / 100
        if name == "vat_rate":
            return Decimal(rng.choice((0, 12, 15, 25)))
        if name == "stock_quantity":
            return Decimal(rng.randrange(0, 500)) + (Decimal("0.5") if rng.random() < 0.2 else 0)
        if name == "name":
            return rng.choice(NAMES)
        if rng.random() < 0.25:
            return None
        if name == "description":
            return rng.choice(TEXTS)
        if name == "unit":
            return rng.choice(UNITS)
        if name == "category":
            return rng.choice(CATEGORIES)
        return f"https://shop.example/p/soak{rng.randrange(999)}"


def so_value(name: str, value: Any) -> Any:
    """A shop-vocabulary value as SuperOffice's carrier holds it."""
    if value is None:
        return ""
    return float(value) if isinstance(value, Decimal) else value


def shop_value(name: str, value: Any) -> Any:
    """A value as the shop's API takes it (decimals as text)."""
    if isinstance(value, Decimal):
        return f"{value:.2f}" if name in MONEY else str(value)
    return value


@dataclass
class Model(EditLog):
    """The edits and the products' fates since the scenario began."""

    what: str = "product"
    actions: int = 0
    products: set[str] = field(default_factory=set)
    """SuperOffice products of the synced price list, the ones created in the scenario included."""
    elsewhere: set[str] = field(default_factory=set)
    """Products created in another price list: never in the shop."""
    retired: set[str] = field(default_factory=set)
    """Out of assortment: their shop product inactive, their fields no longer judged."""
    shop_deleted: set[str] = field(default_factory=set)
    shop_born: set[str] = field(default_factory=set)
    """Skus of products created in the shop: never linked, never in SuperOffice."""
    deactivated: set[str] = field(default_factory=set)
    """Products a shop user deactivated since the last check: undone, each with a recorded conflict on ``active``."""
    conflict_ids: set[str] = field(default_factory=set)

    def terms(self, name: str, value: Any) -> Any:
        """Numbers resolved as the store keeps them (floats or text) read as the views' decimals."""
        if name in MONEY:
            return _decimal(value, "0.01")
        return _decimal(value, "0.001") if name == "stock_quantity" else value

    def in_sync(self) -> set[str]:
        return self.products - self.shop_deleted

    def live(self) -> set[str]:
        return self.in_sync() - self.retired


class ProductProduct:
    """The flow's adapter (see ``FlowAdapter``)."""

    name = FLOW
    enables: tuple[str, ...] = (FLOW,)

    def __init__(self, features: set[str]) -> None:
        self.features = features
        self.model = Model()
        self.values: Values | None = None

    def begin(self, world: World) -> None:
        """Every product of the synced price list is part of the scenario (in assortment or not)."""
        self.model.story = world.story
        for product_id in world.systems.superoffice.products.in_price_list(1):
            carrier = self._so(world, str(product_id))
            assert carrier["ERPPriceListKey"] == SYNCED_LIST, "the simulator's price list 1 is NOK"
            self.model.products.add(str(product_id))
            if not carrier.get("InAssortment", True):
                self.model.retired.add(str(product_id))

    # -- the users ----------------------------------------------------------------------------

    def act(self, world: World, rng: random.Random) -> str | None:
        self.values = self.values or Values(rng)
        actions = [(self._so_edit, 30), (self._shop_edit, 30), (self._so_create, 6), (self._so_retire, 5)]
        actions += [(self._so_restore, 5), (self._shop_deactivate, 3), (self._shop_delete, 2), (self._shop_create, 3)]
        action = rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        return action.__name__.strip("_").replace("_", " ") if action(world, rng) else None

    def wants_full(self) -> bool:
        return False  # every change this adapter makes is seen by an incremental pull

    def clean_syncs(self) -> int:
        return 1

    def write_budget(self) -> int:
        return self.model.actions

    def _so(self, world: World, product_id: str) -> dict[str, Any]:
        response = world.systems.so().get(f"{world.systems.so_api}/Product/{product_id}")
        response.raise_for_status()
        return response.json()

    def _so_put(self, world: World, product_id: str, carrier: dict[str, Any]) -> dict[str, Any]:
        response = world.systems.so().put(f"{world.systems.so_api}/Product/{product_id}", json=carrier)
        response.raise_for_status()
        return response.json()

    def _pick(self, candidates: set[str], rng: random.Random) -> str | None:
        ordered = sorted(candidates, key=int)
        if not ordered:
            return None
        return rng.choice(ordered[:3] if rng.random() < 0.5 else ordered)

    def _fields(self, rng: random.Random) -> list[str]:
        pool = HOT_FIELDS if rng.random() < 0.5 else EDITABLE
        return rng.sample(pool, rng.randint(1, 3))

    def _so_edit(self, world: World, rng: random.Random) -> bool:
        assert self.values is not None
        product_id = self._pick(self.model.live(), rng)
        if product_id is None:
            return False
        carrier = self._so(world, product_id)
        before = so_fields(carrier)
        for name in self._fields(rng):
            carrier[SO_KEYS[name]] = so_value(name, self.values.value(name))
        after = so_fields(self._so_put(world, product_id, carrier))
        self.model.record_edit("superoffice", product_id, before, after, TWO_WAY)
        self.model.actions += 1
        return True

    def _shop_edit(self, world: World, rng: random.Random) -> bool:
        assert self.values is not None
        linked = self._shop_products(world)
        product_id = self._pick(self.model.live() & linked.keys(), rng)
        if product_id is None:
            return False
        product = linked[product_id]
        patch = {name: shop_value(name, self.values.value(name)) for name in self._fields(rng)}
        response = world.systems.shop_session().patch(f"{world.systems.shop_api}/products/{product['id']}", json=patch)
        response.raise_for_status()
        self.model.record_edit("shop", product_id, shop_fields(product), shop_fields(response.json()), TWO_WAY)
        self.model.actions += 1
        return True

    def _so_create(self, world: World, rng: random.Random) -> bool:
        """A new product in the synced price list (created in the shop by the next sync), or now and then in
        another list (never in the shop)."""
        assert self.values is not None
        session = world.systems.so()
        carrier = session.get(f"{world.systems.so_api}/Product/default").json()
        price_list = OTHER_LIST if rng.random() < 0.2 else SYNCED_LIST
        code = self.values.sku("SOAK")
        carrier |= {"Code": code, "ERPProductKey": f"{code}-{price_list}", "ERPPriceListKey": price_list}
        carrier |= {"InAssortment": True, "PriceUnit": price_list[3:]}
        for name in ("name", "price", *rng.sample(EDITABLE, rng.randint(1, 5))):
            carrier[SO_KEYS[name]] = so_value(name, self.values.value(name))
        response = session.post(f"{world.systems.so_api}/Product", json=carrier)
        response.raise_for_status()
        created = response.json()
        product_id = str(created["ProductId"])
        if price_list == OTHER_LIST:
            self.model.tell(f"  created product {product_id} in {OTHER_LIST}")
            self.model.elsewhere.add(product_id)
            return True
        self.model.products.add(product_id)
        self.model.record_edit("superoffice", product_id, {}, so_fields(created), TWO_WAY)
        self.model.actions += 1
        return True

    def _toggle(self, world: World, product_id: str) -> None:
        """Out of or back into assortment, as a CRM user does (the Quote agent's toggle)."""
        url = f"{world.systems.so_api}/Agents/Quote/ToggleProductInAssortment"
        world.systems.so().post(url, json={"ProductId": int(product_id)}).raise_for_status()

    def _so_retire(self, world: World, rng: random.Random) -> bool:
        product_id = self._pick(self.model.live(), rng)
        if product_id is None or len(self.model.live()) < 3:
            return False
        self._toggle(world, product_id)
        self.model.retired.add(product_id)
        self.model.deactivated.discard(product_id)  # inactive on both sides now: nothing to undo
        self.model.forget(product_id)  # an inactive product's fields are no longer judged
        self.model.base.pop(product_id, None)
        self.model.tell(f"  so retire product {product_id}")
        self.model.actions += 1
        return True

    def _so_restore(self, world: World, rng: random.Random) -> bool:
        product_id = self._pick(self.model.retired & self.model.in_sync(), rng)
        if product_id is None:
            return False
        self._toggle(world, product_id)
        self.model.retired.discard(product_id)
        self.model.tell(f"  so restore product {product_id}")
        self.model.actions += 1
        return True

    def _shop_deactivate(self, world: World, rng: random.Random) -> bool:
        """A shop user switches a synced product off: SuperOffice decides ``active``, so the sync undoes it and
        records the conflict."""
        linked = self._shop_products(world)
        product_id = self._pick(self.model.live() & linked.keys() - self.model.deactivated, rng)
        if product_id is None:
            return False
        url = f"{world.systems.shop_api}/products/{linked[product_id]['id']}"
        world.systems.shop_session().patch(url, json={"active": False}).raise_for_status()
        self.model.deactivated.add(product_id)
        self.model.tell(f"  shop deactivate product {product_id}")
        self.model.actions += 1
        return True

    def _shop_delete(self, world: World, rng: random.Random) -> bool:
        linked = self._shop_products(world)
        product_id = self._pick(self.model.live() & linked.keys(), rng)
        if product_id is None or len(self.model.live()) < 3:
            return False
        url = f"{world.systems.shop_api}/products/{linked[product_id]['id']}"
        world.systems.shop_session().delete(url).raise_for_status()
        self.model.shop_deleted.add(product_id)
        self.model.deactivated.discard(product_id)
        self.model.forget(product_id)
        self.model.tell(f"  shop delete product {product_id}")
        self.model.actions += 1
        return True

    def _shop_create(self, world: World, rng: random.Random) -> bool:
        assert self.values is not None
        sku = self.values.sku("WEB-SOAK")
        body = {"sku": sku, "name": self.values.value("name"), "price": shop_value("price", self.values.value("price"))}
        body["currency"] = "NOK"
        world.systems.shop_session().post(f"{world.systems.shop_api}/products", json=body).raise_for_status()
        self.model.shop_born.add(sku)
        self.model.tell(f"  shop created sku {sku}")
        return True

    def _shop_products(self, world: World) -> dict[str, dict[str, Any]]:
        """Live shop products by the SuperOffice id they carry."""
        out = {}
        for product in shop_records(world, "products"):
            ref = (product.get("external_refs") or {}).get("superoffice_product_id")
            if ref:
                out[ref] = product
        return out

    # -- the invariants -----------------------------------------------------------------------

    def observe(self, world: World) -> None:
        """After an unchecked sync: edited fields both systems now agree on are settled (``EditLog.settle``)."""
        linked = self._shop_products(world)
        for product_id in sorted(self.model.pending() & linked.keys() & self.model.live(), key=int):
            self.model.settle(
                product_id, so_fields(self._so(world, product_id)), shop_fields(linked[product_id]), TWO_WAY
            )

    def check(self, world: World, project: Project) -> list[Violation]:
        shop = shop_records(world, "products")
        links = active_links(project, FLOW)
        found = self._linked_once(shop, links) + dead_letters(project, FLOW, "product")
        found += self._fates_held(world, shop, links)
        if found:
            return found
        recorded = conflicts(project, FLOW)
        by_id = {str(p["id"]): shop_fields(p) for p in shop}
        for product_id in sorted(self.model.live(), key=int):
            held = so_fields(self._so(world, product_id))
            shown = by_id[links[product_id]]
            found += [
                Violation("mapped fields equal", f"product {product_id} {name}: {held[name]!r} vs {shown[name]!r}")
                for name in (*TWO_WAY, "active")
                if held[name] != shown[name]
            ]
            found += self.model.judge(product_id, held, TWO_WAY, recorded)
        for product_id in sorted(self.model.deactivated & self.model.live(), key=int):
            if not any(r["a_id"] == product_id and r["field"] == "active" for r in recorded):
                found.append(Violation("a one-way field's shop edit is recorded", f"product {product_id} active"))
        return found + self.model.judge_settled(recorded)

    def _linked_once(self, shop: list[dict[str, Any]], links: dict[str, str]) -> list[Violation]:
        found = []
        refs: dict[str, int] = {}
        for product in shop:
            ref = (product.get("external_refs") or {}).get("superoffice_product_id")
            if ref:
                refs[ref] = refs.get(ref, 0) + 1
        found += [Violation(DUPLICATE, f"product {r} has {n} shop products") for r, n in sorted(refs.items()) if n > 1]
        skus: dict[str, int] = {}
        for product in shop:
            skus[product["sku"]] = skus.get(product["sku"], 0) + 1
        found += [
            Violation(DUPLICATE, f"sku {s} is held by {n} shop products") for s, n in sorted(skus.items()) if n > 1
        ]
        live = {str(p["id"]) for p in shop}
        for product_id in sorted(self.model.in_sync(), key=int):
            if product_id not in links:
                found.append(Violation("every product linked", f"product {product_id} has no active link"))
            elif links[product_id] not in live:
                found.append(Violation("every product linked", f"product {product_id}'s shop product is gone"))
        doubled = sorted({b for b in links.values() if list(links.values()).count(b) > 1})
        found += [Violation(DUPLICATE, f"shop product {b} is linked to several products") for b in doubled]
        return found

    def _fates_held(self, world: World, shop: list[dict[str, Any]], links: dict[str, str]) -> list[Violation]:
        """Assortment, other price lists, shop deletes and shop-born products, each as the flow promises."""
        found = []
        by_id = {str(p["id"]): p for p in shop}
        refs = {(p.get("external_refs") or {}).get("superoffice_product_id") for p in shop}
        for product_id in sorted(self.model.retired & self.model.in_sync(), key=int):
            product = by_id.get(links.get(product_id, ""))
            if product is not None and product.get("active"):
                found.append(Violation("out of assortment deactivates", f"product {product_id} is active in the shop"))
        for product_id in sorted(self.model.elsewhere, key=int):
            if product_id in links or product_id in refs:
                found.append(Violation("one price list only", f"product {product_id} (another list) is in the shop"))
        for product_id in sorted(self.model.shop_deleted, key=int):
            if product_id in links or product_id in refs:
                found.append(Violation("a shop delete closes the link", f"product {product_id} is linked again"))
            if product_id not in self.model.retired and not self._so(world, product_id).get("InAssortment"):
                found.append(Violation("a shop delete changes nothing in SuperOffice", f"product {product_id}"))
        if len(world.systems.superoffice.products.in_price_list(1)) != len(self.model.products):
            found.append(Violation("shop-born products stay the shop's", "the synced price list grew by itself"))
        linked_b = set(links.values())
        codes = {p["sku"]: str(p["id"]) for p in shop}
        for sku in sorted(self.model.shop_born):
            if codes.get(sku) in linked_b:
                found.append(Violation("shop-born products stay the shop's", f"sku {sku} is linked"))
        return found

    def checkpoint(self, world: World, project: Project) -> int:
        live = sorted(self.model.live(), key=int)
        self.model.restart({p: so_fields(self._so(world, p)) for p in live})
        self.model.deactivated.clear()
        self.model.actions = 0
        recorded = {row["_id"] for row in conflicts(project, FLOW)}
        new, self.model.conflict_ids = len(recorded - self.model.conflict_ids), recorded
        return new
