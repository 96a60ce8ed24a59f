"""The SQL canonical form (hashing.py) equals the Python reference (canonical.py) on random entities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sluice.datasets.canonical import canonical
from sluice.datasets.hashing import UnsupportedType, canonical_sql, hash_sql

TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8) | st.sampled_from(
    ["e\u0301", "Å", "ﬁ", 'q"u\\o/te', "\u2028", "\x00\x1f\x7f", "", "null", "\x00\x80", "\n\u0301", "\x0b\u0307"]
)
SCALARS: list[tuple[pa.DataType, st.SearchStrategy]] = [
    (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    (pa.int16(), st.integers(-(2**15), 2**15 - 1)),
    (pa.float64(), st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.1, -0.0, 3.0, 1e16, 2.0**53])),
    (pa.float32(), st.floats(width=32)),
    (pa.decimal128(12, 3), st.decimals(min_value=-(10**8), max_value=10**8, places=3, allow_nan=False)),
    (pa.string(), TEXT),
    (pa.bool_(), st.booleans()),
    (pa.date32(), st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))),
    (pa.timestamp("us", tz="UTC"), st.datetimes(dt.datetime(1000, 1, 1), timezones=st.just(dt.UTC))),
    (pa.timestamp("us"), st.datetimes(dt.datetime(1000, 1, 1))),
    (pa.time64("us"), st.times()),
    (pa.binary(), st.binary(max_size=6)),
]
KEYS = st.text(alphabet="abcXYZ_é", min_size=1, max_size=4)


def typed_values() -> st.SearchStrategy[tuple[pa.DataType, st.SearchStrategy]]:
    def extend(children: st.SearchStrategy) -> st.SearchStrategy:
        lists = children.map(lambda c: (pa.list_(c[0]), st.lists(st.none() | c[1], max_size=3)))
        structs = st.lists(st.tuples(KEYS, children), min_size=1, max_size=3, unique_by=lambda f: f[0]).map(
            lambda fields: (
                pa.struct([(name, t) for name, (t, _) in fields]),
                st.fixed_dictionaries({name: st.none() | s for name, (_, s) in fields}),
            )
        )
        return lists | structs

    return st.recursive(st.sampled_from(SCALARS), extend, max_leaves=6)


@st.composite
def tables(draw: st.DrawFn) -> pa.Table:
    columns = draw(st.lists(st.tuples(KEYS, typed_values()), min_size=1, max_size=5, unique_by=lambda c: c[0]))
    schema = pa.schema([(name, t) for name, (t, _) in columns])
    row = st.fixed_dictionaries({name: st.none() | s for name, (_, s) in columns})
    rows = draw(st.lists(row, min_size=1, max_size=4))
    return pa.Table.from_pylist(rows, schema=schema)


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'Europe/Oslo'")  # the SQL must not depend on the session time zone
    con.execute("SET enable_progress_bar = false")
    return con


def sql_canonical(con: duckdb.DuckDBPyConnection, table: pa.Table) -> list[bytes]:
    con.register("t", table)
    rel = con.sql("SELECT * FROM t LIMIT 0")
    sql = canonical_sql(zip(rel.columns, rel.types, strict=True))
    return [value.encode("utf-8") for (value,) in con.sql(f"SELECT {sql} FROM t").fetchall()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_sql_matches_python_reference(con: duckdb.DuckDBPyConnection, table: pa.Table) -> None:
    assert sql_canonical(con, table) == [canonical(row) for row in table.to_pylist()]


def test_metadata_columns_are_never_hashed(con: duckdb.DuckDBPyConnection) -> None:
    table = pa.table({"_id": ["a"], "_offset": [3], "name": ["x"]})
    assert sql_canonical(con, table) == [b'{"name":"x"}']


def test_sql_hash_is_md5_of_the_canonical_bytes() -> None:
    import hashlib

    con = duckdb.connect()
    table = pa.table({"n": [Decimal("1.50")], "s": ["é"]})
    con.register("t", table)
    rel = con.sql("SELECT * FROM t LIMIT 0")
    (digest,) = con.sql(f"SELECT {hash_sql(zip(rel.columns, rel.types, strict=True))} FROM t").fetchall()[0]
    assert digest == hashlib.md5('{"n":1.5,"s":"é"}'.encode()).hexdigest()


def test_unsupported_types_are_refused() -> None:
    with pytest.raises(UnsupportedType, match="INTERVAL"):
        canonical_sql([("gap", duckdb.type("INTERVAL"))])
