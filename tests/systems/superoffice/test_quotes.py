"""Quote trees and quote-line edits through the Quote agent, against the simulator."""

from __future__ import annotations

import pytest

from sluice.systems.superoffice import QuoteTree, SuperOfficeClient


def a_tree_with_lines(so: SuperOfficeClient) -> QuoteTree:
    for tree in so.read_quotes():
        if tree.lines:
            return tree
    raise AssertionError("the seeded simulator has no quote with lines")


def test_quote_trees_carry_their_parents_keys(so: SuperOfficeClient) -> None:
    trees = list(so.read_quotes())
    assert trees
    with_quote = {tree.sale_id for tree in trees}
    assert len(with_quote) == len(trees)
    for tree in trees:
        assert tree.quote["SaleId"] == tree.sale_id
        assert "QuoteVersions" not in tree.quote
        assert tree.versions and all(v["QuoteId"] == tree.quote["QuoteId"] for v in tree.versions)
        version_ids = {v["QuoteVersionId"] for v in tree.versions}
        for alternative in tree.alternatives:
            assert alternative["QuoteVersionId"] in version_ids
            assert alternative["SaleId"] == tree.sale_id and alternative["QuoteId"] == tree.quote["QuoteId"]
        alternative_ids = {a["QuoteAlternativeId"] for a in tree.alternatives}
        assert all(line["QuoteAlternativeId"] in alternative_ids for line in tree.lines)
        assert all(line["SaleId"] == tree.sale_id for line in tree.lines)
    some = sorted(with_quote)[:3]
    assert [t.sale_id for t in so.read_quotes(some)] == some


def test_line_edit_then_recalculation_updates_the_alternative(so: SuperOfficeClient) -> None:
    tree = a_tree_with_lines(so)
    line = tree.lines[0]
    before = so.quotes.alternative(line["QuoteAlternativeId"])
    saved, alternative = so.quotes.update_line(line["QuoteLineId"], {"Quantity": line["Quantity"] + 2})
    assert saved["Quantity"] == line["Quantity"] + 2
    assert saved["SubTotal"] == pytest.approx(saved["Quantity"] * saved["UnitListPrice"], abs=0.01)
    assert alternative is not None and alternative["QuoteAlternativeId"] == line["QuoteAlternativeId"]
    lines = so.quotes.lines(line["QuoteAlternativeId"])
    assert alternative["SubTotal"] == pytest.approx(sum(x["TotalPrice"] for x in lines), abs=0.01)
    assert alternative["SubTotal"] > before["SubTotal"]
    assert so.quotes.alternative(line["QuoteAlternativeId"])["SubTotal"] == alternative["SubTotal"]


def test_create_and_delete_a_quote_line(so: SuperOfficeClient) -> None:
    tree = a_tree_with_lines(so)
    alternative_id = tree.lines[0]["QuoteAlternativeId"]
    before = {x["QuoteLineId"] for x in so.quotes.lines(alternative_id)}
    created = so.quotes.create_line(alternative_id, tree.lines[0]["ERPProductKey"], {"Quantity": 3})
    assert created["QuoteLineId"] not in before and created["Quantity"] == 3
    assert created["QuoteLineId"] in {x["QuoteLineId"] for x in so.quotes.lines(alternative_id)}
    so.quotes.recalculate(alternative_id)
    so.quotes.delete_line(created["QuoteLineId"])
    assert {x["QuoteLineId"] for x in so.quotes.lines(alternative_id)} == before


@pytest.mark.parametrize("dynamic", [True, False], ids=["dynamic", "date-only"])
def test_quotes_changed_since_a_watermark(so: SuperOfficeClient, dynamic: bool) -> None:
    result = so.read("sale")
    list(result)
    tree = a_tree_with_lines(so)
    so.quotes.update_line(tree.lines[0]["QuoteLineId"], {"Quantity": tree.lines[0]["Quantity"] + 1})
    if not dynamic:
        so.dynamic_supported = False
    changed = [t.sale_id for t in so.read_quotes(since=result.watermark)]
    assert tree.sale_id in changed
    if dynamic:
        assert len(changed) <= 3  # only quotes edited in the last seconds, not every quote
