"""Plans and outcomes pass between sync steps (and machines) as JSON and come back equal."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from sluice.errors import SluiceError
from sluice.sync import wire
from sluice.sync.changes import Cursor
from sluice.sync.merge import MISSING, Conflict
from sluice.sync.model import Ambiguity, Change, Link, Plan, PushOutcome, SideRecord, Stranded


def full_plan() -> Plan:
    stamp = dt.datetime(2026, 12, 1, 12, 30, 5, 123456, tzinfo=dt.UTC)
    fields = {
        "company_name": "Ærlig AS",
        "price": Decimal("1234.50"),
        "founded": dt.date(1999, 5, 17),
        "opens": dt.time(8, 30),
        "score": 0.1 + 0.2,
        "tags": ["a", "b"],
        "address": {"city": "Tromsø", "zip": None},
        "raw": b"\x00\xff",
        "~": "a key that looks like the tag",
        "pair": (1, "two"),
    }
    return Plan(
        changes=[Change("create", "b", "1", None, fields, lookup_first=True), Change("update", "a", "2", "20", {})],
        new_links=[Link("3", "30", "matched")],
        closed_links=[Link("4", "40", status="closed", note="deleted in the shop")],
        stranded=[Stranded("5", "50", ("email",), "its shop record was deleted")],
        conflicts=[("6", "60", Conflict("email", "a@x", "b@x", MISSING, "a", "a@x"))],
        ambiguous=[Ambiguity("7", "email", "a@x", ("70", "71"))],
        agreed={"1": fields},
        invalid=[("a", SideRecord("8", {"price": "abc"}, updated=stamp, invalid="not a number"))],
        waiting=[("9", "its contact is not linked yet")],
        held=[Change("deactivate", "b", "10", "100", {"active": False})],
    )


def test_a_plan_comes_back_equal_with_every_value_type() -> None:
    plan = full_plan()
    back = wire.loads(wire.dumps(plan))
    assert back == plan
    assert back.conflicts[0][2].base is MISSING
    assert type(back.changes[0].fields["pair"]) is tuple and type(back.changes[0].fields["price"]) is Decimal


def test_outcomes_and_cursors_come_back_equal() -> None:
    change = Change("update", "b", "1", "10", {"email": "a@x"}, version="7")
    outcomes = [PushOutcome(change, ok=True, record={"id": 10}), PushOutcome(change, ok=False, error="422", status=422)]
    assert wire.loads(wire.dumps(outcomes)) == outcomes
    cursor = Cursor("contact_customer", {"a": 1, "b": 2, "link": -1, "agreed": 3}, ("1", "2"), "k")
    assert wire.loads(wire.dumps(cursor)) == cursor


def test_the_text_is_plain_json_naming_its_kinds() -> None:
    data = json.loads(wire.dumps(full_plan()))
    assert data["~"] == "Plan" and data["changes"][0]["~"] == "Change"


def test_an_unknown_value_is_refused_when_written_and_damage_is_named_when_read() -> None:
    with pytest.raises(TypeError, match="cannot pass a object"):
        wire.dumps(Change("update", "b", "1", "10", {"x": object()}))
    with pytest.raises(SluiceError, match="damaged"):
        wire.loads(b'{"~": "Plan", "changes": [{"~": "os.system"}]}')
    with pytest.raises(SluiceError, match="damaged"):
        wire.loads(b'{"~": "Pl')
