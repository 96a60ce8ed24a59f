"""FindSale's nested quote columns: one row per line of the active version's alternatives when asked for,
one row per sale otherwise; values agree with what the Quote agent serves for the same tree."""

from __future__ import annotations

import requests

LINE = "quote/version/alternative/quoteline"
ALTERNATIVE = "quote/version/alternative"


def rows(api: str, path: str, **params: str | int) -> list[dict]:
    response = requests.get(f"{api}/{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["value"]


def agent(api: str, method: str, body: dict) -> dict | list:
    response = requests.post(f"{api}/Agents/Quote/{method}", json=body, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def quoted_sale(api: str) -> int:
    """A seeded sale whose active version has at least two lines."""
    for row in rows(api, "Sale", **{"$select": "saleId", "$filter": "hasQuote set 1", "$orderBy": "saleId"}):
        lines = rows(api, "Sale", **{"$select": f"{LINE}/quoteLineId", "$filter": f"saleId eq {row['PrimaryKey']}"})
        if len(lines) >= 2:
            return int(row["PrimaryKey"])
    raise AssertionError("the seed has no sale with a multi-line quote")


def test_line_columns_give_one_row_per_line_of_the_active_version(api: str) -> None:
    sale_id = quoted_sale(api)
    select = f"saleId,quote/version/quoteVersionId,quote/version/state,{ALTERNATIVE}/quoteAlternativeId,"
    select += f"{LINE}/quoteLineId,{LINE}/erpProductKey,{LINE}/totalPrice,{LINE}/updatedDate"
    found = rows(api, "Sale", **{"$select": select, "$filter": f"saleId eq {sale_id}"})
    quote = agent(api, "GetQuoteFromSaleId", {"SaleId": sale_id})
    version = quote["ActiveQuoteVersion"]
    expected = []
    for alternative in version["QuoteAlternatives"]:
        for line in agent(api, "GetQuoteLines", {"QuoteAlternativeId": alternative["QuoteAlternativeId"]}):
            expected.append((alternative["QuoteAlternativeId"], line["QuoteLineId"], line["ERPProductKey"]))
            assert any(r[f"{LINE}/quoteLineId"] == line["QuoteLineId"] and r[f"{LINE}/totalPrice"] == line["TotalPrice"]
                       for r in found)  # fmt: skip
    assert [(r[f"{ALTERNATIVE}/quoteAlternativeId"], r[f"{LINE}/quoteLineId"], r[f"{LINE}/erpProductKey"])
            for r in found] == expected  # fmt: skip
    assert {r["PrimaryKey"] for r in found} == {str(sale_id)}
    assert {r["quote/version/quoteVersionId"] for r in found} == {version["QuoteVersionId"]}
    assert {r["quote/version/state"] for r in found} == {version["State"]}
    assert all(r[f"{LINE}/updatedDate"] > "2000" for r in found)


def test_a_sale_without_a_quote_still_gets_one_row(api: str) -> None:
    sale_id = requests.post(f"{api}/Sale", json={"Heading": "No quote"}, timeout=10).json()["SaleId"]
    found = rows(api, "Sale", **{"$select": f"saleId,{LINE}/quoteLineId,{LINE}/updatedDate",
                                 "$filter": f"saleId eq {sale_id}"})  # fmt: skip
    assert found == [{"PrimaryKey": str(sale_id), "EntityName": "sale", "saleId": sale_id,
                      f"{LINE}/quoteLineId": 0, f"{LINE}/updatedDate": "0001-01-01T00:00:00"}]  # fmt: skip


def test_without_nested_columns_there_is_one_row_per_sale(api: str) -> None:
    plain = rows(api, "Sale", **{"$select": "saleId,quote/version/state"})
    assert len(plain) == len({r["PrimaryKey"] for r in plain})
    expanded = rows(api, "Sale", **{"$select": f"saleId,{LINE}/quoteLineId"})
    assert len(expanded) > len(plain)
    assert {r["PrimaryKey"] for r in expanded} == {r["PrimaryKey"] for r in plain}


def test_filtering_on_a_line_column_expands_too_and_paging_is_stable(api: str) -> None:
    sale_id = quoted_sale(api)
    dated = rows(api, "Sale", **{"$select": "saleId", "$filter": f"{LINE}/updatedDate after '2000-01-01'"})
    assert str(sale_id) in {r["PrimaryKey"] for r in dated}
    select = {"$select": f"saleId,{LINE}/quoteLineId", "$orderBy": "saleId"}
    whole = rows(api, "Sale", **select)
    paged: list[dict] = []
    for skip in range(0, len(whole), 9):
        paged += rows(api, "Sale", **select, **{"$top": 9, "$skip": skip})
    assert paged == whole


def test_unknown_nested_column_is_400(api: str) -> None:
    response = requests.get(f"{api}/Sale", params={"$select": f"{LINE}/nope"}, timeout=10)
    assert response.status_code == 400
