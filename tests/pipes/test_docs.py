from __future__ import annotations

from pathlib import Path

from sluice.pipes.docs import dataflow_sections, render_dataflow_doc
from sluice.pipes.pipe import discover

from .conftest import REPO, REPO_PIPES

ORDER = """/*
dataflow: {target: Customwebshop Order}
columns:
  title: {type: string}
  note: {type: string}
  total: {type: decimal, direction: to shop only}
  lines[].sku: {type: string}
  lines[].position: {type: integer}
  external_refs.superoffice_sale_id: {type: string, direction: to shop only}
*/
SELECT CAST(a.QuoteAlternativeId AS VARCHAR) AS _id,
       s.Heading AS title,
       a.Name AS note,
       a.TotalPrice AS total,
       list({'sku': l.Code, 'position': l.Rank} ORDER BY l.Rank) AS lines,
       {'superoffice_sale_id': CAST(s.SaleId AS VARCHAR)} AS external_refs,
       link.shop_id AS _shop_id
FROM superoffice_sale AS s
JOIN superoffice_quotealternative AS a ON a.SaleId = s.SaleId
JOIN superoffice_quoteline AS l ON l.QuoteAlternativeId = a.QuoteAlternativeId
LEFT JOIN link_contact_customer AS link ON link.so_id = s.ContactId
GROUP BY ALL
"""


def test_one_section_per_superoffice_input(write_pipe, pipes_dir: Path) -> None:
    write_pipe("order/superoffice.sql", ORDER)
    sections = dataflow_sections(discover(pipes_dir))
    assert [s.title for s in sections] == [
        "SuperOffice Sale to Customwebshop Order",
        "SuperOffice Quotealternative to Customwebshop Order",
        "SuperOffice Quoteline to Customwebshop Order",
    ]
    sale, alternative, line = sections
    assert [(r.source, r.target, r.type) for r in sale.rows] == [
        ("`Heading`", "`title`", "string"),
        ("`SaleId`", "`external_refs.superoffice_sale_id` *(to shop only)*", "string"),
    ]
    assert [(r.source, r.target) for r in alternative.rows] == [
        ("`Name`", "`note`"),
        ("`TotalPrice`", "`total` *(to shop only)*"),
    ]
    assert [(r.source, r.target, r.type) for r in line.rows] == [
        ("`Code`", "`lines[].sku`", "string"),
        ("`Rank`", "`lines[].position`", "integer"),
    ]


def test_rendered_document_has_seed_sentences_table_and_overrides(write_pipe, pipes_dir: Path) -> None:
    write_pipe(
        "cc/so.sql",
        "/* dataflow: {target: Customwebshop Customer}\n"
        "   columns: {accepts_marketing: {type: boolean, source: NoMailing (negated)}} */\n"
        "SELECT c.ContactId AS _id, NOT c.NoMailing AS accepts_marketing, c.Name AS company_name\n"
        "FROM superoffice_contact c",
    )
    write_pipe("cc/shop.sql", "SELECT s.id AS _id FROM customwebshop_customer s")
    text = render_dataflow_doc(discover(pipes_dir))
    assert "## SuperOffice Contact to Customwebshop Customer" in text
    assert (
        "Every SuperOffice Contact will be synchronized with a Customwebshop Customer. Once a link between a "
        "SuperOffice Contact and a Customwebshop Customer is established, changes to either are synchronized, "
        "regardless of where it is edited."
    ) in text
    assert "| SuperOffice property | Customwebshop property | Customwebshop data type |" in text
    assert "| `NoMailing` (negated) | `accepts_marketing` | boolean |" in text
    assert "| `Name` | `company_name` |  |" in text
    assert "_id" not in text.split("| SuperOffice property")[1]
    assert text.count("## ") == 1


def test_committed_dataflow_document_is_up_to_date() -> None:
    expected = render_dataflow_doc(discover(REPO_PIPES))
    committed = (REPO / "docs" / "dataflow.md").read_text(encoding="utf-8")
    assert committed == expected, "docs/dataflow.md is stale: run `sluice docs` and commit it"


def test_contact_customer_table_matches_the_mapping_proposal() -> None:
    sections = dataflow_sections(discover(REPO_PIPES))
    (section,) = [s for s in sections if s.title == "SuperOffice Contact to Customwebshop Customer"]
    rows = {row.target.split("`")[1]: row.source for row in section.rows}
    assert rows["billing_address.line1"] == "`Address.Postal.Address1`"
    assert rows["email"] == "`Emails[0].Value`"
    assert rows["billing_address.country_code"] == "`Country.TwoLetterISOCountry`"
    assert rows["accepts_marketing"] == "`NoMailing` (negated)"
    assert rows["external_refs.superoffice_contact_id"] == "`ContactId`"
    assert len(rows) == 21


def test_a_pipe_naming_its_source_gets_one_section_with_its_look_ups() -> None:
    """The product pipe joins the price list for the currency: one Product section, the currency row in it."""
    sections = [s for s in dataflow_sections(discover(REPO_PIPES)) if s.target_entity == "Product"]
    assert [s.title for s in sections] == ["SuperOffice Product to Customwebshop Product"]
    rows = {row.target.split("`")[1]: row.source for row in sections[0].rows}
    assert rows["price"] == "`UnitListPrice`"
    assert rows["currency"] == "`Currency` of the product's price list (`ERPPriceListKey`)"
    assert "shop is not created in SuperOffice" in " ".join(sections[0].pipe.header.description.split())
