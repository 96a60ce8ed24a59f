"""The whole Contact ↔ Customer sync with its root on S3 (moto's server on 127.0.0.1) against local disk.

Cases, each an S3-root run over the same run on a local root (fresh simulators each, same seed, same run):
the first full sync, the settle sync after it, and an incremental sync after 1 % of the pairs were edited
(half in SuperOffice, half in the shop). What S3 adds is the sync state's requests (watermarks, journal,
cursor, plan and outcomes, the sync lease) and the datasets' (manifests, leases, parts); the HTTP to the two
systems is the same in both. The note has the state objects the S3 run left in the bucket.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from benchmarks.bench_datasets import environment
from benchmarks.bench_sync import Run, make_edits, measured_sync, open_project, simulators
from benchmarks.common import Result

BENCH = "sync"


def runs(root: Path | str, contacts: int, edits: int) -> dict[str, Run]:
    with simulators(contacts) as servers, open_project(servers, root) as project:  # type: ignore[arg-type]
        done = {"first sync": measured_sync(project, servers), "settle sync": measured_sync(project, servers)}
        make_edits(servers, project, edits)
        done[f"incremental, {edits} edits"] = measured_sync(project, servers)
        return done


def run(quick: bool) -> list[Result]:
    from tests.datasets.s3server import MotoS3  # moto is a dev dependency, like the benchmarks

    contacts = 200 if quick else 2_000
    edits = max(2, contacts // 100)
    with tempfile.TemporaryDirectory() as tmp, MotoS3() as s3:
        local = runs(Path(tmp) / "datasets", contacts, edits)
        with environment(s3.env | {"SLUICE_CACHE": os.path.join(tmp, "cache")}):
            bucket = s3.new_bucket()
            on_s3 = runs(f"s3://{bucket}/datasets", contacts, edits)
            objects = s3.client().list_objects_v2(Bucket=bucket, Prefix="datasets/.sync/").get("KeyCount", 0)
    label = "local root, same case, same run"
    results = []
    for case, here in local.items():
        note = f"requests to the systems {on_s3[case].requests} vs {here.requests}; {objects} .sync objects left"
        results.append(
            Result(BENCH, f"S3 root: {case} ({contacts:,} contacts)", on_s3[case].wall, "s", here.wall, label, note)
        )
    return results
