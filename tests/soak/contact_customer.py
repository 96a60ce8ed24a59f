"""The Contact ↔ Customer adapter: SuperOffice users create, edit, delete (and restore) contacts, shop users edit
and delete customers; after each clean sync every invariant of the flow is checked over HTTP.

Rule: the model is the edits themselves (``edits.EditLog``); this module adds the contacts' deletes, restores
and closed links, and the flow's views of both systems (``contact_values``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import requests

from sluice.project import Project
from tests.soak.contact_values import (
    LISTS,
    TO_SHOP_ONLY,
    TWO_WAY,
    Values,
    contact_fields,
    customer_fields,
    customer_patch,
    set_contact_field,
)
from tests.soak.edits import EditLog, active_links, conflicts, dead_letters
from tests.soak.figures import DUPLICATE, Violation
from tests.soak.world import World

FLOW = "contact_customer"
SO_EDITABLE = tuple(f for f in TWO_WAY if f != "shipping_address.country_code")
SHOP_EDITABLE = SO_EDITABLE
HOT_FIELDS = ("company_name", "department", "phone", "note", "billing_address.city")
"""Half the edits go to these fields of the three lowest contact ids, so both sides often edit one field
between two syncs (a conflict) instead of almost never."""


@dataclass
class Model(EditLog):
    """The edits (``EditLog``) and what else the users did: deletes, restores, the actions a sync may write for."""

    what: str = "contact"
    actions: int = 0
    padded: int = 0
    """Actions that may cost a second write: a text left with surrounding blanks (the trimmed write-back), a shop
    edit of the billing country (the shipping country follows)."""
    so_deleted: set[str] = field(default_factory=set)
    shop_deleted: set[str] = field(default_factory=set)
    """Contacts whose shop customer a shop user deleted: out of the sync for good (the close policy)."""
    contacts: set[str] = field(default_factory=set)
    """Every SuperOffice contact of the scenario, deleted ones included."""
    conflicts: set[str] = field(default_factory=set)
    """The ``sync_conflicts`` rows seen at the last checkpoint."""

    def in_sync(self) -> set[str]:
        return self.contacts - self.so_deleted - self.shop_deleted

    def record(self, side: str, contact: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.actions += 1
        changed = self.record_edit(side, contact, before, after, TWO_WAY)
        if any(isinstance(after[n], str) and after[n] != after[n].strip() for n in changed):
            self.padded += 1  # the trimmed text goes to the other side and back to this one: two writes
        elif side == "shop" and "billing_address.country_code" in changed:
            self.padded += 1  # SuperOffice's one country: the shipping country follows it back to the shop


class ContactCustomer:
    """The flow's adapter (see ``FlowAdapter``). ``features`` switch on generators of known bugs' inputs."""

    name = FLOW
    enables: tuple[str, ...] = ()  # shipped enabled

    def __init__(self, features: set[str]) -> None:
        self.features = features
        self.model = Model()
        self.values: Values | None = None

    # -- the users ----------------------------------------------------------------------------

    def act(self, world: World, rng: random.Random) -> str | None:
        self.values = self.values or Values(rng)
        actions = [(self._so_edit, 30), (self._shop_edit, 30), (self._so_create, 8)]
        actions += [(self._so_delete, 3), (self._shop_delete, 3), (self._stranded_edit, 2)]
        if "restore" in self.features:
            actions.append((self._so_restore, 4))
        action = rng.choices([a for a, _ in actions], weights=[w for _, w in actions])[0]
        return action.__name__.strip("_").replace("_", " ") if action(world, rng) else None

    def wants_full(self) -> bool:
        return False  # every change this adapter makes is seen by an incremental pull

    def clean_syncs(self) -> int:
        return 1

    def write_budget(self) -> int:
        return self.model.actions + self.model.padded

    def observe(self, world: World) -> None:
        """After an unchecked sync: every edited field both systems now hold equally is settled there.

        Why (seed 1203): the base of a field is the last value both sides agreed on, and an unchecked sync can
        move it. The shop set a department IT -> R, a faulty sync carried R to SuperOffice (agreed R), then the
        shop went R -> I -> R while SuperOffice went R -> Z; the sync pushed Z with no conflict. That is right:
        since the agreed R the shop's net change is none (its user undid their own edit, and the sync never saw
        I), so Z is the only edit and nothing was lost. Judged against the checkpoint's IT instead, the shop's
        last R looked like an edit Z overwrote. Settling each field at every agreement the campaign sees makes
        the model's base the engine's, without reading the engine's own state."""
        customers = self._shop_customers(world)
        for contact_id in sorted(self.model.pending() & customers.keys(), key=int):
            held = contact_fields(world.systems.contact(contact_id))
            self.model.settle(contact_id, held, customer_fields(customers[contact_id]), TWO_WAY)

    def _so_edit(self, world: World, rng: random.Random) -> bool:
        candidates = sorted(self.model.in_sync(), key=int)
        if not candidates:
            return False
        contact_id = _pick(candidates, rng)
        contact = world.systems.contact(contact_id)
        before = contact_fields(contact)
        for name in _fields(SO_EDITABLE, rng):
            set_contact_field(contact, name, self._value(name), rng)
        session = world.systems.so()
        response = session.put(f"{world.systems.so_api}/Contact/{contact_id}", json=contact)
        response.raise_for_status()
        self.model.record("superoffice", contact_id, before, contact_fields(response.json()))
        return True

    def _stranded_edit(self, world: World, rng: random.Random) -> bool:
        """A SuperOffice edit of a contact whose customer the shop deleted: by the close policy it goes nowhere
        (reported as stranded); the invariants check that no customer comes back."""
        candidates = sorted(self.model.shop_deleted - self.model.so_deleted, key=int)
        if not candidates:
            return False
        contact_id = rng.choice(candidates)
        contact = world.systems.contact(contact_id)
        for name in _fields(SO_EDITABLE, rng):
            set_contact_field(contact, name, self._value(name), rng)
        world.systems.so().put(f"{world.systems.so_api}/Contact/{contact_id}", json=contact).raise_for_status()
        self.model.tell(f"  stranded edit contact {contact_id}")
        self.model.actions += 1
        return True

    def _shop_edit(self, world: World, rng: random.Random) -> bool:
        linked = self._shop_customers(world)
        if not linked:
            return False
        contact_id = _pick(sorted(linked, key=int), rng)
        customer = linked[contact_id]
        patch: dict[str, Any] = {}
        for name in _fields(SHOP_EDITABLE, rng):
            value = self._value(name)
            if name in LISTS and value is None and not self._may_clear_list(world, contact_id, name):
                continue
            if name == "customer_group" and "shop_category" not in self.features:
                value = None  # only clearing needs no look-up of SuperOffice's categories
            if name.endswith("country_code"):
                if "shop_country" not in self.features and "clear_country" not in self.features:
                    continue
                if "shop_country" not in self.features or ("clear_country" in self.features and rng.random() < 0.3):
                    value = None
            _merge(patch, customer_patch(name, value))
        if not patch:
            return False
        after = world.systems.edit_customer(customer["id"], **patch)
        self.model.record("shop", contact_id, customer_fields(customer), customer_fields(after))
        return True

    def _may_clear_list(self, world: World, contact_id: str, name: str) -> bool:
        """Clearing a shop e-mail/phone/URL whose contact holds several: bug 3 of issue #12, a feature switch."""
        return "clear_multi" in self.features or len(world.systems.contact(contact_id).get(LISTS[name]) or []) < 2

    def _so_create(self, world: World, rng: random.Random) -> bool:
        session = world.systems.so()
        contact = session.get(f"{world.systems.so_api}/Contact/default").json()
        assert self.values is not None
        for name in ("company_name", "email", *rng.sample(SO_EDITABLE, rng.randint(2, 8))):
            value = self.values.email() if name == "email" else self._value(name, create=True)
            set_contact_field(contact, name, value, rng)
        response = session.post(f"{world.systems.so_api}/Contact", json=contact)
        response.raise_for_status()
        created = response.json()
        contact_id = str(created["ContactId"])
        self.model.contacts.add(contact_id)
        self.model.record("superoffice", contact_id, {}, contact_fields(created))
        return True

    def _so_delete(self, world: World, rng: random.Random) -> bool:
        candidates = sorted(self.model.in_sync(), key=int)
        if len(candidates) < 2:
            return False
        contact_id = rng.choice(candidates)
        world.systems.delete_contact(contact_id)
        self.model.so_deleted.add(contact_id)  # its edits stay expected: a restore brings them back
        self.model.tell(f"  so delete contact {contact_id}")
        self.model.actions += 1
        return True

    def _so_restore(self, world: World, rng: random.Random) -> bool:
        candidates = sorted(self.model.so_deleted - self.model.shop_deleted, key=int)
        if not candidates:
            return False
        contact_id = rng.choice(candidates)
        restore(world, contact_id)
        self.model.so_deleted.discard(contact_id)
        self.model.tell(f"  so restore contact {contact_id}")
        self.model.actions += 1
        return True

    def _shop_delete(self, world: World, rng: random.Random) -> bool:
        linked = self._shop_customers(world)
        if len(linked) < 2:
            return False
        contact_id = rng.choice(sorted(linked, key=int))
        world.systems.shop_session().delete(f"{world.systems.shop_api}/customers/{linked[contact_id]['id']}")
        self.model.shop_deleted.add(contact_id)
        self.model.forget(contact_id)  # a customer deleted in the shop takes its pending edits with it, by policy
        self.model.tell(f"  shop delete contact {contact_id}")
        self.model.actions += 1
        return True

    def _value(self, name: str, create: bool = False) -> Any:
        assert self.values is not None
        return self.values.value(name, padded=("padded_create" if create else "padded") in self.features)

    def _shop_customers(self, world: World) -> dict[str, dict[str, Any]]:
        """Live shop customers of contacts in the sync, by contact id (what a shop user can still edit)."""
        in_sync = self.model.in_sync()
        out = {}
        for customer in world.systems.customers():
            ref = (customer.get("external_refs") or {}).get("superoffice_contact_id")
            if ref in in_sync and customer.get("active"):
                out[ref] = customer
        return out

    # -- the invariants -----------------------------------------------------------------------

    def check(self, world: World, project: Project) -> list[Violation]:
        contacts = {c: contact_fields(world.systems.contact(c)) for c in sorted(self.model.contacts, key=int)}
        customers = world.systems.customers()
        links = active_links(project, FLOW)
        found = self._linked_once(customers, links)
        found += self._deletes_held(customers, links)
        found += dead_letters(project, FLOW, "contact")
        if found:
            return found
        by_id = {str(c["id"]): customer_fields(c) for c in customers}
        recorded = conflicts(project, FLOW)
        for contact_id in sorted(self.model.in_sync(), key=int):
            held = contacts[contact_id]
            found += _fields_equal(contact_id, held, by_id[links[contact_id]])
            found += self.model.judge(contact_id, held, TWO_WAY, recorded)
        return found + self.model.judge_settled(recorded)

    def _linked_once(self, customers: list[dict[str, Any]], links: dict[str, str]) -> list[Violation]:
        found = []
        per_ref: dict[str, int] = {}
        for customer in customers:
            ref = (customer.get("external_refs") or {}).get("superoffice_contact_id")
            if ref:
                per_ref[ref] = per_ref.get(ref, 0) + 1
        for ref, count in sorted(per_ref.items()):
            if count > 1:
                found.append(Violation(DUPLICATE, f"contact {ref} has {count} live shop customers"))
        live_customers = {str(c["id"]) for c in customers if c.get("active")}
        for contact_id in sorted(self.model.in_sync(), key=int):
            if contact_id not in links:
                found.append(Violation("every live contact linked", f"contact {contact_id} has no active link"))
            elif links[contact_id] not in live_customers:
                found.append(Violation("every live contact linked", f"contact {contact_id}'s customer is not live"))
        doubled = {b for b in links.values() if list(links.values()).count(b) > 1}
        for b_id in sorted(doubled):
            found.append(Violation(DUPLICATE, f"shop customer {b_id} is linked to several contacts"))
        return found

    def _deletes_held(self, customers: list[dict[str, Any]], links: dict[str, str]) -> list[Violation]:
        """A contact deleted in SuperOffice: link closed, customer deactivated; one deleted in the shop: unlinked."""
        found = []
        for contact_id in sorted(self.model.so_deleted | self.model.shop_deleted, key=int):
            if contact_id in links:
                found.append(Violation("deletes close the link", f"contact {contact_id} is still linked"))
        for contact_id in sorted(self.model.so_deleted - self.model.shop_deleted, key=int):
            for customer in customers:
                ref = (customer.get("external_refs") or {}).get("superoffice_contact_id")
                if ref == contact_id and customer.get("active"):
                    found.append(Violation("deletes close the link", f"contact {contact_id}'s customer active"))
        return found

    def checkpoint(self, world: World, project: Project) -> int:
        self.model.restart({c: contact_fields(world.systems.contact(c)) for c in sorted(self.model.in_sync(), key=int)})
        recorded = {row["_id"] for row in conflicts(project, FLOW)}
        new, self.model.conflicts = len(recorded - self.model.conflicts), recorded
        self.model.actions = self.model.padded = 0
        return new

    def begin(self, world: World) -> None:
        """The contacts the simulator was seeded with are part of the scenario."""
        self.model.story = world.story
        self.model.contacts |= {str(i) for i in world.systems.contact_ids()}


