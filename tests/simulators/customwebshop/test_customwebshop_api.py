"""The shop's contract over real HTTP: auth, validation, versions, idempotency, batch, feeds, totals."""

from __future__ import annotations

import requests

from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread

PROBLEM = "application/problem+json"


def url(api: requests.Session, path: str) -> str:
    return f"{api.base}/{path}"  # type: ignore[attr-defined]


def count(api: requests.Session, resource: str) -> int:
    return len(api.get(url(api, resource), params={"limit": 1000}).json()["data"])


def new_customer(api: requests.Session, **fields: object) -> dict:
    response = api.post(url(api, "customers"), json={"company_name": "Acme AS", **fields})
    assert response.status_code == 201, response.text
    return response.json()


def test_missing_or_wrong_key_is_401_problem(api: requests.Session) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": DEMO_API_KEY}):
        response = requests.get(url(api, "customers"), headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["status"] == 401
        assert DEMO_API_KEY not in response.text


def test_malformed_json_is_422_and_stores_nothing(api: requests.Session) -> None:
    response = api.post(url(api, "customers"), data=b'{"company_name": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"][0]["field"] == "body"
    assert count(api, "customers") == 0


def test_wrong_types_give_field_errors_and_store_nothing(api: requests.Session) -> None:
    body = {"company_name": 42, "email": "not-an-email", "billing_address": {"country_code": "Norway"}}
    response = api.post(url(api, "customers"), json=body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"company_name", "email", "billing_address.country_code"} <= fields
    assert api.post(url(api, "customers"), json={"email": "a@b.no"}).json()["errors"] == [
        {"field": "company_name", "message": "required"}
    ]
    assert api.post(url(api, "products"), json={"sku": "A", "name": "x", "price": 12.5}).status_code == 422
    assert api.post(url(api, "customers"), json={"company_name": "x", "unknown": 1}).status_code == 422
    assert count(api, "customers") == 0 and count(api, "products") == 0


def test_order_with_unknown_customer_or_product_is_422(api: requests.Session) -> None:
    response = api.post(url(api, "orders"), json={"customer_id": 999, "order_number": "A-1"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer_id"
    customer = new_customer(api)
    lines = [{"product_id": 77, "quantity": "1", "unit_price": "10"}]
    response = api.post(url(api, "orders"), json={"customer_id": customer["id"], "lines": lines})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lines.0.product_id"
    assert count(api, "orders") == 0


def test_order_totals_are_computed_and_lines_keep_their_ids(api: requests.Session) -> None:
    customer = new_customer(api)
    product = api.post(url(api, "products"), json={"sku": "P1", "name": "Widget", "price": "80.00", "vat_rate": "25"})
    lines = [
        {"product_id": product.json()["id"], "quantity": "3"},
        {
            "sku": "X",
            "name": "Service",
            "quantity": "1.5",
            "unit_price": "99.99",
            "discount_percent": "10",
            "vat_rate": "15",
        },
    ]
    body = {"customer_id": customer["id"], "discount_amount": "5.00", "total": "1", "lines": lines}
    order = api.post(url(api, "orders"), json=body).json()
    assert [line["line_total"] for line in order["lines"]] == ["240.00", "134.99"]  # 1.5*99.99*0.9 = 134.9865
    assert order["subtotal"] == "374.99"
    assert order["vat_amount"] == "80.25"  # 60.00 + 20.25 (134.99 * 15 % = 20.2485)
    assert order["total"] == "450.24"  # 374.99 - 5.00 + 80.25
    assert order["lines"][0]["sku"] == "P1" and order["lines"][0]["unit_price"] == "80.00"
    assert order["status"] == "pending"
    kept = {**order["lines"][1], "quantity": "2"}
    patch = {"lines": [{k: kept[k] for k in ("id", "sku", "name", "quantity", "unit_price", "vat_rate")}]}
    updated = api.patch(url(api, f"orders/{order['id']}"), json=patch).json()
    assert [line["id"] for line in updated["lines"]] == [order["lines"][1]["id"]]
    # the element leaves discount_percent out, so the stored 10 % stays (the contract: a line named by id merges)
    assert updated["lines"][0]["line_total"] == "179.98" and updated["version"] == 2
    stranger = api.patch(
        url(api, f"orders/{order['id']}"), json={"lines": [{"id": 9999, "quantity": "1", "unit_price": "1"}]}
    )
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "lines.0.id"


def test_order_without_lines_keeps_given_figures(api: requests.Session) -> None:
    customer = new_customer(api)
    order = api.post(url(api, "orders"), json={"customer_id": customer["id"], "total": "1249.50"}).json()
    assert order["total"] == "1249.50" and order["lines"] == []


def test_etag_and_if_match(api: requests.Session) -> None:
    created = new_customer(api)
    record_url = url(api, f"customers/{created['id']}")
    read = api.get(record_url)
    assert read.headers["ETag"] == '"1"'
    assert api.patch(record_url, json={"note": "a"}, headers={"If-Match": '"1"'}).status_code == 200
    stale = api.patch(record_url, json={"note": "b"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    assert api.delete(record_url, headers={"If-Match": '"1"'}).status_code == 412
    assert api.get(record_url).json()["note"] == "a"
    assert api.delete(record_url, headers={"If-Match": '"2"'}).status_code == 204
    gone = api.get(record_url)
    assert gone.status_code == 404 and gone.json()["deleted_at"].endswith("Z")


def test_idempotency_key_replays_the_first_answer(api: requests.Session) -> None:
    headers = {"Idempotency-Key": "create-acme-1"}
    first = api.post(url(api, "customers"), json={"company_name": "Acme"}, headers=headers)
    again = api.post(url(api, "customers"), json={"company_name": "Acme"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["Location"] == first.headers["Location"]
    assert count(api, "customers") == 1
    other = api.post(url(api, "customers"), json={"company_name": "Other"}, headers=headers)
    assert other.status_code == 422 and other.json()["existing_id"] == first.json()["id"]
    refused = api.post(url(api, "customers"), json={"email": "x@y.no"}, headers={"Idempotency-Key": "bad-1"})
    replayed = api.post(url(api, "customers"), json={"email": "x@y.no"}, headers={"Idempotency-Key": "bad-1"})
    assert refused.status_code == replayed.status_code == 422 and refused.json() == replayed.json()
    assert count(api, "customers") == 1


def test_unique_clash_is_409_naming_the_holder(api: requests.Session) -> None:
    first = new_customer(api, email="Post@Acme.no")
    clash = api.post(url(api, "customers"), json={"company_name": "Other", "email": "post@acme.NO"})
    assert clash.status_code == 409 and clash.json()["existing_id"] == first["id"]
    inactive = new_customer(api, email="old@acme.no", active=False)
    assert new_customer(api, email="old@acme.no")["id"] != inactive["id"]  # unique among active only
    api.post(url(api, "products"), json={"sku": "S-1", "name": "x"})
    assert api.post(url(api, "products"), json={"sku": "S-1", "name": "y"}).status_code == 409


def test_batch_gives_one_result_per_item(api: requests.Session) -> None:
    existing = new_customer(api)
    items = [
        {"company_name": "New AS"},
        {"id": existing["id"], "note": "patched"},
        {"id": 424242, "note": "nobody"},
        {"company_name": 5},
        {"company_name": "Keyed", "idempotency_key": "k-1"},
        {"company_name": "Keyed", "idempotency_key": "k-1"},
    ]
    response = api.post(url(api, "customers/batch"), json={"items": items})
    assert response.status_code == 207
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 200, 404, 422, 201, 201]
    assert results[1]["record"]["note"] == "patched"
    assert results[3]["problem"]["errors"][0]["field"] == "company_name"
    assert results[4]["record"]["id"] == results[5]["record"]["id"]
    assert count(api, "customers") == 3
    assert api.post(url(api, "customers/batch"), json={"items": [{}] * 101}).status_code == 422


def test_change_feed_pages_in_order_with_tombstones(api: requests.Session) -> None:
    ids = [new_customer(api, note=str(i))["id"] for i in range(7)]
    api.delete(url(api, f"customers/{ids[0]}"))
    api.patch(url(api, f"customers/{ids[1]}"), json={"note": "changed"})
    seen, cursor = [], None
    while True:
        params = {"limit": 3, "include_deleted": "true", **({"cursor": cursor} if cursor else {})}
        page = api.get(url(api, "customers"), params=params).json()
        seen.extend(page["data"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [r["id"] for r in seen] == [*ids[2:], ids[0], ids[1]]
    assert seen[-2] == {
        "id": ids[0],
        "deleted": True,
        "deleted_at": seen[-2]["deleted_at"],
        "updated_at": seen[-2]["updated_at"],
    }
    stamps = [r["updated_at"] for r in seen]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    live = api.get(url(api, "customers")).json()["data"]
    assert ids[0] not in {r["id"] for r in live}
    since = api.get(url(api, "customers"), params={"updated_since": stamps[-2], "include_deleted": "true"}).json()
    assert [r["id"] for r in since["data"]] == [ids[0], ids[1]]  # inclusive, full precision
    assert api.get(url(api, "customers"), params={"cursor": "nonsense"}).status_code == 400


def test_external_ref_query(api: requests.Session) -> None:
    target = new_customer(api, external_refs={"superoffice_contact_id": "42"})
    new_customer(api, external_refs={"superoffice_contact_id": "43"})
    found = api.get(url(api, "customers"), params={"external_ref": "superoffice_contact_id:42"}).json()["data"]
    assert [r["id"] for r in found] == [target["id"]]
    api.patch(url(api, f"customers/{target['id']}"), json={"external_refs": {"superoffice_contact_id": None}})
    assert api.get(url(api, "customers"), params={"external_ref": "superoffice_contact_id:42"}).json()["data"] == []


def test_faults_answer_problem_json_with_retry_after(
    shop: tuple[CustomwebshopSimulator, str], api: requests.Session
) -> None:
    shop[0].faults.configure(rate_429=1.0, retry_after=2)
    response = api.get(url(api, "customers"))
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert response.headers["content-type"].startswith(PROBLEM) and response.json()["status"] == 429


def test_seeded_customers_match_superoffice_companies_by_email() -> None:
    from sluice.simulators.superoffice.seed import companies

    sim = CustomwebshopSimulator(customers=40, seed=3)
    with ServerThread(sim.app) as server:
        headers = {"Authorization": f"Bearer {DEMO_API_KEY}"}
        shop = requests.get(f"{server.url}/api/v1/customers", params={"limit": 1000}, headers=headers).json()["data"]
        orders = requests.get(f"{server.url}/api/v1/orders", params={"limit": 1000}, headers=headers).json()["data"]
    emails = {c["email"].lower() for c in shop if c["email"]}
    matched = [c for c in companies(3, 40) if c["email"].lower() in emails]
    assert len(shop) == 40 and 10 <= len(matched) <= 35
    assert len(orders) == 20 and all(o["lines"] for o in orders)
    again = CustomwebshopSimulator(customers=40, seed=3)  # same seed, same data
    with again.store.transaction():
        rows = again.store.feed(
            "customers", after=None, since=None, include_deleted=False, external_ref=None, limit=100
        )
    assert [r.data["email"] for r in rows] == [c["email"] for c in shop]


def test_database_file_survives_a_restart(tmp_path) -> None:
    db = str(tmp_path / "shop.sqlite")
    first = CustomwebshopSimulator(db_path=db, customers=5, seed=1)
    with first.store.transaction():
        before = first.store.feed(
            "customers", after=None, since=None, include_deleted=True, external_ref=None, limit=10
        )
    first.close()
    second = CustomwebshopSimulator(db_path=db, customers=5, seed=1)  # not seeded twice
    with second.store.transaction():
        after = second.store.feed(
            "customers", after=None, since=None, include_deleted=True, external_ref=None, limit=10
        )
        assert second.store.clock.now() > before[-1].updated_at
    assert [r.id for r in after] == [r.id for r in before]
    second.close()


def test_openapi_declares_decimals_and_problems(api: requests.Session) -> None:
    root = api.base.removesuffix("/api/v1")  # type: ignore[attr-defined]
    doc = requests.get(f"{root}/openapi.json").json()
    product = doc["components"]["schemas"]["ProductWrite"]["properties"]["price"]
    assert any(option.get("pattern") for option in product["anyOf"])
    responses = doc["paths"]["/api/v1/customers"]["post"]["responses"]
    assert "application/problem+json" in responses["422"]["content"]
    assert "409" in responses and "line_total" in doc["info"]["description"]


def test_edge_inputs_are_clear_4xx_never_5xx(api: requests.Session) -> None:
    customer = new_customer(api)
    huge = [{"sku": "X", "quantity": "999999999999999", "unit_price": "999999999999999"}]
    response = api.post(url(api, "orders"), json={"customer_id": customer["id"], "lines": huge})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "lines.0.line_total"
    record_url = url(api, f"customers/{customer['id']}")
    assert api.patch(record_url, json={"company_name": None}).status_code == 422
    merge = api.patch(record_url, data=b'{"note": "merged"}', headers={"Content-Type": "application/merge-patch+json"})
    assert merge.status_code == 200 and merge.json()["note"] == "merged"
    unchanged = api.patch(record_url, json={"note": "merged"})
    assert unchanged.json()["version"] == merge.json()["version"]  # no change, no new version
    for bad in ({"limit": 0}, {"limit": 1001}, {"updated_since": "yesterday"}, {"external_ref": "nocolon"}):
        answer = api.get(url(api, "customers"), params=bad)
        assert answer.status_code in (400, 422) and answer.headers["content-type"].startswith(PROBLEM)
    assert api.get(url(api, "customers/0")).status_code == 422
    assert api.get(url(api, "customers/99999999999999999999")).status_code == 422
    assert api.get(url(api, "nothing-here")).status_code == 404
