"""The client against the reference shop over real HTTP: feeds, watermarks, idempotent writes, batch, faults."""

from __future__ import annotations

import random
import threading

import pytest

from sluice.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    NotFoundError,
    PermanentError,
    PreconditionFailed,
    TransientError,
)
from sluice.secrets import Secret
from sluice.simulators.customwebshop import DEMO_API_KEY, CustomwebshopSimulator
from sluice.simulators.runner import ServerThread
from sluice.systems.customwebshop import CustomwebshopClient, Watermark, derive_key
from sluice.systems.customwebshop.batch import BatchItemResult
from sluice.systems.http import RetryPolicy

FAST = RetryPolicy(attempts=12, base=0.005, cap=0.05)


def customers(client: CustomwebshopClient, n: int, prefix: str = "Firma") -> list[dict]:
    results = client.batch("customers", [{"company_name": f"{prefix} {i}", "note": "0"} for i in range(n)])
    assert all(r.created for r in results)
    return [r.record for r in results]


def test_read_streams_pages_and_returns_a_watermark(client: CustomwebshopClient) -> None:
    made = customers(client, 25)
    pages: list[int] = []
    result = client.read("customers", page_size=10, progress=pages.append)
    assert result.watermark is None
    records = list(result)
    assert [r["id"] for r in records] == [c["id"] for c in made]
    assert pages == [10, 10, 5] and result.exhausted and result.count == 25
    assert result.watermark == Watermark(made[-1]["updated_at"])
    assert Watermark.parse(str(result.watermark)) == result.watermark


def test_incremental_read_returns_changes_and_tombstones(client: CustomwebshopClient) -> None:
    made = customers(client, 10)
    first = client.read("customers")
    list(first)
    client.update("customers", made[3]["id"], {"note": "changed"})
    client.delete("customers", made[4]["id"])
    created = client.create("customers", {"company_name": "Late AS"})
    second = client.read("customers", since=first.watermark)
    changes = {r["id"]: r for r in second}
    # the boundary record (updated_since is inclusive) comes once more; everything else is a real change
    assert set(changes) == {made[-1]["id"], made[3]["id"], made[4]["id"], created["id"]}
    assert changes[made[3]["id"]]["note"] == "changed" and changes[made[4]["id"]]["deleted"] is True
    assert second.watermark == Watermark(created["updated_at"])
    assert [r["id"] for r in client.read("customers", since=second.watermark, include_deleted=False)] == [created["id"]]


def test_paging_while_another_thread_edits_loses_nothing(client: CustomwebshopClient, server: ServerThread) -> None:
    made = customers(client, 300)
    ids = [c["id"] for c in made]
    stop = threading.Event()
    editor_errors: list[BaseException] = []

    def edit() -> None:
        rng = random.Random(7)
        with CustomwebshopClient(server.url, DEMO_API_KEY, retry=FAST) as editor:
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    editor.update("customers", rng.choice(ids), {"note": str(n)})
                    if n % 25 == 0:
                        editor.create("customers", {"company_name": f"During {n}"})
                except BaseException as exc:  # surfaced below; a thread must not die silently
                    editor_errors.append(exc)
                    return

    thread = threading.Thread(target=edit)
    thread.start()
    try:
        seen: dict[int, dict] = {}
        result = client.read("customers", page_size=7)
        for record in result:
            seen[record["id"]] = record
    finally:
        stop.set()
        thread.join()
    assert not editor_errors
    for record in client.read("customers", since=result.watermark):  # the next incremental run
        seen[record["id"]] = record
    final = {r["id"]: r for r in client.read("customers", page_size=1000)}
    assert set(final) <= set(seen)
    assert all(seen[i]["version"] == final[i]["version"] and seen[i]["note"] == final[i]["note"] for i in final)
    assert any(r["version"] > 1 for r in final.values())  # the editor really edited during the read


