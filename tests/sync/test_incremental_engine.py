"""The incremental reconcile in the engine: a run looks at what moved (and pending work) only, its cursor
advances only when it commits, the index is a cache, and ``--full`` merges only the pairs not provably settled.

Real store, real Parquet, real SQLite index; the two systems are kept in datasets (see
``test_incremental_plan``), so no HTTP is involved and nothing is mocked in the code under test.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from sluice.datasets.sidefiles import LocalSideFiles
from sluice.project import Project
from sluice.sync.changes import flow_key, load_cursor
from sluice.sync.dataflow import MatchKey
from tests.sync.test_incremental_plan import World, comparable, reference_plan

CONTACTS = 30
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    world = World(tmp_path, "close")
    for n in range(CONTACTS):
        world.a.touch(str(n), company_name=f"Company {n}", email=f"post{n}@x.no", city="Oslo")
    world.a.write()
    world.runner().run(force=True)  # the first sync creates every customer
    world.runner().run(force=True)  # and the next one settles (nothing moves)
    yield world
    world.store.close()


def _created(world: World, a_id: str) -> str:
    [link] = [link for link in world.runner().state.links.many([a_id]).values()]
    return link.b_id


def test_a_settled_flow_reconciles_nothing(world: World) -> None:
    runner = world.runner()
    plan = runner.plan()
    assert (runner.reconciled, plan.changes) == (0, [])


def test_a_run_reconciles_only_the_pairs_whose_rows_moved(world: World) -> None:
    world.a.touch("3", company_name="Renamed in SuperOffice")
    world.a.write()
    world.b.touch(_created(world, "7"), city="Bergen")
    world.b.write()
    runner = world.runner()
    plan = runner.plan()
    assert runner.reconciled == 2
    assert sorted((c.target, c.a_id, c.fields) for c in plan.changes) == [
        ("a", "7", {"address.city": "Bergen"}),
        ("b", "3", {"company_name": "Renamed in SuperOffice"}),
    ]
    assert comparable(plan, {})["changes"] == comparable(reference_plan(world.store, world.flow), {})["changes"]


def test_a_run_that_dies_before_its_commit_is_redone_by_the_next(world: World) -> None:
    world.a.touch("5", company_name="Edited before a crash")
    world.a.write()
    files = LocalSideFiles(world.state_dir)
    before = load_cursor(files, world.flow)
    world.runner().start(force=True)  # planned (and would have pushed), then the process died
    assert load_cursor(files, world.flow) == before

    runner = world.runner()
    result = runner.run(force=True)
    assert (result.reconciled, result.updates_to_shop) == (1, 1)
    after = load_cursor(files, world.flow)
    assert after is not None and before is not None and after.offsets["a"] > before.offsets["a"]
    assert world.b.records[_created(world, "5")]["company_name"] == "Edited before a crash"


def test_a_failed_push_stays_pending_until_it_lands(world: World) -> None:
    world.refuse["9"] = "transient"
    world.a.touch("9", company_name="Refused for now")
    world.a.write()
    world.runner().run(force=True)
    world.runner().run(force=True)  # nothing moved, but the push is still owed
    del world.refuse["9"]
    result = world.runner().run(force=True)
    assert (result.reconciled, result.updates_to_shop) == (1, 1)
    assert world.b.records[_created(world, "9")]["company_name"] == "Refused for now"
    assert world.runner().plan().changes == []


def test_a_lost_or_damaged_index_is_rebuilt_from_the_datasets(world: World) -> None:
    world.a.touch("2", email="new@x.no")
    world.a.write()
    index = world.state_dir / f"{world.flow.name}.index.sqlite"
    index.write_bytes(b"not a database")
    for suffix in ("-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    plan = world.runner().plan()
    assert [(c.a_id, c.fields) for c in plan.changes] == [("2", {"email": "new@x.no"})]


def test_full_merges_only_the_pairs_it_cannot_prove_settled(world: World) -> None:
    world.b.touch(_created(world, "4"), company_name=" Company 4 ")  # untidy: the merge trims it
    world.b.write()
    world.b.touch(_created(world, "6"), sync_deleted=False)  # a new version, the same values
    world.b.write()
    runner = world.runner(full=True)
    plan = runner.plan()
    assert runner.reconciled == 1
    assert [(c.target, c.a_id, c.fields) for c in plan.changes] == [("b", "4", {"company_name": "Company 4"})]


def test_the_index_learns_new_match_keys_when_the_flow_declares_them(world: World) -> None:
    world.b.touch("0", company_name="Shop Own AS", email="shop@x.no")
    world.b.write()
    world.a.touch("50", company_name="Shop Own AS", email="crm@x.no")
    world.a.write()
    assert [c.op for c in world.runner().plan().changes] == ["create"]  # no e-mail in common
    world.flow = replace(world.flow, match_keys=(MatchKey("company_name"),))
    plan = world.runner().plan()
    assert [(link.a_id, link.b_id, link.how) for link in plan.new_links] == [("50", "0", "matched")]


def test_a_new_process_finds_the_committed_cursor_of_the_same_declaration() -> None:
    """The declarations hold functions (setters, write-backs): the key must not depend on where they live."""
    flows = Project.open(REPO).flows.flows.values()
    script = (
        "import sys; from sluice.project import Project; from sluice.sync.changes import flow_key; "
        "print(' '.join(flow_key(f) for f in Project.open(sys.argv[1]).flows.flows.values()))"
    )
    out = subprocess.run([sys.executable, "-c", script, str(REPO)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == [flow_key(f) for f in flows]


def test_each_push_reports_its_time_and_writes_per_second(world: World) -> None:
    world.a.touch("8", company_name="Timed AS")
    world.a.write()
    shop, superoffice = world.runner().run(force=True).sinks
    assert (shop.updated, shop.writes, superoffice.writes) == (1, 1, 0)
    assert shop.seconds > 0 and shop.writes_per_second == pytest.approx(1 / shop.seconds)
    assert set(shop.as_dict()) >= {"seconds", "writes_per_second"}
