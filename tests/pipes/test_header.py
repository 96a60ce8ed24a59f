from __future__ import annotations

import pytest

from sluice.errors import PipeError
from sluice.pipes.header import parse_header

BLOCK = """/* output: shop_customer
   description: Every company becomes a customer.
   dataflow: {target: Customwebshop Customer}
   columns:
     company_name: {type: string, description: The name.}
     accepts_marketing: {type: boolean, source: NoMailing (negated)}
     external_refs.superoffice_contact_id: {type: string, direction: to shop only}
     note: Free text.
*/
SELECT 1 AS _id
"""


def test_block_header_holds_output_description_dataflow_and_columns() -> None:
    header = parse_header(BLOCK)
    assert header.output == "shop_customer"
    assert header.description == "Every company becomes a customer."
    assert header.dataflow_target == "Customwebshop Customer"
    assert header.columns["company_name"].type == "string"
    assert header.columns["accepts_marketing"].source == "NoMailing (negated)"
    assert header.columns["external_refs.superoffice_contact_id"].direction == "to shop only"
    assert header.columns["note"].description == "Free text."
    assert header.line_count == 9


def test_dash_comment_header() -> None:
    header = parse_header("-- output: x_y\n-- description: two words\nSELECT 1 AS _id\n")
    assert (header.output, header.description, header.line_count) == ("x_y", "two words", 2)


def test_no_header_and_prose_header() -> None:
    assert parse_header("SELECT 1 AS _id").output is None
    assert parse_header("-- just a note about this pipe\nSELECT 1").description == "just a note about this pipe"


def test_malformed_yaml_names_file_and_line() -> None:
    with pytest.raises(PipeError, match=r"pipes/a\.sql:\d+: the header is not valid YAML") as err:
        parse_header("/* output: [unclosed\n*/\nSELECT 1", "pipes/a.sql")
    assert err.value.path == "pipes/a.sql"


@pytest.mark.parametrize(
    "header",
    [
        "/* output: not a name! */ SELECT 1",
        "/* dataflow: Customer */ SELECT 1",
        "/* columns: [a, b] */ SELECT 1",
        "/* columns: {a: {colour: red}} */ SELECT 1",
    ],
)
def test_bad_header_values_are_pipe_errors(header: str) -> None:
    with pytest.raises(PipeError, match=r"p\.sql"):
        parse_header(header, "p.sql")
