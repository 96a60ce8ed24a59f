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
    ``ProductCategoryKey``, ``InStock`` and ``Url``; a quote's older versions are ``Archived`` with
    ``ArchivedState`` ``Sent``, as a newer version leaves them, and a sale with a quote carries its favourite
    alternative's Amount, Earning and EarningPercent (``UseValuesFromQuote = 1``)."""
    assert digest(seeded) == "e09f9450a1bd7c920164d2ae5a33d1172bb758c71e0f5bf383cdf80fbe702583"
    assert digest(seeded, ("product",)) == "755dbe4c889b206e3a2fcc24a66959bb0a89d6eb1e9c7aaf93b911a703ae16cb"
    other = Store()
    populate(other, 5, 300)
    assert digest(other) == "405b22e24b201979d5e658fc00d89893df7bfa9205c1dd86b7c9b29f46432937"
    assert digest(other, ("product",)) == "c8b07ce7469e38254c3bc9be66443b5ed5606058d13fa00a038db553cc9a18db"


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
