"""What only an S3 root has: the manifest commit, orphan parts, the lease lock, and secrets kept out.

The store's whole behaviour on S3 is tested by the parametrised suite (every ``dataset_root`` test runs
on both roots); here are the S3 mechanics themselves, against moto's server on 127.0.0.1.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sluice.datasets import DatasetStore
from sluice.datasets.s3 import S3Storage, parse_s3_url
from sluice.datasets.s3client import S3Config
from sluice.errors import ConfigError, DatasetError, DatasetLockedError

from .s3server import SECRET_KEY, MotoS3


def bucket_and_prefix(root: str) -> tuple[str, str]:
    return parse_s3_url(root)


def keys(s3_server: MotoS3, root: str, under: str) -> list[str]:
    bucket, prefix = bucket_and_prefix(root)
    answer = s3_server.client().list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/{under}")
    return sorted(o["Key"] for o in answer.get("Contents", []))


def test_a_write_commits_by_manifest_and_parts_have_unique_keys(s3_root: str, s3_server: MotoS3, companies) -> None:
    store = DatasetStore(s3_root)
    store.write("company", companies(5), key="id")
    store.write("company", companies(5, name="v2"), key="id")
    bucket, prefix = bucket_and_prefix(s3_root)
    manifest = json.loads(
        s3_server.client().get_object(Bucket=bucket, Key=f"{prefix}/company/manifest.json")["Body"].read()
    )
    assert [(p["first"], p["last"], p["rows"]) for p in manifest["parts"]] == [(0, 4, 5), (5, 9, 5)]
    assert keys(s3_server, s3_root, "company/log/") == sorted(f"{prefix}/company/{p['key']}" for p in manifest["parts"])
    assert store.names() == ["company"]


def test_an_uncommitted_part_is_ignored_and_compaction_deletes_it(s3_root: str, s3_server: MotoS3, companies) -> None:
    """A writer that died after uploading its part but before the manifest commit changed nothing."""
    store = DatasetStore(s3_root)
    store.write("company", companies(5), key="id")
    bucket, prefix = bucket_and_prefix(s3_root)
    orphan = f"{prefix}/company/log/part-000000000005-000000000009-deadbeef0000.parquet"
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(companies(5, start=100)), sink)
    s3_server.client().put_object(Bucket=bucket, Key=orphan, Body=sink.getvalue().to_pybytes())
    reader = DatasetStore(s3_root)
    assert len(reader.current_arrow("company")) == 5 and reader.last_offset("company") == 4
    assert reader.write("company", companies(6), key="id").new == 1  # offset 5 again: the orphan is not the log
    assert reader.compact("company").versions_after == 6
    assert orphan not in keys(s3_server, s3_root, "company/log/")
    assert len(keys(s3_server, s3_root, "company/log/")) == 1


def test_compaction_that_died_before_deleting_leaves_ignored_objects(
    s3_root: str, s3_server: MotoS3, companies
) -> None:
    store = DatasetStore(s3_root)
    store.write("company", companies(6), key="id")
    store.write("company", companies(6, name="v2"), key="id")
    bucket, _ = bucket_and_prefix(s3_root)
    client = s3_server.client()
    old = {k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys(s3_server, s3_root, "company/log/")}
    store.compact("company")
    for key, data in old.items():  # resurrect the replaced parts, as if their deletion never happened
        client.put_object(Bucket=bucket, Key=key, Body=data)
    assert len(keys(s3_server, s3_root, "company/log/")) == 3
    assert len(store.current_arrow("company")) == 6 and store.changes("company", since=-1).num_rows == 6
    assert store.compact("company").parts_after == 1
    assert len(keys(s3_server, s3_root, "company/log/")) == 1


def test_a_commit_on_a_changed_manifest_is_refused_and_nothing_is_lost(s3_root: str, companies, tmp_path) -> None:
    """If-Match on the manifest: a writer whose view is stale (its lease ran out) cannot publish over another."""
    DatasetStore(s3_root).write("company", companies(3), key="id")
    stale = S3Storage(s3_root).files("company")
    stale.parts()  # what the slow writer read under its lease
    assert DatasetStore(s3_root).write("company", companies(4), key="id").new == 1  # another writer commits
    staged = stale.staging_path(3, 3)
    pq.write_table(pa.table({"_id": ["x"], "_offset": [3]}), staged)
    with pytest.raises(DatasetLockedError, match="another writer published"):
        stale.publish_part(staged, 3, 3)
    fresh = DatasetStore(s3_root)
    assert sorted(fresh.current_arrow("company")["_id"].to_pylist()) == ["0", "1", "2", "3"]
    assert fresh.info("company").versions == 4 and not staged.exists()


def test_damaged_index_is_rebuilt_and_a_damaged_manifest_is_a_clear_error(s3_root, s3_server, companies) -> None:
    store = DatasetStore(s3_root)
    store.write("company", companies(10), key="id")
    bucket, prefix = bucket_and_prefix(s3_root)
    client = s3_server.client()
    client.put_object(Bucket=bucket, Key=f"{prefix}/company/_state/index.arrow", Body=b"not arrow")
    stats = DatasetStore(s3_root).write("company", companies(10), key="id")
    assert (stats.unchanged, stats.appended) == (10, 0)
    client.put_object(Bucket=bucket, Key=f"{prefix}/company/manifest.json", Body=b"{half a")
    with pytest.raises(DatasetError, match=r"manifest .* is damaged"):
        DatasetStore(s3_root).current_arrow("company")


def test_a_held_lease_makes_the_second_writer_fail_clearly(s3_root: str, companies) -> None:
    store = DatasetStore(s3_root, lock_timeout=0.5)
    store.write("company", companies(3), key="id")
    files = S3Storage(s3_root).files("company")
    with files.lock(1):
        started = time.monotonic()
        with pytest.raises(DatasetLockedError, match="another writer holds the lock"):
            store.write("company", companies(5), key="id")
        assert time.monotonic() - started >= 0.5
    assert store.write("company", companies(5), key="id").new == 2  # released: free at once


def test_an_expired_lease_is_taken_over(s3_root: str, s3_server: MotoS3, companies) -> None:
    """A holder that died (no heartbeat) blocks others for one lease, then its lease is taken over."""
    store = DatasetStore(s3_root, lock_timeout=5)
    store.write("company", companies(3), key="id")
    bucket, prefix = bucket_and_prefix(s3_root)
    dead = {"owner": "dead", "host": "elsewhere", "pid": 1, "expires": time.time() + 1.0}
    s3_server.client().put_object(Bucket=bucket, Key=f"{prefix}/company/_state/write.lock", Body=json.dumps(dead))
    started = time.monotonic()
    assert store.write("company", companies(4), key="id").new == 1
    assert 0.5 <= time.monotonic() - started < 5


def test_heartbeat_keeps_a_long_write_locked(s3_root: str, companies) -> None:
    storage = S3Storage(s3_root, lease=0.6)
    other = DatasetStore(s3_root, lock_timeout=0.3)
    with storage.files("company").lock(1):
        time.sleep(1.5)  # more than two leases: only the heartbeat keeps it held
        with pytest.raises(DatasetLockedError):
            other.write("company", companies(2), key="id")
    assert other.write("company", companies(2), key="id").new == 2


def test_reads_go_through_arrow_without_a_duckdb_extension(s3_root: str, companies) -> None:
    store = DatasetStore(s3_root)
    store.write("company", companies(20), key="id")
    con = duckdb.connect()
    store.register(con)
    assert con.sql("SELECT count(*) FROM company").fetchall() == [(20,)]
    assert len(store.current_df("company")) == 20
    for db in (con, store.con):
        loaded = db.sql("SELECT extension_name FROM duckdb_extensions() WHERE loaded AND extension_name = 'httpfs'")
        assert loaded.fetchall() == []


def test_a_path_made_from_the_url_still_means_s3(s3_root: str, companies) -> None:
    """Configuration that turned the root into a Path (``s3:/bucket``) still reaches the bucket."""
    DatasetStore(s3_root).write("company", companies(2), key="id")
    store = DatasetStore(Path(s3_root))
    assert store.root == s3_root and len(store.current_arrow("company")) == 2


def test_errors_name_the_object_but_never_the_secret(s3_server: MotoS3, s3_root: str, companies) -> None:
    missing = "s3://no-such-bucket-here/datasets"
    with pytest.raises(DatasetError) as caught:
        DatasetStore(missing).write("company", companies(1), key="id")
    assert "s3://no-such-bucket-here/datasets/company" in str(caught.value)
    assert "NoSuchBucket" in str(caught.value)
    assert SECRET_KEY not in str(caught.value) and SECRET_KEY not in repr(caught.value.__dict__)
    config = S3Config.from_env()
    assert config.secret_key == SECRET_KEY and SECRET_KEY not in repr(config)
    assert SECRET_KEY not in repr(DatasetStore(s3_root)) and SECRET_KEY not in repr(S3Storage(s3_root).__dict__)


def test_a_root_without_a_bucket_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="s3://bucket"):
        DatasetStore("s3:///datasets")


def test_resolve_root_keeps_an_s3_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from sluice.datasets import resolve_root

    monkeypatch.setenv("SLUICE_DATASETS", "s3://bucket/prefix")
    assert resolve_root() == "s3://bucket/prefix"
    assert resolve_root("elsewhere") == Path("elsewhere")
