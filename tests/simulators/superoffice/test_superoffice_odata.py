"""Archive semantics: date-only ``after``, ``afterTime`` on Dynamic, oneOf/begins, paging, soft delete, 304/412."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import requests


def _rows(api: str, path: str, **params: str | int) -> list[dict]:
    response = requests.get(f"{api}/{path}", params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["value"]


def test_updated_date_after_compares_the_date_part_only(api: str) -> None:
    created = requests.post(f"{api}/Contact", json={"Name": "Today Co"}, timeout=10).json()
    today = created["UpdatedDate"][:10]
    yesterday = (datetime.fromisoformat(today) - timedelta(days=1)).date().isoformat()
    ids_after_yesterday = {
        r["contactId"] for r in _rows(api, "Contact", **{"$filter": f"updatedDate after '{yesterday}'"})
    }
    ids_after_today = {
        r["contactId"] for r in _rows(api, "Contact", **{"$filter": f"updatedDate after '{today}T00:00:00'"})
    }
    assert created["ContactId"] in ids_after_yesterday
    assert created["ContactId"] not in ids_after_today  # same day: not "after", whatever the time


def test_after_time_needs_datetime_columns_and_dynamic_has_them(api: str) -> None:
    bad = requests.get(f"{api}/Contact", params={"$filter": "updatedDate afterTime '2024-01-01T00:00:00'"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["Error"] is True
    before = datetime.now(UTC).replace(microsecond=0, tzinfo=None) - timedelta(seconds=1)
    created = requests.post(f"{api}/Contact", json={"Name": "Dynamic Co"}, timeout=10).json()
    rows = _rows(
        api,
        "Archive/Dynamic",
        **{
            "$select": "contact.contact_id,contact.updated",
            "$filter": f"contact.updated afterTime '{before.isoformat()}'",
        },
    )
    assert created["ContactId"] in {r["contact.contact_id"] for r in rows}
    assert all(r["contact.updated"] >= before.isoformat() for r in rows)
    assert len(rows) < 10  # seeded rows are older


def test_one_of_begins_and_paging_by_primary_key(api: str) -> None:
    sold = _rows(api, "Sale", **{"$select": "saleId,saleStatus", "$filter": "saleStatus oneOf (2, 'Lost')"})
    assert sold and {r["saleStatus"] for r in sold} <= {"Sold", "Lost"}
    first = _rows(api, "Contact", **{"$select": "name", "$top": 1})[0]["name"]
    begins = _rows(api, "Contact", **{"$select": "name", "$filter": f"name begins '{first[:4]}'"})
    assert begins and all(r["name"].startswith(first[:4]) for r in begins)
    all_ids = [int(r["PrimaryKey"]) for r in _rows(api, "Contact", **{"$select": "contactId", "$orderBy": "contactId"})]
    paged = []
    for skip in range(0, len(all_ids), 7):
        paged += [
            int(r["PrimaryKey"]) for r in _rows(api, "Contact", **{"$top": 7, "$skip": skip, "$orderBy": "contactId"})
        ]
    assert paged == all_ids == sorted(all_ids)


def test_unknown_column_and_bad_filter_are_400(api: str) -> None:
    for params in ({"$select": "nope"}, {"$filter": "name frobs 'x'"}, {"$filter": "contactId eq 1 or contactId eq 2"}):
        response = requests.get(f"{api}/Contact", params=params, timeout=10)
        assert response.status_code == 400 and response.json()["ErrorType"] == "SoArgumentException"


def test_soft_deleted_contacts_move_to_recycle(api: str) -> None:
    contact_id = requests.post(f"{api}/Contact", json={"Name": "Gone Co"}, timeout=10).json()["ContactId"]
    assert requests.delete(f"{api}/Contact/{contact_id}", timeout=10).status_code == 204
    assert requests.get(f"{api}/Contact/{contact_id}", timeout=10).json()["Deleted"] != 0
    live = {r["contactId"] for r in _rows(api, "Contact", **{"$select": "contactId"})}
    recycled = _rows(api, "Archive/RecycleContact", **{"$select": "contactId,contactDeleted,deletedDate"})
    assert contact_id not in live
    assert any(r["contactId"] == contact_id and r["contactDeleted"] for r in recycled)


def test_sales_are_hard_deleted(api: str) -> None:
    sale_id = requests.post(f"{api}/Sale", json={"Heading": "Short"}, timeout=10).json()["SaleId"]
    assert requests.delete(f"{api}/Sale/{sale_id}", timeout=10).status_code == 204
    assert requests.get(f"{api}/Sale/{sale_id}", timeout=10).status_code == 404


def test_conditional_requests_at_second_precision(api: str) -> None:
    contact = requests.post(f"{api}/Contact", json={"Name": "Cond Co"}, timeout=10).json()
    url = f"{api}/Contact/{contact['ContactId']}"
    read_at = datetime.fromisoformat(contact["UpdatedDate"].replace("Z", "+00:00"))
    http_date = format_datetime(read_at, usegmt=True)
    assert requests.get(url, headers={"If-Modified-Since": http_date}, timeout=10).status_code == 304
    ok = requests.put(url, json={**contact, "Department": "A"}, headers={"If-Unmodified-Since": http_date}, timeout=10)
    assert ok.status_code == 200  # the UpdatedDate we read is never a false 412
    stale = format_datetime(read_at - timedelta(seconds=5), usegmt=True)
    late = requests.put(url, json={**contact, "Department": "B"}, headers={"If-Unmodified-Since": stale}, timeout=10)
    assert late.status_code == 412
    assert requests.get(url, timeout=10).json()["Department"] == "A"


def test_bad_bodies_are_400_and_nothing_is_stored(api: str) -> None:
    before = len(_rows(api, "Contact", **{"$select": "contactId"}))
    for body in (b"{not json", b'{"Name": 5}', b'{"Emails": {"Value": "x"}}', b"[1, 2]"):
        response = requests.post(f"{api}/Contact", data=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert response.status_code == 400 and response.json()["Error"] is True
    assert len(_rows(api, "Contact", **{"$select": "contactId"})) == before


def test_json_patch_and_failed_test_is_409(api: str) -> None:
    contact = requests.post(f"{api}/Contact", json={"Name": "Patch Co"}, timeout=10).json()
    url = f"{api}/Contact/{contact['ContactId']}"
    ops = [
        {"op": "replace", "path": "department", "value": "Ops"},
        {"op": "add", "path": "/Emails/-", "value": {"Value": "a@b.no"}},
    ]
    patched = requests.patch(url, json=ops, headers={"Content-Type": "application/json-patch+json"}, timeout=10)
    assert patched.status_code == 200 and patched.json()["Department"] == "Ops"
    assert patched.json()["Emails"][-1]["Value"] == "a@b.no"
    failed = requests.patch(url, json=[{"op": "test", "path": "/Department", "value": "Nope"}], timeout=10)
    assert failed.status_code == 409
    assert requests.patch(f"{api}/Product/1", json={"Name": "x"}, timeout=10).status_code == 405


def test_quote_totals_follow_the_documented_arithmetic(api: str) -> None:
    sale_id = requests.post(f"{api}/Sale", json={"Heading": "Totals"}, timeout=10).json()["SaleId"]
    post = lambda method, body: requests.post(f"{api}/Agents/Quote/{method}", json=body, timeout=10).json()  # noqa: E731
    quote = post("CreateAndSaveQuote", {"SaleId": sale_id})
    alt_id = quote["QuoteVersions"][0]["QuoteAlternatives"][0]["QuoteAlternativeId"]
    line = post("CreateQuoteLine", {"QuoteAlternativeId": alt_id, "ERPProductKey": "HOUR-NOK"})
    changes = {"Quantity": 4.0, "UnitListPrice": 100.0, "DiscountPercent": 10.0, "UserValueOverride": "DiscountPercent"}
    line = post("SaveQuoteLine", {"QuoteLine": {**line, **changes}})
    assert (line["SubTotal"], line["DiscountAmount"], line["TotalPrice"]) == (400.0, 40.0, 360.0)
    alternative = post("RecalculateQuoteAlternative", {"QuoteAlternative": alt_id})["ChangedQuoteAlternative"]
    assert (alternative["SubTotal"], alternative["TotalPrice"], alternative["VAT"]) == (360.0, 360.0, 90.0)
    rows = _rows(
        api,
        "Archive/Dynamic",
        **{"$select": "quoteline.quoteline_id", "$filter": f"quoteline.quotealternative_id eq {alt_id}"},
    )
    assert [int(r["PrimaryKey"]) for r in rows] == [line["QuoteLineId"]]
