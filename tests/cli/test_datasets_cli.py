"""``sluice datasets ...`` with typer's CliRunner on real files and a real store."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sluice.cli.main import app
from sluice.datasets import DatasetStore

runner = CliRunner()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def customers(n: int, **changes) -> list[dict]:
    return [{"customer_id": i, "name": f"Customer {i}", "address": {"city": "Bergen"}, **changes} for i in range(n)]


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["datasets", *args])
    return result.exit_code, result.output


def test_load_jsonl_twice_then_full_with_missing(tmp_path: Path, dataset_root: Path) -> None:
    src = write_jsonl(tmp_path / "c.jsonl", customers(120))
    code, out = invoke("load", "customer", str(src), "--key", "customer_id", "--json")
    assert code == 0 and json.loads(out) == {"new": 120, "changed": 0, "unchanged": 0, "deleted": 0, "duplicates": 0}
    code, out = invoke("load", "customer", str(src), "--key", "customer_id", "--json")
    assert json.loads(out)["unchanged"] == 120
    fewer = write_jsonl(tmp_path / "fewer.jsonl", customers(100))
    code, out = invoke("load", "customer", str(fewer), "--key", "customer_id", "--full")
    assert code == 0 and "20" in out
    assert DatasetStore(dataset_root).info("customer").live == 100  # SLUICE_DATASETS points at dataset_root


def test_breaker_trip_exits_non_zero_with_the_reason(tmp_path: Path, dataset_root: Path) -> None:
    invoke("load", "customer", str(write_jsonl(tmp_path / "a.jsonl", customers(200))), "--key", "customer_id")
    few = write_jsonl(tmp_path / "few.jsonl", customers(10))
    code, out = invoke("load", "customer", str(few), "--key", "customer_id", "--full")
    assert code == 3 and "circuit breaker" in out and "190 of 200" in out  # the same exit code as `sluice sync`
    code, out = invoke("load", "customer", str(few), "--key", "customer_id", "--full", "--json")
    assert code == 1 and json.loads(out)["counts"]["deleted"] == 190
    code, out = invoke("load", "customer", str(few), "--key", "customer_id", "--full", "--force", "--json")
    assert code == 0 and json.loads(out)["deleted"] == 190


def test_bad_json_line_is_reported_and_nothing_written(tmp_path: Path, dataset_root: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"customer_id": 1}\n{not json}\n')
    code, out = invoke("load", "customer", str(bad), "--key", "customer_id")
    assert code == 1 and "bad.jsonl:2: not JSON" in out
    assert not DatasetStore(dataset_root).exists("customer") or DatasetStore(dataset_root).last_offset("customer") == -1


def test_load_parquet_and_list(tmp_path: Path, dataset_root: Path) -> None:
    src = tmp_path / "p.parquet"
    duckdb.sql("SELECT i AS id, 'n' || i AS name FROM range(30) t(i)").write_parquet(str(src))
    code, out = invoke("load", "product", str(src), "--key", "id", "--id-prefix", "customwebshop-product")
    assert code == 0, out
    code, out = invoke("list", "--json")
    (listed,) = json.loads(out)
    assert (listed["name"], listed["live"], listed["versions"], listed["last_offset"]) == ("product", 30, 30, 29)
    code, out = invoke("list")
    assert code == 0 and "product" in out


def test_show_current_history_and_changes(tmp_path: Path, dataset_root: Path) -> None:
    invoke("load", "customer", str(write_jsonl(tmp_path / "a.jsonl", customers(5))), "--key", "customer_id")
    invoke("load", "customer", str(write_jsonl(tmp_path / "b.jsonl", customers(5, name="v2"))), "--key", "customer_id")
    code, out = invoke("show", "customer", "--json", "--limit", "3")
    assert code == 0 and len(json.loads(out)) == 3
    code, out = invoke("show", "customer", "--id", "2", "--json")
    assert [r["name"] for r in json.loads(out)] == ["Customer 2", "v2"]
    code, out = invoke("show", "customer", "--since", "7", "--json")
    assert [r["_offset"] for r in json.loads(out)] == [8, 9]
    code, out = invoke("show", "customer")
    assert code == 0 and "v2" in out
    code, out = invoke("show", "nope")
    assert code == 1 and "no such dataset" in out


def test_compact_with_retention(tmp_path: Path, dataset_root: Path) -> None:
    invoke("load", "customer", str(write_jsonl(tmp_path / "a.jsonl", customers(5))), "--key", "customer_id")
    invoke("load", "customer", str(write_jsonl(tmp_path / "b.jsonl", customers(5, name="v2"))), "--key", "customer_id")
    code, out = invoke("compact", "customer", "--retention", "7d", "--json")
    assert code == 0 and json.loads(out)["dropped"] == 0
    code, out = invoke("compact", "customer", "--json")
    assert json.loads(out)["dropped"] == 5
    code, out = invoke("compact", "customer", "--retention", "soon")
    assert code != 0


def test_root_option_overrides_env(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    src = write_jsonl(tmp_path / "a.jsonl", customers(2))
    code, _ = invoke("load", "customer", str(src), "--key", "customer_id", "--root", str(other))
    assert code == 0 and DatasetStore(other).exists("customer")


@pytest.mark.parametrize(("text", "seconds"), [("7d", 604800), ("12h", 43200), ("0", 0), ("3", 259200)])
def test_parse_duration(text: str, seconds: int) -> None:
    from sluice.cli.datasets import parse_duration

    assert parse_duration(text).total_seconds() == seconds


def test_show_history_puts_versions_side_by_side(tmp_path: Path, dataset_root: Path) -> None:
    invoke("load", "customer", str(write_jsonl(tmp_path / "a.jsonl", customers(3))), "--key", "customer_id")
    invoke("load", "customer", str(write_jsonl(tmp_path / "b.jsonl", customers(3, name="v2"))), "--key", "customer_id")
    code, out = invoke("show", "customer", "--id", "1")
    lines = [line for line in out.splitlines() if "│ name" in line]
    assert code == 0 and "offset 1" in out and "offset 4" in out
    assert len(lines) == 1 and "Customer 1" in lines[0] and "v2" in lines[0]  # one line per field, versions across
