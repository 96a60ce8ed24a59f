"""Seeding: deterministic per seed, realistic Nordic shapes, unique keys; the store gets every kind of row."""

from __future__ import annotations

import hashlib
import json

from sluice.simulators.superoffice.populate import populate
from sluice.simulators.superoffice.seed import companies
from sluice.simulators.superoffice.store import Store


def test_same_seed_same_companies_other_seed_other_companies() -> None:
    assert list(companies(7, 50)) == list(companies(7, 50))
    assert [c["name"] for c in companies(7, 50)] != [c["name"] for c in companies(8, 50)]


def test_companies_are_unique_and_nordic() -> None:
    rows = list(companies(1, 2000))
    assert len({r["name"] for r in rows}) == len({r["email"] for r in rows}) == 2000
    assert {r["country"] for r in rows} == {"NO", "SE", "DK", "FI"}
    assert all(r["email"].startswith("post@") and r["phone"].startswith("+") for r in rows)
    assert [r["contact_id"] for r in rows] == list(range(1, 2001))


def test_populate_covers_every_status_and_quote_trees() -> None:
    store = Store()
    populate(store, 0, 60)
    statuses = {r[0] for r in store.query("SELECT json_extract(data, '$.Status') FROM sale")}
    assert statuses == {"Open", "Sold", "Lost", "Stalled"}
    assert store.query("SELECT count(*) FROM quote_version GROUP BY quote_id ORDER BY 1 DESC LIMIT 1")[0][0] >= 2
    orphans = store.query(
        "SELECT count(*) FROM quote_line l LEFT JOIN product p ON p.erp_key = json_extract(l.data, '$.ERPProductKey') "
        "WHERE p.id IS NULL"
    )
    assert orphans[0][0] == 0


def test_companies_are_the_same_as_before_the_fast_rewrite() -> None:
    """``companies`` is a stable interface (the Customwebshop simulator reproduces contacts with it): these
    digests were taken from the original ``random.Random``/``datetime`` implementation."""
    expected = {
        (0, 3000): "0ef7c8afd6c5391c21999853b866d27429085969b698bb21aee88557fbdd6e03",
        (42, 500): "bdf8ffe77627df6bded48a83025e36882696c0ab6354e27673f8f8f8c0844cea",
    }
    for (seed, n), digest in expected.items():
        text = json.dumps(list(companies(seed, n)), sort_keys=True)
        assert hashlib.sha256(text.encode()).hexdigest() == digest, (seed, n)