def test_create_retried_after_a_dropped_answer_makes_one_record(
    client: CustomwebshopClient, sim: CustomwebshopSimulator
) -> None:
    sim.faults.configure(drop_rate=0.4, methods=["POST", "PATCH", "DELETE"], seed=11)
    made = [client.create("customers", {"company_name": f"Drop {i}"}) for i in range(30)]
    for record in made[:10]:
        client.update("customers", record["id"], {"note": "x"}, if_match=record["version"])
    sim.faults.reset()
    assert sim.faults.traffic.faults["drop"] > 0
    everyone = list(client.read("customers"))
    assert len(everyone) == 30 and len({r["id"] for r in made}) == 30
    assert all(r["version"] == 2 for r in everyone[-10:] if r["note"] == "x")
    assert sum(r["version"] for r in everyone) == 40  # each update applied once, dropped answers replayed


def test_create_with_the_callers_key_is_once_across_processes(server: ServerThread) -> None:
    with CustomwebshopClient(server.url, DEMO_API_KEY) as first_run:
        first = first_run.create("customers", {"company_name": "Acme"}, idempotency_key="superoffice-contact:42")
    with CustomwebshopClient(server.url, Secret(DEMO_API_KEY)) as second_run:
        again = second_run.create("customers", {"company_name": "Acme"}, idempotency_key="superoffice-contact:42")
        changed = second_run.create(
            "customers", {"company_name": "Acme Renamed"}, idempotency_key="superoffice-contact:42"
        )
        assert again["id"] == changed["id"] == first["id"]
        assert changed["company_name"] == "Acme Renamed"
        assert len(list(second_run.read("customers"))) == 1
    assert derive_key("customers", "a") == derive_key("customers", "a") != derive_key("orders", "a")


def test_storms_of_429_and_503_are_ridden_out(client: CustomwebshopClient, sim: CustomwebshopSimulator) -> None:
    customers(client, 120)
    sim.faults.configure(rate_429=0.15, rate_503=0.15, retry_after=0, seed=5)
    read = list(client.read("customers", page_size=10))
    created = [client.create("customers", {"company_name": f"Storm {i}"}) for i in range(20)]
    sim.faults.reset()
    assert len(read) == 120 and len({c["id"] for c in created}) == 20
    assert client.stats.retries > 0 and sum(sim.faults.traffic.faults.values()) > 0
    assert len(list(client.read("customers", page_size=1000))) == 140


def test_batch_chunks_and_reports_every_item(client: CustomwebshopClient) -> None:
    existing = client.create("customers", {"company_name": "Existing"})
    items = [{"company_name": f"B {i}"} for i in range(230)]
    items[5] = {"company_name": None}
    items[150] = {"id": existing["id"], "note": "via batch"}
    items[200] = {"id": 999999, "note": "nobody"}
    done: list[int] = []
    results = client.batch("customers", items, progress=done.append)
    assert done == [100, 100, 30] and [r.index for r in results] == list(range(230))
    assert results[5].status == 422 and "company_name" in results[5].message
    assert results[150].status == 200 and results[150].record["note"] == "via batch"
    assert results[200].status == 404 and not results[200].ok
    assert sum(r.created for r in results) == 227


def test_batch_items_with_caller_keys_match_single_creates(client: CustomwebshopClient) -> None:
    single = client.create("customers", {"company_name": "Keyed"}, idempotency_key="superoffice-contact:7")
    results = client.batch("customers", [{"company_name": "Keyed", "idempotency_key": "superoffice-contact:7"}])
    assert results[0].record["id"] == single["id"]


def test_find_by_external_ref(client: CustomwebshopClient) -> None:
    target = client.create("customers", {"company_name": "A", "external_refs": {"superoffice_contact_id": "42"}})
    client.create("customers", {"company_name": "B", "external_refs": {"superoffice_contact_id": "420"}})
    assert [r["id"] for r in client.find_by_external_ref("customers", "superoffice_contact_id", 42)] == [target["id"]]
    assert client.find_by_external_ref("customers", "superoffice_contact_id", 1) == []


