"""The order pipe feeds two sections of the dataflow document, one per SuperOffice entity (``dataflow.sections``)."""

from __future__ import annotations

import pytest

from sluice.errors import PipeError
from sluice.pipes.docs import dataflow_sections
from sluice.pipes.header import parse_header
from sluice.pipes.pipe import discover

from .conftest import REPO_PIPES


def test_the_sale_and_quotealternative_sections_are_filled_from_the_order_pipe() -> None:
    sections = {s.title: s for s in dataflow_sections(discover(REPO_PIPES)) if s.target_entity == "Order"}
    assert sorted(sections) == [
        "SuperOffice Quotealternative to Customwebshop Order",
        "SuperOffice Sale to Customwebshop Order",
    ]
    rows = {
        title.split()[1]: {row.target.split("`")[1]: row.source for row in section.rows}
        for title, section in sections.items()
    }
    sale, alternative = rows["Sale"], rows["Quotealternative"]
    assert sale["status"] == "`Status`" and sale["title"] == "`Heading`" and "customer_id" in sale
    assert "note" in alternative and "lines" not in alternative and "status" not in alternative
    assert "ordinal" in sections["SuperOffice Sale to Customwebshop Order"].pipe.header.description


def test_the_quoteline_section_is_filled_from_the_line_pipe_with_the_lines_path() -> None:
    (section,) = [s for s in dataflow_sections(discover(REPO_PIPES)) if s.source_entity == "Quoteline"]
    assert section.title == "SuperOffice Quoteline to Customwebshop Order"
    rows = {row.target.split("`")[1]: row for row in section.rows}
    assert rows["lines[].quantity"].source == "`Quantity`" and "to shop only" not in rows["lines[].quantity"].target
    assert rows["lines[].unit_price"].source == "`UnitListPrice`"
    assert rows["lines[].discount_percent"].source == "`DiscountPercent`"
    assert "to shop only" in rows["lines[].sku"].target and "to shop only" in rows["lines[].product_id"].target
    assert rows["lines[].external_refs.superoffice_quoteline_id"].source == "`QuoteLineId`"
    assert "draft" in section.pipe.header.description and "ERPQuoteLineKey" in section.pipe.header.description


def test_sections_must_map_datasets_to_entity_names() -> None:
    sql = "/*\ndataflow: {target: Customwebshop Order, sections: [superoffice_sale]}\n*/\nSELECT 1 AS _id\n"
    with pytest.raises(PipeError, match="sections must map datasets"):
        parse_header(sql, "pipes/x/y.sql")