def _pick(contact_ids: list[str], rng: random.Random) -> str:
    return rng.choice(contact_ids[:3] if rng.random() < 0.5 else contact_ids)


def _fields(names: tuple[str, ...], rng: random.Random) -> list[str]:
    pool = HOT_FIELDS if rng.random() < 0.5 else names
    return rng.sample(pool, rng.randint(1, 3))


def restore(world: World, contact_id: str) -> None:
    """Take a soft-deleted contact back out of SuperOffice's recycle bin, as its user does (the WebAPI has no
    restore call; the simulator offers the user's action as an admin endpoint)."""
    url = f"{world.systems.so_server.url}/_admin/restore"
    requests.post(url, json={"contact_id": int(contact_id)}, timeout=10).raise_for_status()


def _fields_equal(contact_id: str, contact: dict[str, Any], customer: dict[str, Any]) -> list[Violation]:
    """Every mapped field equal on both sides, exactly (blanks included): what a user of each system sees."""
    return [
        Violation(
            "mapped fields equal", f"contact {contact_id} {name}: {contact.get(name)!r} vs {customer.get(name)!r}"
        )
        for name in (*TWO_WAY, *sorted(TO_SHOP_ONLY))
        if contact.get(name) != customer.get(name)
    ]


def _merge(patch: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(patch.get(key), dict):
            patch[key].update(value)
        else:
            patch[key] = value