def test_errors_are_classified_with_the_problem_text(client: CustomwebshopClient, server: ServerThread) -> None:
    record = client.create("customers", {"company_name": "Versioned"})
    client.update("customers", record["id"], {"note": "one"}, if_match=1)
    with pytest.raises(PreconditionFailed):
        client.update("customers", record["id"], {"note": "two"}, if_match=1)
    with pytest.raises(PermanentError, match="customer_id"):
        client.create("orders", {"customer_id": 12345})
    client.delete("customers", record["id"])
    with pytest.raises(NotFoundError, match="deleted"):
        client.get("customers", record["id"])
    with pytest.raises(ValueError):
        client.read("invoices")
    wrong = CustomwebshopClient(server.url, Secret("wrong-key-123"), retry=FAST)
    with pytest.raises(AuthError) as caught:
        wrong.get("customers", 1)
    assert "wrong-key-123" not in str(caught.value) + repr(wrong) + repr(wrong.auth)


def test_from_env(monkeypatch: pytest.MonkeyPatch, server: ServerThread) -> None:
    with pytest.raises(ConfigError, match="SLUICE_CUSTOMWEBSHOP_URL"):
        CustomwebshopClient.from_env()
    monkeypatch.setenv("SLUICE_CUSTOMWEBSHOP_URL", server.url)
    with pytest.raises(ConfigError, match="SLUICE_CUSTOMWEBSHOP_API_KEY"):
        CustomwebshopClient.from_env()
    monkeypatch.setenv("SLUICE_CUSTOMWEBSHOP_API_KEY", DEMO_API_KEY)
    with CustomwebshopClient.from_env() as shop:
        assert shop.create("products", {"sku": "ENV-1", "name": "From env"})["version"] == 1
        assert DEMO_API_KEY not in repr(shop)


def test_order_round_trip_keeps_decimal_strings(client: CustomwebshopClient) -> None:
    customer = client.create("customers", {"company_name": "Buyer"})
    order = client.create(
        "orders",
        {
            "customer_id": customer["id"],
            "lines": [{"sku": "A", "quantity": "3", "unit_price": "0.10", "vat_rate": "25"}],
        },
    )
    assert (order["subtotal"], order["vat_amount"], order["total"]) == ("0.30", "0.08", "0.38")
    assert client.get("orders", order["id"])["lines"][0]["line_total"] == "0.30"


def test_seeded_shop_reads_completely() -> None:
    sim = CustomwebshopSimulator(customers=120, seed=2)
    with ServerThread(sim.app) as server, CustomwebshopClient(server.url, DEMO_API_KEY) as shop:
        counts = {r: sum(1 for _ in shop.read(r, page_size=50)) for r in ("customers", "products", "orders")}
    assert counts["customers"] == 120 and counts["orders"] == 60 and counts["products"] >= 10


def test_a_failed_batch_item_is_the_error_its_single_call_raises(client: CustomwebshopClient) -> None:
    taken = client.create("customers", {"company_name": "Taken", "email": "taken@batch.example"})
    items = [
        {"company_name": None},  # 422
        {"id": 999999, "note": "nobody"},  # 404
        {"company_name": "Clash", "email": "TAKEN@batch.example"},  # 409
    ]
    errors = [r.error("customers") for r in client.batch("customers", items)]
    singles = []
    for call in (
        lambda: client.create("customers", items[0]),
        lambda: client.update("customers", 999999, {"note": "nobody"}),
        lambda: client.create("customers", items[2]),
    ):
        with pytest.raises(PermanentError) as caught:
            call()
        singles.append(caught.value)
    assert [type(e) for e in errors] == [type(e) for e in singles] == [PermanentError, NotFoundError, ConflictError]
    assert [e.status for e in errors] == [422, 404, 409]
    assert "company_name" in str(errors[0]) and "item 0" in str(errors[0])
    assert str(taken["id"]) in (errors[2].body or "")  # the problem names the existing record


def test_a_batch_item_answered_412_or_503_is_a_conflict_or_a_transient_error() -> None:
    # The reference shop never answers these per item; a shop that does must see them re-read or retried.
    conflict = BatchItemResult(3, 412, problem={"title": "Precondition Failed"}).error("customers")
    busy = BatchItemResult(4, 503, problem={"title": "Service Unavailable"}).error("customers")
    assert isinstance(conflict, PreconditionFailed) and conflict.status == 412 and "item 3" in str(conflict)
    assert isinstance(busy, TransientError) and not isinstance(busy, PermanentError)
