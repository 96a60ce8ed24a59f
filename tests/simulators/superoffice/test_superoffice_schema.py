"""Every operation's response validates against the official Swagger definitions (``validate``, conftest)."""

from __future__ import annotations

from typing import Any

import requests

DEFS = "SuperOffice.CRM.Services."
CARRIERS = "SuperOffice.WebApi.v1.Carriers."


def _post(api: str, method: str, body: Any = None, **params: Any) -> requests.Response:
    response = requests.post(f"{api}/Agents/Quote/{method}", json=body, params=params, timeout=10)
    assert response.status_code in (200, 204), f"{method}: {response.status_code} {response.text}"
    return response


def test_entities_match_their_carriers(api: str, validate) -> None:
    for path, definition, field in (
        ("Contact", CARRIERS + "ContactCarriers.ContactEntityWithLinks", "Department"),
        ("Person", CARRIERS + "PersonCarriers.PersonEntityWithLinks", "Title"),
        ("Sale", CARRIERS + "SaleCarriers.SaleEntityWithLinks", "Heading"),
        ("Product", DEFS + "Product", "Description"),
    ):
        entity = requests.get(f"{api}/{path}/1", timeout=10).json()
        validate(entity, definition)
        validate(requests.get(f"{api}/{path}/default", timeout=10).json(), definition)
        created = requests.post(f"{api}/{path}", json={"Name": f"Schema {path}"}, timeout=10)
        assert created.status_code == 200, created.text
        validate(created.json(), definition)
        key = next(k for k in created.json() if k.endswith("Id") and k[:-2] in path + "Product")
        new_id = created.json()[key]
        replaced = requests.put(f"{api}/{path}/{new_id}", json={**created.json(), field: "x"}, timeout=10)
        assert replaced.json()[field] == "x"
        validate(replaced.json(), definition)
        if path != "Product":
            patched = requests.patch(f"{api}/{path}/{new_id}", json={field: "y"}, timeout=10)
            assert patched.status_code == 200 and patched.json()[field] == "y"
            validate(patched.json(), definition)
        assert requests.delete(f"{api}/{path}/{new_id}", timeout=10).status_code == 204


def test_lists_are_slim_odata(api: str, validate) -> None:
    slim = "SuperOffice.Services.WebApi.OData.ODataSlimResponse"
    for path in ("Contact", "Sale", "Product", "Person", "Archive/QuoteLine", "Archive/FindQuoteLine"):
        body = requests.get(f"{api}/{path}", params={"$top": 3}, timeout=10).json()
        assert body["odata.nextLink"] is None and len(body["value"]) == 3
        assert all(isinstance(row["PrimaryKey"], str) and row["EntityName"] for row in body["value"])
        validate(body, slim)


def test_quote_agent_walk(api: str, validate) -> None:
    sale = requests.post(f"{api}/Sale", json={"Heading": "Quote walk", "Contact": {"ContactId": 1}}, timeout=10)
    sale_id = sale.json()["SaleId"]
    assert _post(api, "CreateAndSaveQuote", {"SaleId": sale_id}).json()["SaleId"] == sale_id
    entity = _post(api, "GetQuoteEntityFromSaleId", {"SaleId": sale_id}).json()
    validate(entity, DEFS + "QuoteEntity")
    validate(_post(api, "GetQuoteFromSaleId", {"SaleId": sale_id}).json(), DEFS + "Quote")
    validate(_post(api, "GetQuote", {"QuoteId": entity["QuoteId"]}).json(), DEFS + "Quote")
    version_id = entity["QuoteVersions"][0]["QuoteVersionId"]
    validate(_post(api, "GetQuoteVersions", {"QuoteId": entity["QuoteId"]}).json(), DEFS + "QuoteVersion", many=True)
    validate(_post(api, "GetQuoteVersion", {"QuoteVersionId": version_id}).json(), DEFS + "QuoteVersion")
    alternatives = _post(api, "GetQuoteAlternatives", {"QuoteVersionId": version_id}).json()
    validate(alternatives, DEFS + "QuoteAlternative", many=True)
    alt_id = alternatives[0]["QuoteAlternativeId"]
    validate(_post(api, "GetQuoteAlternative", quoteAlternativeId=alt_id).json(), DEFS + "QuoteAlternative")
    extra = _post(api, "CreateQuoteAlternative", {"QuoteVersionId": version_id, "QuoteAlternativeName": "B"}).json()
    validate(extra, DEFS + "QuoteAlternative")
    saved = _post(api, "SaveQuoteAlternative", {**extra, "DiscountPercent": 5.0}).json()
    validate(saved, DEFS + "QuoteAlternative")
    _post(api, "DeleteQuoteAlternative", {"QuoteAlternativeId": extra["QuoteAlternativeId"]})
    line = _post(api, "CreateQuoteLine", {"QuoteAlternativeId": alt_id, "ERPProductKey": "HOUR-NOK"}).json()
    validate(line, DEFS + "QuoteLine")
    validate(_post(api, "GetQuoteLine", {"QuoteLineId": line["QuoteLineId"]}).json(), DEFS + "QuoteLine")
    validate(_post(api, "SaveQuoteLine", {"QuoteLine": {**line, "Quantity": 2.0}}).json(), DEFS + "QuoteLine")
    validate(_post(api, "SaveQuoteLines", {"QuoteLines": [line]}).json(), DEFS + "QuoteLine", many=True)
    validate(_post(api, "GetQuoteLines", {"QuoteAlternativeId": alt_id}).json(), DEFS + "QuoteLine", many=True)
    recalculated = _post(api, "RecalculateQuoteAlternative", {"QuoteAlternative": alt_id}).json()
    validate(recalculated, DEFS + "QuoteAlternativeRecalculated")
    _post(api, "DeleteQuoteLine", {"QuoteLineId": line["QuoteLineId"]})
    _post(api, "DeleteQuoteLines", {"QuoteLineIds": []})
    validate(_post(api, "GetProductFromDbId", {"ProductId": 1}).json(), DEFS + "Product")
    product = _post(api, "SaveProduct", {"ProductId": 0, "Name": "Walk", "ERPProductKey": "WALK-1"}).json()
    validate(product, DEFS + "Product")
    _post(api, "DeleteProduct", productId=product["ProductId"])
    has = requests.post(f"{api}/Agents/Sale/SaleHasQuote", json={"SaleId": sale_id}, timeout=10)
    assert has.json() is True
