"""Golden values: these hashes must never change (a change re-versions every entity everywhere)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sluice.datasets import DatasetStore
from sluice.datasets.canonical import canonical, entity_hash

SAMPLES = {
    "company": {
        "_id": "superoffice-contact:42",
        "contactId": 42,
        "name": "Bjørnstad & Søn AS",
        "orgNr": "987654321",
        "address": {"street": "Storgata 1", "zip": "0155", "city": "Oslo", "country": None},
        "emails": ["post@bjornstad.no", None, "salg@bjornstad.no"],
        "revenue": Decimal("1250000.50"),
        "updated": dt.datetime(2024, 3, 1, 12, 30, 15, 250000, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        "founded": dt.date(1987, 6, 5),
        "active": True,
        "fax": None,
    },
    "order": {
        "id": "o-1",
        "lines": [
            {"sku": "A-1", "qty": 2, "price": Decimal("10.00")},
            {"sku": "B-2", "qty": 1.0, "price": Decimal("9.50")},
        ],
        "tags": [],
        "note": 'Cafe\u0301 "quoted"\n\ttab',
        "placed": dt.datetime(2024, 1, 1, 0, 0),
    },
    "numbers": {
        "i": 3,
        "f": 3.0,
        "d": Decimal("3.000"),
        "small": 0.1,
        "big": 1e20,
        "neg0": -0.0,
        "exp": Decimal("1E+2"),
    },
}
GOLDEN = {
    "company": (
        "bd0c49c419815a7e8c9118ad0e7d8923",
        '{"active":true,"address":{"city":"Oslo","street":"Storgata 1","zip":"0155"},"contactId":42,'
        '"emails":["post@bjornstad.no",null,"salg@bjornstad.no"],"founded":"1987-06-05",'
        '"name":"Bjørnstad & Søn AS","orgNr":"987654321","revenue":1250000.5,"updated":"2024-03-01T11:30:15.250000Z"}',
    ),
    "order": (
        "a8e3976ba79f4c0b481a400bec9729ed",
        '{"id":"o-1","lines":[{"price":10,"qty":2,"sku":"A-1"},{"price":9.5,"qty":1,"sku":"B-2"}],'
        '"note":"Café \\"quoted\\"\\n\\ttab","placed":"2024-01-01T00:00:00.000000Z","tags":[]}',
    ),
    "numbers": ("c972dbc9b1d94e1e8167c10e95139147", '{"big":1e+20,"d":3,"exp":100,"f":3,"i":3,"neg0":0,"small":0.1}'),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_golden_canonical_form_and_hash(name: str) -> None:
    digest, text = GOLDEN[name]
    assert canonical(SAMPLES[name]).decode("utf-8") == text
    assert entity_hash(SAMPLES[name]) == digest


def test_store_writes_the_golden_hashes(dataset_root) -> None:
    """The vectorised SQL path stores exactly the pinned hashes (the store never hashes in Python)."""
    store = DatasetStore(dataset_root)
    rows = [dict(SAMPLES["company"])]
    store.write("golden_company", rows)
    ((stored,),) = store.current("golden_company").select("_hash").fetchall()
    assert stored == GOLDEN["company"][0]
    store.write("golden_order", [{**SAMPLES["order"], "_id": "o-1"}])
    ((stored,),) = store.current("golden_order").select("_hash").fetchall()
    assert stored == GOLDEN["order"][0]


def test_null_members_are_omitted_at_every_level() -> None:
    assert canonical({"a": 1, "b": None, "s": {"x": None, "y": 2}}) == canonical({"a": 1, "s": {"y": 2}})


def test_list_nulls_keep_their_position() -> None:
    assert canonical({"l": [None, 1]}) != canonical({"l": [1, None]})


def test_numbers_are_normalised() -> None:
    same = [{"n": 2}, {"n": 2.0}, {"n": Decimal("2.000")}, {"n": Decimal("2")}]
    assert len({canonical(e) for e in same}) == 1
    assert canonical({"n": Decimal("1.50")}) == canonical({"n": 1.5})


def test_timestamps_are_utc_and_unicode_is_nfc() -> None:
    oslo = dt.datetime(2024, 6, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert canonical({"t": oslo}) == canonical({"t": dt.datetime(2024, 6, 1, 12, 0)})
    assert canonical({"s": "e\u0301"}) == canonical({"s": "é"}) == '{"s":"é"}'.encode()


def test_key_order_does_not_matter() -> None:
    assert canonical({"b": 1, "a": {"d": 1, "c": 2}}) == canonical({"a": {"c": 2, "d": 1}, "b": 1})


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError, match="set"):
        canonical({"s": {1, 2}})


def test_control_characters_survive_normalisation() -> None:
    """NFC runs on the escaped text, so a NUL never reaches the normaliser (DuckDB's would truncate)."""
    assert canonical({"s": "\x00\x80"}) == '{"s":"\\u0000\x80"}'.encode()
