"""``sluice sync`` killed with SIGKILL at random points, then run again: no duplicate, no lost edit.

The CLI runs as a real subprocess against simulators this test serves, configured only through the
environment, as an operator would run it. The first kill lands while the first sync is creating shop
customers (the test watches the shop's write counter); later kills land at random moments. The project
sends creates two to a batch, two requests at a time, so the ~33 creates of the first sync take many
requests, few of them in flight when a kill lands.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import REPO, Systems, start_systems
from tests.e2e.drive import kill, kill_after, run_cli_sync, start_cli_sync
from tests.e2e.observe import customers_per_contact

pytestmark = pytest.mark.slow


def shop_writes(systems: Systems) -> int:
    return requests.get(f"{systems.shop_server.url}/_admin/stats").json()["writes"]


def kill_after_shop_writes(env: dict[str, str], systems: Systems, writes: int, timeout: float = 60) -> bool:
    """Start a sync and kill it the moment the shop has answered ``writes`` more writes."""
    floor = shop_writes(systems)
    proc = start_cli_sync(env)
    deadline = time.monotonic() + timeout
    while proc.poll() is None and shop_writes(systems) < floor + writes:
        assert time.monotonic() < deadline, "the sync never reached its creates"
        time.sleep(0.002)
    return kill(proc)


def run_to_completion(env: dict[str, str]) -> str:
    done = run_cli_sync(env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def customer_of(systems: Systems, contact_id: int) -> dict:
    [customer] = [
        c
        for c in systems.customers()
        if (c.get("external_refs") or {}).get("superoffice_contact_id") == str(contact_id)
    ]
    return customer


def small_batches(folder: Path) -> Path:
    """The repository's project with ``batch_size = 2`` and ``concurrency = 2`` for the shop (pipes stay put)."""
    text = (REPO / "sluice.toml").read_text()
    edits = {"batch_size = 100": "batch_size = 2", "concurrency = 8\n": "concurrency = 2\n"}
    edits['pipes = "pipes"'] = f'pipes = "{REPO / "pipes"}"'
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    folder.mkdir()
    (folder / "sluice.toml").write_text(text)
    return folder


def test_a_sync_killed_at_random_points_leaves_no_duplicate_and_loses_no_edit(tmp_path: Path):
    rng = random.Random(int(os.environ.get("SYNC_KILL_SEED", "20261126")))
    systems, _ = start_systems(contacts=40, customers=8, seed=3)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")} | systems.env(tmp_path / "datasets")
        env["SLUICE_PROJECT"] = str(small_batches(tmp_path / "project"))
        new = systems.create_contact(Name="Før Første Synk AS", Emails=[{"Value": "post@for-forste.example"}])
        systems.edit_contact(2, Name="Edited before the first sync AS")

        # About 33 creates to make: the first kill lands within the first 12, the second within the next 8.
        # 40 ms per answer keeps the rest of the creates in flight while the kill arrives, even on a busy machine.
        systems.faults(latency_ms=40)
        interrupted = [kill_after_shop_writes(env, systems, rng.randint(3, n)) for n in (12, 8)]
        systems.clear_faults()
        interrupted.append(kill_after(env, rng.uniform(1.0, 5.0)))
        assert interrupted[:2] == [True, True], "the first kills landed in the middle of the creates"
        run_to_completion(env)

        contact_ids = systems.contact_ids()
        assert customers_per_contact(systems) == {str(i): 1 for i in contact_ids}, "one customer per contact"
        assert customer_of(systems, 2)["company_name"] == "Edited before the first sync AS"
        assert customer_of(systems, new["ContactId"])["email"] == "post@for-forste.example"

        # Edits on both sides, then more killed runs before one that completes.
        systems.edit_contact(5, Department="Drept og gjenopplivet")
        systems.edit_contact(6, Description="Kun e-post")
        systems.edit_customer(customer_of(systems, 7)["id"], phone="+47 99 88 77 66")
        systems.edit_customer(customer_of(systems, 8)["id"], note="Fra nettbutikken", website="https://eight.example")
        late = systems.create_contact(Name="Etter Første Synk AS", Emails=[{"Value": "post@etter.example"}])
        for _ in range(2):
            kill_after(env, rng.uniform(0.5, 5.0))
        run_to_completion(env)

        assert customers_per_contact(systems) == {str(i): 1 for i in systems.contact_ids()}
        assert customer_of(systems, 5)["department"] == "Drept og gjenopplivet"
        assert customer_of(systems, 6)["note"] == "Kun e-post"
        assert systems.contact(7)["Phones"][0]["Value"] == "+47 99 88 77 66"
        assert systems.contact(8)["Description"] == "Fra nettbutikken"
        assert systems.contact(8)["Urls"][0]["Value"] == "https://eight.example"
        assert customer_of(systems, late["ContactId"])["company_name"] == "Etter Første Synk AS"

        systems.reset_stats()
        run_to_completion(env)  # and nothing is left over to echo
        assert systems.writes() == (0, 0)
    finally:
        systems.stop()
