"""The fast seed: same rows per seed as the original implementation, JSON exactly as ``json.dumps`` writes it,
every carrier fits its shape, references resolve."""

from __future__ import annotations

import hashlib
import json

import pytest

from sluice.simulators.superoffice.carriers import check
from sluice.simulators.superoffice.populate import populate
from sluice.simulators.superoffice.store import TABLES, Store

SHAPE = {
    "contact": "ContactEntity",
    "person": "PersonEntity",
    "sale": "SaleEntity",
    "pricelist": "PriceList",
    "product": "Product",
    "quote": "Quote",
    "quote_version": "QuoteVersion",
    "quote_alternative": "QuoteAlternative",
    "quote_line": "QuoteLine",
}


@pytest.fixture(scope="module")
def seeded() -> Store:
    store = Store()
    populate(store, 0, 800)
    return store


def digest(store: Store, skip: tuple[str, ...] = ()) -> str:
    h = hashlib.sha256()
    for table in ("pricelist", "product", "contact", "person", "sale", *(t for t in TABLES if t.startswith("quote"))):
        if table in skip:
            continue
        for record in store.query(f"SELECT * FROM {table} ORDER BY id"):
            row = dict(record)
            row["data"] = json.loads(row["data"])
            h.update(json.dumps(row, sort_keys=True).encode())
    return h.hexdigest()


def test_same_rows_as_the_original_seed(seeded: Store) -> None:
    """Digests of every table taken from the original (json.dumps per row) implementation; the changes since:
    persons and sales no longer store internal ``_reg``/``_upd``/... keys in their data, and products gained
    ``ProductCategoryKey``, ``InStock`` and ``Url`` (every other table is as before, second digest)."""
    assert digest(seeded) == "b1a9561a7b48e89a43a155ca7dedcd2a3f25400b146c63b50f067e0d7373debc"
    assert digest(seeded, ("product",)) == "1396df889a9d7d86c86dce002922921cc6eb2838e759c9b74151d87ae7065bba"
    other = Store()
    populate(other, 5, 300)
    assert digest(other) == "4832e34afad8577c7193382d35f30459e75dc3c008f067e5a07c4f6b0dfab433"
    assert digest(other, ("product",)) == "5dfc4c305e0c4e637fef8f8a7baec5f05e6ab779a5611fa8a46194f829fe48c9"


def test_stored_json_is_what_json_dumps_writes(seeded: Store) -> None:
    for table in TABLES:
        for (text,) in seeded.query(f"SELECT data FROM {table}"):
            data = json.loads(text)
            assert json.dumps(data) == text, table
            assert not any(key.startswith("_") for key in data), table


def test_every_seeded_carrier_fits_its_shape(seeded: Store) -> None:
    for table, shape in SHAPE.items():
        for (text,) in seeded.query(f"SELECT data FROM {table}"):
            data = json.loads(text)
            assert check(shape, data) == data, table


def test_non_ascii_text_survives(seeded: Store) -> None:
    cities = {r[0] for r in seeded.query("SELECT json_extract(data, '$.Address.Postal.City') FROM contact")}
    assert {"Tromsø", "Göteborg", "København"} <= cities


def test_references_resolve(seeded: Store) -> None:
    dangling = {
        "person": "SELECT count(*) FROM person p LEFT JOIN contact c ON c.id = p.contact_id WHERE c.id IS NULL",
        "sale person": "SELECT count(*) FROM sale s JOIN person p ON p.id = s.person_id "
        "WHERE p.contact_id != s.contact_id OR json_extract(s.data, '$.Person.PersonId') != p.id",
        "version": "SELECT count(*) FROM quote_version v LEFT JOIN quote q ON q.id = v.quote_id WHERE q.id IS NULL",
        "active": "SELECT count(*) FROM quote q LEFT JOIN quote_version v "
        "ON v.id = json_extract(q.data, '$.ActiveQuoteVersionId') AND v.quote_id = q.id WHERE v.id IS NULL",
        "line": "SELECT count(*) FROM quote_line l LEFT JOIN quote_alternative a ON a.id = l.alternative_id "
        "WHERE a.id IS NULL OR json_extract(l.data, '$.QuoteAlternativeId') != a.id",
    }
    for name, sql in dangling.items():
        assert seeded.query(sql)[0][0] == 0, name
    assert seeded.query("SELECT count(*) FROM sale WHERE person_id IS NULL")[0][0] == 0


def test_timestamps_are_fixed_width_and_ordered(seeded: Store) -> None:
    for table in TABLES:
        bad = seeded.query(
            f"SELECT count(*) FROM {table} WHERE length(registered) != 26 OR length(updated) != 26 "
            "OR updated < registered OR updated > '2025-06-01T12:00:00.000000'"
        )
        assert bad[0][0] == 0, table
