"""The Quote agent as the real API behaves (orders-products.md §5), over HTTP against a strict simulator:
totals wait for a Recalculate, UserValueOverride picks the master discount field, a new version archives the
old one, the favourite alternative feeds the sale, ids sit where the spec puts them; responses validate
against the official Swagger."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from sluice.simulators.runner import ServerThread
from sluice.simulators.superoffice import SuperOfficeSimulator

DEFS = "SuperOffice.CRM.Services."
SLIM = "SuperOffice.Services.WebApi.OData.ODataSlimResponse"


@pytest.fixture(scope="module")
def strict() -> Iterator[str]:
    """A strict simulator without auth: its API base URL."""
    sim = SuperOfficeSimulator(seed=4, contacts=20, auth="none", strict_quotes=True)
    with ServerThread(sim.app) as server:
        yield f"{server.url}/{sim.tenant}/api/v1"


def call(api: str, method: str, body: Any = None, status: int = 200, **params: Any) -> Any:
    response = requests.post(f"{api}/Agents/Quote/{method}", json=body, params=params, timeout=10)
    assert response.status_code == status, f"{method}: {response.status_code} {response.text}"
    return response.json() if response.content else None


def new_quote(api: str, amount: float = 1.0) -> tuple[int, dict]:
    """A new sale with a quote: (sale id, QuoteEntity)."""
    sale = requests.post(f"{api}/Sale", json={"Heading": "Quote test", "Amount": amount}, timeout=10).json()
    return sale["SaleId"], call(api, "CreateAndSaveQuote", {"SaleId": sale["SaleId"]})


def first_alternative(quote: dict) -> int:
    return quote["QuoteVersions"][0]["QuoteAlternatives"][0]["QuoteAlternativeId"]


def priced_line(api: str, alt_id: int, **fields: Any) -> dict:
    """A line of 4 x 100.00 (cost 60.00) plus ``fields``, saved; in strict mode its totals are not computed."""
    line = call(api, "CreateQuoteLine", {"QuoteAlternativeId": alt_id, "ERPProductKey": "HOUR-NOK"})
    values = {"Quantity": 4.0, "UnitListPrice": 100.0, "UnitCost": 60.0, "VAT": 25.0, **fields}
    return call(api, "SaveQuoteLine", {"QuoteLine": {**line, **values}})


def recalculated(api: str, alt_id: int) -> dict:
    return call(api, "RecalculateQuoteAlternative", {"QuoteAlternative": alt_id})["ChangedQuoteAlternative"]


def test_strict_save_leaves_totals_stale_until_recalculate(strict: str, validate: Callable) -> None:
    _, quote = new_quote(strict)
    alt_id = first_alternative(quote)
    created = call(strict, "CreateQuoteLine", {"QuoteAlternativeId": alt_id, "ERPProductKey": "HOUR-NOK"})
    saved = call(strict, "SaveQuoteLine", {"QuoteLine": {**created, "Quantity": 4.0, "UnitListPrice": 100.0}})
    validate(saved, DEFS + "QuoteLine")
    assert saved["Quantity"] == 4.0 and saved["SubTotal"] == created["SubTotal"] != 400.0  # stale
    assert call(strict, "GetQuoteAlternative", quoteAlternativeId=alt_id)["SubTotal"] == 0.0  # stale
    answer = call(strict, "RecalculateQuoteAlternative", {"QuoteAlternative": alt_id})
    validate(answer, DEFS + "QuoteAlternativeRecalculated")
    assert answer["QuoteLinesHasChanged"] is True
    assert answer["ChangedQuoteAlternative"]["SubTotal"] == 400.0
    assert call(strict, "GetQuoteLine", {"QuoteLineId": saved["QuoteLineId"]})["TotalPrice"] == 400.0


def test_strict_line_delete_and_alternative_save_wait_for_recalculate(strict: str) -> None:
    _, quote = new_quote(strict)
    alt_id = first_alternative(quote)
    line = priced_line(strict, alt_id)
    assert recalculated(strict, alt_id)["TotalPrice"] == 400.0
    alternative = call(strict, "GetQuoteAlternative", quoteAlternativeId=alt_id)
    saved = call(strict, "SaveQuoteAlternative", {**alternative, "DiscountAmount": 50.0, "UserValueOverride":
                                                  "DiscountAmount"})  # fmt: skip
    assert saved["DiscountAmount"] == 50.0 and saved["TotalPrice"] == 400.0  # stale until recalculated
    assert recalculated(strict, alt_id)["TotalPrice"] == 350.0
    call(strict, "DeleteQuoteLine", {"QuoteLineId": line["QuoteLineId"]}, status=204)
    assert call(strict, "GetQuoteAlternative", quoteAlternativeId=alt_id)["SubTotal"] == 400.0  # stale
    assert recalculated(strict, alt_id)["SubTotal"] == 0.0


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("DiscountPercent", (40.0, 10.0, 360.0)),  # 10 % of 400
        ("DiscountAmount", (25.0, 6.25, 375.0)),  # 25.00 off; the percent follows
        ("EarningAmount", (100.0, 25.0, 300.0)),  # total = cost 240 + earning 60
        ("None", (20.0, 5.0, 380.0)),  # nothing overridden: the connector's ERPDiscountPercent
    ],
)
def test_user_value_override_picks_the_master_discount_field(
    strict: str, override: str, expected: tuple[float, float, float]
) -> None:
    _, quote = new_quote(strict)
    alt_id = first_alternative(quote)
    fields = {"DiscountPercent": 10.0, "DiscountAmount": 25.0, "EarningAmount": 60.0, "ERPDiscountPercent": 5.0}
    line = priced_line(strict, alt_id, UserValueOverride=override, **fields)
    recalculated(strict, alt_id)
    line = call(strict, "GetQuoteLine", {"QuoteLineId": line["QuoteLineId"]})
    assert (line["DiscountAmount"], line["DiscountPercent"], line["TotalPrice"]) == expected
    assert line["EarningAmount"] == pytest.approx(line["TotalPrice"] - 240.0)
    assert line["UserValueOverride"] == override


def test_alternative_discount_follows_its_override(strict: str) -> None:
    _, quote = new_quote(strict)
    alt_id = first_alternative(quote)
    priced_line(strict, alt_id)
    alternative = call(strict, "GetQuoteAlternative", quoteAlternativeId=alt_id)
    both = {"DiscountPercent": 50.0, "DiscountAmount": 20.0}
    call(strict, "SaveQuoteAlternative", {**alternative, **both, "UserValueOverride": "DiscountPercent"})
    assert recalculated(strict, alt_id)["TotalPrice"] == 200.0
    alternative = call(strict, "GetQuoteAlternative", quoteAlternativeId=alt_id)
    call(strict, "SaveQuoteAlternative", {**alternative, **both, "UserValueOverride": "DiscountAmount"})
    total = recalculated(strict, alt_id)
    assert (total["TotalPrice"], total["DiscountPercent"], total["VAT"]) == (380.0, 5.0, 95.0)


def test_recalculate_quote_line_answers_without_saving(strict: str, validate: Callable) -> None:
    _, quote = new_quote(strict)
    alt_id = first_alternative(quote)
    line = priced_line(strict, alt_id)
    body = {"QuoteLine": {**line, "DiscountPercent": 25.0}, "ChangedFields": ["DiscountPercent"]}
    answer = call(strict, "RecalculateQuoteLine", body)
    validate(answer, DEFS + "QuoteLine")
    assert (answer["UserValueOverride"], answer["TotalPrice"]) == ("DiscountPercent", 300.0)
    assert call(strict, "GetQuoteLine", {"QuoteLineId": line["QuoteLineId"]})["DiscountPercent"] == 0.0


def test_a_new_version_archives_the_active_one(strict: str, validate: Callable) -> None:
    _, quote = new_quote(strict)
    version = quote["QuoteVersions"][0]
    call(strict, "CreateQuoteAlternative", {"QuoteVersionId": version["QuoteVersionId"], "QuoteAlternativeName": "B"})
    call(strict, "SaveQuoteVersion", {"QuoteVersion": {**version, "State": "Sent"}})
    new = call(strict, "CreateAndSaveQuoteVersion", {"QuoteVersionId": version["QuoteVersionId"]})
    validate(new, DEFS + "QuoteVersion")
    old = call(strict, "GetQuoteVersion", {"QuoteVersionId": version["QuoteVersionId"]})
    assert (old["State"], old["ArchivedState"]) == ("Archived", "Sent")
    assert (new["State"], new["Rank"]) == ("Draft", 2)
    new_ids = [a["QuoteAlternativeId"] for a in new["QuoteAlternatives"]]
    old_ids = [a["QuoteAlternativeId"] for a in old["QuoteAlternatives"]]
    assert len(new_ids) == 2 and not set(new_ids) & set(old_ids)
    assert new["LikelyQuoteAlternativeId"] == new_ids[0]  # the copy of the old likely alternative
    entity = call(strict, "GetQuoteEntity", {"QuoteId": quote["QuoteId"]})
    assert entity["ActiveQuoteVersionId"] == new["QuoteVersionId"]


def sale_amount(api: str, sale_id: int) -> float:
    return requests.get(f"{api}/Sale/{sale_id}", timeout=10).json()["Amount"]


def test_the_favourite_alternative_sets_the_sale_amount(strict: str, validate: Callable) -> None:
    sale_id, quote = new_quote(strict, amount=7.0)
    version = quote["QuoteVersions"][0]
    alt_id = first_alternative(quote)
    priced_line(strict, alt_id)
    assert sale_amount(strict, sale_id) == 0.0  # the empty favourite alternative's total
    recalculated(strict, alt_id)
    assert sale_amount(strict, sale_id) == 400.0
    other = call(strict, "CreateQuoteAlternative", {"QuoteVersionId": version["QuoteVersionId"]})
    priced_line(strict, other["QuoteAlternativeId"], Quantity=1.0)
    recalculated(strict, other["QuoteAlternativeId"])
    assert sale_amount(strict, sale_id) == 400.0  # not the favourite
    version = call(strict, "GetQuoteVersion", {"QuoteVersionId": version["QuoteVersionId"]})
    call(
        strict,
        "SaveQuoteVersion",
        {"QuoteVersion": {**version, "LikelyQuoteAlternativeId": other["QuoteAlternativeId"]}},
    )
    assert sale_amount(strict, sale_id) == 100.0
    simple = call(strict, "GetQuote", {"QuoteId": quote["QuoteId"]})
    assert simple["FavoriteQuoteAlternative"]["QuoteAlternativeId"] == other["QuoteAlternativeId"]
    saved = call(strict, "SaveQuote", {"Quote": {**simple, "UseValuesFromQuote": 0}})
    validate(saved, DEFS + "Quote")
    requests.patch(f"{strict}/Sale/{sale_id}", json={"Amount": 5.0}, timeout=10).raise_for_status()
    recalculated(strict, alt_id)
    assert sale_amount(strict, sale_id) == 5.0  # UseValuesFromQuote = 0: the sale keeps its own amount


@pytest.mark.parametrize(
    ("method", "body", "params", "where"),
    [
        ("GetQuoteAlternative", {"QuoteAlternativeId": 1}, {}, "query string"),  # the spec: query only
        ("DeleteProduct", {"ProductId": 999999}, {}, "query string"),  # the spec: query only (404: no such id)
        ("GetQuoteLine", None, {"QuoteLineId": 1}, "request body"),  # the spec: body only
        ("GetQuoteAlternatives", None, {"QuoteVersionId": 1}, "request body"),
    ],
)
def test_ids_only_where_the_spec_puts_them(strict: str, method: str, body: Any, params: dict, where: str) -> None:
    response = requests.post(f"{strict}/Agents/Quote/{method}", json=body, params=params, timeout=10)
    assert response.status_code == 400, response.text
    assert response.json()["ErrorMessage"].endswith(f"must be an integer in the {where}")
    moved = requests.post(f"{strict}/Agents/Quote/{method}", json=params or None, params=body or {}, timeout=10)
    assert moved.status_code in (200, 204, 404), moved.text  # the same id in the right place is understood


def test_find_sale_has_the_spec_columns_only(strict: str, validate: Callable) -> None:
    sale_id, _ = new_quote(strict)
    requests.patch(f"{strict}/Sale/{sale_id}", json={"Number": "S-77"}, timeout=10).raise_for_status()
    select = "saleId,saleNumber,hasQuote,quote/registeredDate"
    body = requests.get(f"{strict}/Sale", params={"$select": select, "$filter": f"saleId eq {sale_id}"}, timeout=10)
    assert body.status_code == 200, body.text
    validate(body.json(), SLIM)
    [row] = body.json()["value"]
    assert (row["saleNumber"], row["hasQuote"]) == ("S-77", True)
    assert row["quote/registeredDate"] not in ("", None, "0001-01-01T00:00:00")
    for invented in ("quote/updatedDate", "quote/version/updatedDate"):
        refused = requests.get(f"{strict}/Sale", params={"$select": f"saleId,{invented}"}, timeout=10)
        assert refused.status_code == 400, invented


def test_dynamic_serves_quote_alternative_and_version_tables(strict: str) -> None:
    _, quote = new_quote(strict)
    version_id = quote["QuoteVersions"][0]["QuoteVersionId"]
    alt_id = first_alternative(quote)
    for select, where, expected in (
        ("quotealternative.quotealternative_id,quotealternative.quoteversion_id,quotealternative.updated",
         f"quotealternative.quoteversion_id eq {version_id}", alt_id),
        ("quoteversion.quoteversion_id,quoteversion.quote_id,quoteversion.updated",
         f"quoteversion.quote_id eq {quote['QuoteId']}", version_id),
    ):  # fmt: skip
        response = requests.get(f"{strict}/Archive/Dynamic", params={"$select": select, "$filter": where}, timeout=10)
        assert response.status_code == 200, response.text
        assert [int(r["PrimaryKey"]) for r in response.json()["value"]] == [expected]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_a_sale_refuses_saint_all(strict: str, method: str) -> None:
    sale = requests.post(f"{strict}/Sale", json={"Heading": "Status"}, timeout=10).json()
    url = f"{strict}/Sale" if method == "POST" else f"{strict}/Sale/{sale['SaleId']}"
    body = {**sale, "Status": "SaintAll"} if method != "PATCH" else {"Status": "SaintAll"}
    response = requests.request(method, url, json=body, timeout=10)
    assert response.status_code == 400 and "SaintAll" in response.text
    assert requests.get(f"{strict}/Sale/{sale['SaleId']}", timeout=10).json()["Status"] != "SaintAll"
    assert requests.patch(f"{strict}/Sale/{sale['SaleId']}", json={"Status": "Sold"}, timeout=10).status_code == 200


def test_seeded_sales_with_quotes_show_their_favourite_alternative(api: str) -> None:
    """The seed keeps what the agent keeps: ``UseValuesFromQuote = 1`` sales carry the favourite's totals."""
    rows = requests.get(f"{api}/Sale", params={"$select": "saleId", "$filter": "hasQuote set 1"}, timeout=10).json()
    for row in rows["value"][:10]:
        quote = call(api, "GetQuoteFromSaleId", {"SaleId": int(row["PrimaryKey"])})
        favorite = quote["FavoriteQuoteAlternative"]
        sale = requests.get(f"{api}/Sale/{row['PrimaryKey']}", timeout=10).json()
        assert (sale["Amount"], sale["Earning"]) == (favorite["TotalPrice"], favorite["EarningAmount"])


