"""The Contact <-> Customer sync with its dataset root in a bucket (moto's S3 server on 127.0.0.1).

The key end-to-end cases of ``test_contact_customer_sync.py`` run again here, unchanged, on an S3 root
(this module's ``project`` fixture), then what only an S3 root has to show: the sync's state lives in the
bucket as JSON and nowhere on local disk but the index cache; another process with an empty cache (another
machine) picks up the next step of a run; ``sluice sync`` killed at random points leaves every dataset
readable and the next run completes, with one customer per contact.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sluice.datasets import DatasetStore
from sluice.project import Project
from tests.datasets.s3server import MotoS3
from tests.e2e.conftest import REPO, Systems, start_systems
from tests.e2e.drive import kill_after, run_cli_sync
from tests.e2e.observe import customers_per_contact, differences, linked_pairs
from tests.e2e.test_contact_customer_sync import (  # noqa: F401 (collected here, on this module's S3 root)
    test_a_permanent_422_is_dead_lettered_and_the_rest_of_the_run_completes,
    test_a_sync_with_nothing_edited_sends_no_write,
    test_edits_on_either_side_arrive_after_one_sync,
    test_first_sync_links_every_contact_once_and_matches_existing_customers,
    test_the_same_field_edited_on_both_sides_goes_by_the_policy_and_is_recorded,
)

FLOW = "contact_customer"
AWS_UNSET = ("AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN")


@pytest.fixture(scope="module")
def s3() -> Iterator[MotoS3]:
    with MotoS3() as server:
        yield server


@pytest.fixture
def s3_root(s3: MotoS3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket; the AWS variables point at the local server, the index cache into ``tmp_path``."""
    for name in AWS_UNSET:
        monkeypatch.delenv(name, raising=False)
    for name, value in s3.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SLUICE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SLUICE_S3_LEASE", "3")  # a killed holder blocks the next run for 3 s, not 30
    return f"s3://{s3.new_bucket()}/sluice/datasets"


@pytest.fixture
def project(systems: Systems, s3_root: str) -> Iterator[Project]:
    with systems.project(s3_root) as proj:  # type: ignore[arg-type]  (a URL, as SLUICE_DATASETS gives it)
        yield proj


def state_objects(s3: MotoS3, root: str) -> dict[str, bytes]:
    """Every object under the root's ``.sync`` prefix, by key below it."""
    bucket, prefix = root.removeprefix("s3://").split("/", 1)
    client, base = s3.client(), f"{prefix}/.sync/"
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=base).get("Contents", [])]
    return {k[len(base) :]: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def test_the_sync_state_lives_in_the_bucket_as_json(
    systems: Systems, project: Project, s3: MotoS3, s3_root: str, tmp_path: Path
) -> None:
    project.sync()
    objects = state_objects(s3, s3_root)
    assert json.loads(objects["watermarks.json"]).keys() >= {"superoffice_contact", "customwebshop_customer"}
    cursor = json.loads(objects[f"{FLOW}.cursor.json"])
    assert cursor["flow"] == FLOW and cursor["offsets"]["a"] >= 0
    assert not [k for k in objects if k.endswith((".plan.json", ".pickle"))]  # a committed run leaves no plan
    assert project.store.names() and ".sync" not in project.store.names()
    local = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert all(name.startswith(f"{FLOW}.index.sqlite") for name in local), local  # only the index cache


STEPS = """
import sys
from sluice.project import Project
with Project.open(sys.argv[1]) as project:
    for target in ("b", "a"):
        print(project.push_sink(sys.argv[2], target).as_dict())
    print("dead letters", project.commit_flow(sys.argv[2]))
"""


def test_another_machine_pushes_and_commits_the_plan_this_one_made(
    systems: Systems, project: Project, s3: MotoS3, s3_root: str, tmp_path: Path
) -> None:
    """Plan here; push both sinks and commit in a fresh process with an empty cache and its own temp dir."""
    systems.edit_contact(3, Name="Planned here, sent from there AS")
    for step in project.steps([FLOW]):
        if step.kind == "pull":
            project.pull(step.names[0])
        elif step.kind == "pipes":
            project.run_pipes(list(step.names))
        else:
            planned = project.plan_flow(FLOW, force=True)
            break
    assert planned.creates > 0
    plan = json.loads(state_objects(s3, s3_root)[f"{FLOW}.plan.json"])  # JSON any machine can read
    sends = planned.creates + planned.updates_to_shop + planned.updates_to_superoffice + planned.deactivations
    assert plan["~"] == "Plan" and len(plan["changes"]) == sends

    elsewhere = tmp_path / "elsewhere"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")} | systems.env(s3_root)  # type: ignore[arg-type]
    env |= {"SLUICE_CACHE": str(elsewhere / "cache"), "TMPDIR": str(elsewhere)}
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", STEPS, str(REPO), FLOW], env=env, cwd=elsewhere, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "dead letters 0" in done.stdout

    with systems.project(s3_root) as fresh:  # type: ignore[arg-type]
        assert set(linked_pairs(fresh)) == {str(i) for i in systems.contact_ids()}
        assert differences(fresh) == []
        assert fresh.sync().writes == 0  # the other machine committed: nothing is left to send
    assert customers_per_contact(systems) == {str(i): 1 for i in systems.contact_ids()}
    assert f"{FLOW}.plan.json" not in state_objects(s3, s3_root)


@pytest.mark.slow
def test_a_sync_killed_at_random_points_leaves_readable_datasets_and_the_next_run_completes(
    s3_root: str, tmp_path: Path
) -> None:
    rng = random.Random(int(os.environ.get("SYNC_KILL_SEED", "20261201")))
    systems, _ = start_systems(contacts=40, customers=8, seed=3)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_")} | systems.env(s3_root)  # type: ignore[arg-type]
        env |= {"SLUICE_S3_LEASE": "3", "SLUICE_CACHE": str(tmp_path / "cache")}
        systems.faults(latency_ms=20)  # the creates take a few seconds: the kills land among them
        kills = [kill_after(env, rng.uniform(1.0, 4.0)) for _ in range(3)]
        systems.clear_faults()
        assert any(kills), "at least one kill interrupted a running sync"
        with DatasetStore(s3_root) as store:  # every dataset a killed run touched reads whole
            for name in store.names():
                assert store.current_arrow(name).num_rows >= 0
        systems.edit_contact(5, Department="Etter drapet")
        done = run_cli_sync(env, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert customers_per_contact(systems) == {str(i): 1 for i in systems.contact_ids()}
        with systems.project(s3_root) as project:  # type: ignore[arg-type]
            assert differences(project) == []
        systems.reset_stats()
        assert run_cli_sync(env, timeout=300).returncode == 0
        assert systems.writes() == (0, 0)
    finally:
        systems.stop()
