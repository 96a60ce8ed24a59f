"""Real processes on one S3 root: two writers racing on one dataset, and a writer killed with SIGKILL.

Each writer is a fresh Python process (no fork: the AWS clients do not survive one) talking to moto's
server in the test process over HTTP, as two machines would talk to one bucket.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from sluice.datasets import DatasetStore

RACER = """
import sys, time
from sluice.datasets import DatasetStore
from sluice.errors import DatasetLockedError
root, start, count, timeout = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
store = DatasetStore(root, lock_timeout=timeout)
rows = [{"id": i, "writer": start, "name": f"entity {i}"} for i in range(start, start + count)]
print("ready", flush=True)
sys.stdin.readline()
began = time.time()
try:
    stats = store.write("shared", rows, key="id")
    print(f"landed {began} {time.time()} {stats.new} {stats.changed}", flush=True)
except DatasetLockedError:
    print(f"locked {began} {time.time()} 0 0", flush=True)
"""
COUNT = 20_000
STARTS = (0, COUNT // 2)  # the writers overlap on half their ids


def start_racer(root: str, start: int, timeout: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", RACER, root, str(start), str(COUNT), str(timeout)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


def finish(proc: subprocess.Popen) -> tuple[str, float, float, int, int]:
    line = proc.stdout.readline().split()
    assert proc.wait(timeout=120) == 0
    outcome, began, ended, new, changed = line
    return outcome, float(began), float(ended), int(new), int(changed)


@pytest.mark.slow
@pytest.mark.parametrize("timeout", [60.0, 0.0], ids=["loser-waits", "loser-fails"])
def test_two_processes_write_one_dataset_at_once(s3_root: str, timeout: float) -> None:
    racers = [start_racer(s3_root, start, timeout) for start in STARTS]
    for proc in racers:  # both go at once
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = dict(zip(STARTS, (finish(p) for p in racers), strict=True))
    (_, began_a, ended_a, *_), (_, began_b, ended_b, *_) = results.values()
    assert began_a < ended_b and began_b < ended_a, "the two writes did not overlap in time"
    landed = [start for start, result in results.items() if result[0] == "landed"]
    assert landed, "neither write landed"
    for start in set(STARTS) - set(landed):  # a loser that failed cleanly wrote nothing; its retry lands
        store = DatasetStore(s3_root)
        assert {int(i) for i in store.current_arrow("shared")["_id"].to_pylist()} == set(
            range(landed[0], landed[0] + COUNT)
        )
        store.write(
            "shared", [{"id": i, "writer": start, "name": f"entity {i}"} for i in range(start, start + COUNT)], key="id"
        )
    store = DatasetStore(s3_root)
    ids = store.current_arrow("shared")["_id"].to_pylist()
    assert len(ids) == len(set(ids)) == COUNT + COUNT // 2  # every entity exactly once
    offsets = store.changes("shared", since=-1)["_offset"].to_pylist()
    assert offsets == list(range(len(offsets)))  # no offset written twice, none skipped
    if len(landed) == 2:  # the second saw the first's part: half its ids were changes, not new entities
        assert sorted((new, changed) for _, _, _, new, changed in results.values()) == [
            (COUNT // 2, COUNT // 2),
            (COUNT, 0),
        ]


VICTIM = """
import sys
from sluice.datasets import DatasetStore
root, gen = sys.argv[1], int(sys.argv[2])
store = DatasetStore(root, lock_timeout=30, lock_lease=1.0)
while True:
    rows = [{"id": i, "gen": gen, "name": f"entity {i}"} for i in range(8000) if (i * 7 + gen) % 10]
    print(f"writing {gen}", flush=True)
    store.write("victim", rows, key="id", full=True)
    print(f"done {gen}", flush=True)
    if gen % 3 == 0:
        store.compact("victim")
    gen += 1
"""
ROUNDS = 6


def expected_ids(gen: int) -> set[str]:
    return {str(i) for i in range(8000) if (i * 7 + gen) % 10}


def committed_generation(root: str) -> int:
    """The generation the dataset holds; asserts it is exactly one complete write's state."""
    store = DatasetStore(root)
    if not store.exists("victim") or store.last_offset("victim") < 0:
        return -1
    live = store.current_arrow("victim").select(["_id", "gen"]).to_pylist()
    gens = {row["gen"] for row in live}
    assert len(gens) == 1, f"mixed generations {gens}: a write was published half-way"
    (gen,) = gens
    assert {row["_id"] for row in live} == expected_ids(gen)
    return gen


@pytest.mark.slow
def test_writer_killed_mid_write_leaves_the_dataset_as_it_was(s3_root: str) -> None:
    rng = random.Random(20261201)
    gen, mid_write = 0, 0
    for _ in range(ROUNDS):
        proc = subprocess.Popen(
            [sys.executable, "-c", VICTIM, s3_root, str(gen)], stdout=subprocess.PIPE, text=True, env=dict(os.environ)
        )
        try:
            assert proc.stdout.readline().startswith("writing")
            time.sleep(rng.uniform(0.05, 1.5))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        lines = [line.split() for line in proc.stdout.read().splitlines()]
        done = max([int(g) for what, g in lines if what == "done"], default=gen - 1)
        mid_write += bool(lines) and lines[-1][0] == "writing"
        found = committed_generation(s3_root)
        assert found in (done, done + 1), f"dataset holds generation {found}, last completed write was {done}"
        gen = found + 1
    assert mid_write, "no kill landed inside a write"
    final = gen - 1
    rows = [{"id": int(i), "gen": final, "name": f"entity {i}"} for i in expected_ids(final)]
    store = DatasetStore(s3_root, lock_timeout=10)  # the killed writer's lease runs out within a second
    assert store.write("victim", rows, key="id", full=True).appended == 0, "the index must agree with the log"
    assert store.write("victim", [{**r, "gen": gen} for r in rows], key="id", full=True).changed == len(rows)