def test_a_recalculation_that_changes_nothing_moves_no_updated(strict: str) -> None:
    _, quote = new_quote(strict)
    alt_id = first_alternative(quote)
    priced_line(strict, alt_id)
    recalculated(strict, alt_id)

    def stamps() -> list:
        found = []
        for table, key in (("quote", quote["QuoteId"]), ("quotealternative", alt_id)):
            params = {"$select": f"{table}.{table}_id,{table}.updated", "$filter": f"{table}.{table}_id eq {key}"}
            found += requests.get(f"{strict}/Archive/Dynamic", params=params, timeout=10).json()["value"]
        return found

    before = stamps()
    time.sleep(1.1)  # Dynamic shows ``updated`` to the second: a rewrite now would show
    answer = call(strict, "RecalculateQuoteAlternative", {"QuoteAlternative": alt_id})
    assert answer["QuoteLinesHasChanged"] is False
    assert stamps() == before


def test_the_stats_count_agent_reads_as_reads_and_agent_saves_as_writes(strict: str) -> None:
    """A no-op sync reads quotes through POSTs; ``/_admin/stats`` must count those as reads, not writes."""
    root = strict.split("/")[0] + "//" + strict.split("/")[2]
    sale_id, quote = new_quote(strict)
    alternatives = call(strict, "GetQuoteAlternatives", {"QuoteVersionId": quote["ActiveQuoteVersionId"]})
    alternative = alternatives[0]["QuoteAlternativeId"]
    requests.delete(f"{root}/_admin/stats", timeout=10)
    call(strict, "GetQuoteEntityFromSaleId", {"SaleId": sale_id})
    call(strict, "GetQuoteLines", {"QuoteAlternativeId": alternative})
    call(strict, "GetQuoteAlternative", quoteAlternativeId=alternative)
    stats = requests.get(f"{root}/_admin/stats", timeout=10).json()
    assert (stats["requests"], stats["writes"], stats["by_method"]) == (3, 0, {"POST": 3})
    call(strict, "SaveQuoteLine", {"QuoteLine": {"QuoteLineId": 0, "QuoteAlternativeId": alternative, "Quantity": 1}})
    call(strict, "RecalculateQuoteAlternative", {"QuoteAlternative": alternative})
    assert requests.get(f"{root}/_admin/stats", timeout=10).json()["writes"] == 2
