from __future__ import annotations

import pytest
import sqlglot

from sluice.errors import PipeError
from sluice.pipes.lineage import column_lineage


def lineage_of(sql: str, schema: dict | None = None) -> dict[str, list[str]]:
    tree = sqlglot.parse_one(sql, read="duckdb")
    return {entry.column: [str(s) for s in entry.sources] for entry in column_lineage(tree, schema)}


def test_nested_paths_keep_case_and_use_zero_based_indexes() -> None:
    got = lineage_of(
        "SELECT c.Address.Postal.Address1 AS line1, c.Emails[1].Value AS email, c.Phones[2].Value AS phone2 "
        "FROM superoffice_contact AS c"
    )
    assert got == {
        "line1": ["superoffice_contact.Address.Postal.Address1"],
        "email": ["superoffice_contact.Emails[0].Value"],
        "phone2": ["superoffice_contact.Phones[1].Value"],
    }


def test_struct_outputs_are_split_into_fields() -> None:
    got = lineage_of(
        "SELECT {'line1': c.Address.Postal.Address1, 'city': upper(c.Address.Postal.City)} AS billing_address, "
        "struct_pack(line1 := c.Address.Street.Address1) AS shipping_address FROM superoffice_contact c"
    )
    assert got["billing_address.line1"] == ["superoffice_contact.Address.Postal.Address1"]
    assert got["billing_address.city"] == ["superoffice_contact.Address.Postal.City"]
    assert got["shipping_address.line1"] == ["superoffice_contact.Address.Street.Address1"]


def test_list_aggregates_of_structs_become_element_paths() -> None:
    got = lineage_of(
        "SELECT CAST(a.QuoteAlternativeId AS VARCHAR) AS _id, "
        "list({'sku': l.Code, 'quantity': l.Quantity} ORDER BY l.Rank) AS lines "
        "FROM superoffice_quotealternative a JOIN superoffice_quoteline l USING (QuoteAlternativeId) GROUP BY ALL"
    )
    assert got["lines[].sku"] == ["superoffice_quoteline.Code"]
    assert got["lines[].quantity"] == ["superoffice_quoteline.Quantity"]


def test_traces_through_ctes_subqueries_and_unions() -> None:
    got = lineage_of(
        "WITH base AS (SELECT c.ContactId AS id, c.Address AS addr, NOT c.NoMailing AS ok FROM superoffice_contact c),"
        " again AS (SELECT * FROM base)"
        " SELECT g.id AS _id, g.addr.Postal.City AS city, g.ok AS accepts_marketing FROM again g"
        " UNION ALL SELECT s.id, s.city, s.ok FROM (SELECT x.id, x.city, x.ok FROM shop x) s"
    )
    assert got["_id"] == ["superoffice_contact.ContactId", "shop.id"]
    assert got["city"] == ["superoffice_contact.Address.Postal.City", "shop.city"]
    assert got["accepts_marketing"] == ["superoffice_contact.NoMailing", "shop.ok"]


def test_struct_built_in_a_cte_is_split_at_the_output() -> None:
    got = lineage_of(
        "WITH b AS (SELECT {'line1': c.Address.Postal.Address1} AS billing_address FROM superoffice_contact c) "
        "SELECT b.billing_address FROM b"
    )
    assert got == {"billing_address.line1": ["superoffice_contact.Address.Postal.Address1"]}


def test_lambda_parameters_are_not_columns() -> None:
    got = lineage_of("SELECT list_transform(c.Emails, lambda e: e.Value) AS emails FROM superoffice_contact c")
    assert got == {"emails": ["superoffice_contact.Emails"]}


def test_star_needs_a_schema_to_expand() -> None:
    schema = {"superoffice_contact": {"ContactId": "INT", "Name": "VARCHAR"}}
    got = lineage_of("SELECT * FROM superoffice_contact", schema)
    assert got == {"ContactId": ["superoffice_contact.ContactId"], "Name": ["superoffice_contact.Name"]}


def test_ambiguous_unqualified_column_asks_for_an_alias() -> None:
    tree = sqlglot.parse_one("SELECT Name FROM a JOIN b ON a.x = b.x", read="duckdb")
    with pytest.raises(PipeError, match="qualify it"):
        column_lineage(tree, path="pipes/p.sql")
