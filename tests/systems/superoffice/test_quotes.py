"""Quote trees, incremental quote reads and quote writes through the Quote agent, against a strict simulator
(totals are computed only on RecalculateQuoteAlternative, as on a real tenant)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sluice.errors import PermanentError
from sluice.simulators.superoffice.store import utc_now
from sluice.systems.superoffice import QuoteTree, SuperOfficeClient

from .conftest import Running, start


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    yield from start(seed=0, contacts=120, strict_quotes=True)


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


def test_a_quote_read_hands_back_its_watermark(so: SuperOfficeClient) -> None:
    full = so.quotes.read()
    trees = list(full)
    assert full.count == len(trees) > 0 and full.mode == "full"
    tree = next(t for t in trees if t.lines)
    line = tree.lines[0]
    so.quotes.update_line(line["QuoteLineId"], {"Quantity": line["Quantity"] + 1})
    # The watermark is the server's Date header (whole seconds, refreshed about once a second by uvicorn)
    # less a second, so an edit in the last seconds before a read is read again by the next one.
    time.sleep(3.5)
    changed = so.quotes.read(since=full.watermark)
    assert tree.sale_id in [t.sale_id for t in changed] and changed.mode == "dynamic"
    quiet = so.quotes.read(since=changed.watermark)
    assert [t.sale_id for t in quiet] == [] and quiet.watermark >= changed.watermark


@pytest.mark.parametrize("dynamic", [True, False], ids=["dynamic", "date-only"])
def test_changed_sales_see_header_and_line_only_edits(so: SuperOfficeClient, running: Running, dynamic: bool) -> None:
    """A sale edited alone, and a line whose update a real tenant may not propagate to ``quote.updated``
    (touched here in the simulator's store only), both count as changed quotes."""
    full = so.quotes.read()
    trees = [t for t in full if t.lines]
    header, line_only = trees[0], trees[1]
    so.update("sale", header.sale_id, {"Heading": "Edited header"})
    running.sim.store.touch("quote_line", line_only.lines[0]["QuoteLineId"], utc_now())
    if not dynamic:
        so.dynamic_supported = False
    changed = so.quotes.changed_sales(full.watermark)
    assert {header.sale_id, line_only.sale_id} <= changed
    if dynamic:
        assert len(changed) <= 3


def test_alternative_discount_waits_for_the_recalculation(so: SuperOfficeClient) -> None:
    tree = a_tree_with_lines(so)
    alt_id = tree.lines[0]["QuoteAlternativeId"]
    before = so.quotes.recalculate(alt_id)
    saved = so.quotes.update_alternative(alt_id, {"DiscountPercent": 10.0, "Name": "Ten off"})
    assert (saved["UserValueOverride"], saved["Name"]) == ("DiscountPercent", "Ten off")
    assert saved["TotalPrice"] == before["TotalPrice"]  # the connector computes it on Recalculate
    after = so.quotes.recalculate(alt_id)
    assert after["TotalPrice"] == pytest.approx(round(before["SubTotal"] * 0.9, 2), abs=0.01)
    assert so.quotes.alternative(alt_id)["TotalPrice"] == after["TotalPrice"]


def test_ensure_line_creates_once_per_erp_line_key(so: SuperOfficeClient) -> None:
    tree = a_tree_with_lines(so)
    line = tree.lines[0]
    alt_id, key = line["QuoteAlternativeId"], f"cws:{tree.sale_id}:901"
    first = so.quotes.ensure_line(alt_id, key, line["ERPProductKey"], {"Quantity": 2.0, "DiscountPercent": 5.0})
    assert (first["ERPQuoteLineKey"], first["Quantity"], first["UserValueOverride"]) == (key, 2.0, "DiscountPercent")
    again = so.quotes.ensure_line(alt_id, key, line["ERPProductKey"], {"Quantity": 3.0})  # a retry
    assert again["QuoteLineId"] == first["QuoteLineId"] and again["Quantity"] == 3.0
    assert [x["QuoteLineId"] for x in so.quotes.lines(alt_id) if x["ERPQuoteLineKey"] == key] == [first["QuoteLineId"]]
    assert so.quotes.line_by_erp_key(alt_id, key)["QuoteLineId"] == first["QuoteLineId"]
    assert so.quotes.line_by_erp_key(alt_id, "cws:none") is None
    recalculated = so.quotes.recalculate(alt_id)
    assert recalculated["SubTotal"] == pytest.approx(sum(x["TotalPrice"] for x in so.quotes.lines(alt_id)), abs=0.01)


def test_a_free_text_line_has_no_product_key(so: SuperOfficeClient) -> None:
    alt_id = a_tree_with_lines(so).lines[0]["QuoteAlternativeId"]
    values = {"Name": "Freight", "Quantity": 1.0, "UnitListPrice": 50.0}
    line = so.quotes.create_line(alt_id, "", values, erp_line_key="cws:freight")
    assert (line["ERPProductKey"], line["Name"], line["ERPQuoteLineKey"]) == ("", "Freight", "cws:freight")
    so.quotes.recalculate(alt_id)
    assert so.quotes.line(line["QuoteLineId"])["TotalPrice"] == 50.0
    so.quotes.delete_line(line["QuoteLineId"])


def test_a_line_whose_save_fails_is_not_left_half_made(so: SuperOfficeClient) -> None:
    line = a_tree_with_lines(so).lines[0]
    alt_id = line["QuoteAlternativeId"]
    before = [x["QuoteLineId"] for x in so.quotes.lines(alt_id)]
    with pytest.raises(PermanentError):
        so.quotes.create_line(alt_id, line["ERPProductKey"], {"Quantity": "lots"}, erp_line_key="cws:bad")
    assert [x["QuoteLineId"] for x in so.quotes.lines(alt_id)] == before


def test_the_tree_names_the_active_version_and_its_alternatives(so: SuperOfficeClient) -> None:
    tree = a_tree_with_lines(so)
    version = so.quotes.call("CreateAndSaveQuoteVersion", {"QuoteVersionId": tree.active_version_id})
    fresh = so.quotes.tree(tree.sale_id)
    assert fresh is not None and fresh.active_version_id == version["QuoteVersionId"]
    active = fresh.active_alternatives()
    assert [a["QuoteAlternativeId"] for a in active] == [a["QuoteAlternativeId"] for a in version["QuoteAlternatives"]]
    old = next(v for v in fresh.versions if v["QuoteVersionId"] == tree.active_version_id)
    assert old["State"] == "Archived"
    for alternative in active:
        copied = fresh.lines_of(alternative["QuoteAlternativeId"])
        assert all(line["QuoteVersionId"] == fresh.active_version_id for line in copied)
