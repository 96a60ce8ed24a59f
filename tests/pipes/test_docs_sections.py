"""The dataflow document's shape around the tables: sections in the seed's order whichever pipe holds them, the
identity of each flow's records, the one-way properties named, and the seed sections no pipe fills yet."""

from __future__ import annotations

from pathlib import Path

from sluice.pipes.docs import SEED_SECTIONS, dataflow_sections, missing_seed_sections, render_dataflow_doc
from sluice.pipes.pipe import discover

from .conftest import REPO_PIPES

LINES = """/*
dataflow: {source: SuperOffice Quoteline, target: Customwebshop Order}
columns:
  _id: The QuoteLineId as text.
  sku: {type: string, source: Code, direction: to shop only}
  quantity: {type: decimal}
*/
SELECT CAST(l.QuoteLineId AS VARCHAR) AS _id, l.Code AS sku, l.Quantity AS quantity
FROM (SELECT unnest(Lines) AS l FROM superoffice_quote)
"""

ORDERS = """/*
dataflow: {target: Customwebshop Order, sections: {superoffice_sale: Sale, superoffice_quote: Quotealternative}}
columns:
  _id: "`sale:<SaleId>:<ordinal>`: the sale and the alternative's ordinal."
  title: {type: string, source: Heading}
  note: {type: string, direction: to shop only}
*/
SELECT 'sale:' || s.SaleId || ':1' AS _id, s.Heading AS title, q.Name AS note
FROM superoffice_sale AS s JOIN superoffice_quote AS q ON q.SaleId = s.SaleId
"""

CONTACTS = """/*
dataflow: {target: Customwebshop Customer}
columns:
  _id: The ContactId as text.
*/
SELECT CAST(c.ContactId AS VARCHAR) AS _id, c.Name AS company_name FROM superoffice_contact AS c
"""


def test_sections_follow_the_seed_order_within_a_target_whichever_folder_holds_them(
    write_pipe, pipes_dir: Path
) -> None:
    write_pipe("a_lines/superoffice.sql", LINES)  # sorts before the order pipe by path
    write_pipe("b_contacts/superoffice.sql", CONTACTS)
    write_pipe("c_orders/superoffice.sql", ORDERS)
    titles = [s.title for s in dataflow_sections(discover(pipes_dir))]
    assert titles == [
        "SuperOffice Sale to Customwebshop Order",
        "SuperOffice Quotealternative to Customwebshop Order",
        "SuperOffice Quoteline to Customwebshop Order",
        "SuperOffice Contact to Customwebshop Customer",
    ]


def test_each_section_states_the_identity_and_names_its_one_way_properties(write_pipe, pipes_dir: Path) -> None:
    write_pipe("orders/superoffice.sql", ORDERS)
    write_pipe("lines/superoffice.sql", LINES)
    text = render_dataflow_doc(discover(pipes_dir))
    sale = text.split("## SuperOffice Sale to Customwebshop Order")[1].split("## ")[0]
    alternative = text.split("## SuperOffice Quotealternative to Customwebshop Order")[1].split("## ")[0]
    line = text.split("## SuperOffice Quoteline to Customwebshop Order")[1].split("## ")[0]
    assert "Identity (the link key): `sale:<SaleId>:<ordinal>`: the sale and the alternative's ordinal." in sale
    assert "*(to shop only)*" not in sale and "never read back" not in sale  # the title goes both ways
    assert (
        "Properties marked *(to shop only)* are written to the shop and never read back: `note`.\n" in alternative
    )  # every property of the section is one way: no "every other" sentence
    assert "Identity (the link key): The QuoteLineId as text." in line
    assert (
        "Properties marked *(to shop only)* are written to the shop and never read back: `sku`. Every other "
        "property syncs both ways once the records are linked." in line
    )


def test_the_seed_sections_no_pipe_fills_are_named_at_the_end(write_pipe, pipes_dir: Path) -> None:
    write_pipe("orders/superoffice.sql", ORDERS)
    pipes = discover(pipes_dir)
    assert missing_seed_sections(pipes) == ["Contact", "Product", "Quoteline"]
    text = render_dataflow_doc(pipes)
    assert text.endswith(
        "Not generated yet (no pipe fills them): SuperOffice Contact, SuperOffice Product, SuperOffice Quoteline.\n"
    )
    write_pipe("lines/superoffice.sql", LINES)
    write_pipe("contacts/superoffice.sql", CONTACTS)
    assert missing_seed_sections(discover(pipes_dir)) == ["Product"]


def test_the_repository_fills_every_seed_section() -> None:
    pipes = discover(REPO_PIPES)
    assert {s.source_entity for s in dataflow_sections(pipes)} == set(SEED_SECTIONS)
    assert missing_seed_sections(pipes) == []
    text = render_dataflow_doc(pipes)
    assert "Not generated yet" not in text
    titles = [line for line in text.splitlines() if line.startswith("## ")]
    assert titles[-3:] == [
        "## SuperOffice Sale to Customwebshop Order",
        "## SuperOffice Quotealternative to Customwebshop Order",
        "## SuperOffice Quoteline to Customwebshop Order",
    ]
    assert "Identity (the link key): `sale:<SaleId>:<ordinal>`" in text  # the order identity
