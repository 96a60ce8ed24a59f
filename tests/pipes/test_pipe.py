from __future__ import annotations

from pathlib import Path

import pytest

from sluice.errors import PipeError
from sluice.pipes.pipe import default_output, discover, load_pipe


def test_default_output_is_folder_and_file(write_pipe, pipes_dir: Path) -> None:
    path = write_pipe("contact_customer/superoffice.sql", "SELECT 1 AS _id FROM superoffice_contact")
    pipe = load_pipe(path, pipes_dir)
    assert pipe.name == "contact_customer_superoffice"
    assert pipe.rel == "pipes/contact_customer/superoffice.sql"
    assert pipe.input_names == ["superoffice_contact"]
    assert pipe.test_path == path.with_suffix(".test.yaml")
    assert default_output(Path("a/b/c.sql")) == "a_b_c"


def test_header_output_overrides(write_pipe, pipes_dir: Path) -> None:
    path = write_pipe("x/y.sql", "-- output: custom_name\nSELECT 1 AS _id")
    assert load_pipe(path, pipes_dir).name == "custom_name"


def test_sql_hash_follows_any_edit(write_pipe, pipes_dir: Path) -> None:
    path = write_pipe("a.sql", "SELECT 1 AS _id")
    before = load_pipe(path, pipes_dir).sql_hash
    path.write_text("SELECT 2 AS _id")
    assert load_pipe(path, pipes_dir).sql_hash != before


def test_two_pipes_with_one_output_are_refused(write_pipe, pipes_dir: Path) -> None:
    write_pipe("a/b.sql", "SELECT 1 AS _id")
    write_pipe("other.sql", "-- output: a_b\nSELECT 1 AS _id")
    with pytest.raises(PipeError, match="also written by"):
        discover(pipes_dir)


def test_a_header_without_sql_is_refused(write_pipe, pipes_dir: Path) -> None:
    path = write_pipe("empty.sql", "/* output: e */\n")
    with pytest.raises(PipeError, match="no SQL"):
        load_pipe(path, pipes_dir)


def test_an_unchanged_file_is_parsed_once_per_process_and_an_edited_one_again(tmp_path) -> None:
    path = tmp_path / "crm" / "names.sql"
    path.parent.mkdir()
    path.write_text("SELECT _id, Name AS name FROM superoffice_contact", encoding="utf-8")
    first = load_pipe(path, tmp_path)
    assert load_pipe(path, tmp_path) is first
    path.write_text("SELECT _id, upper(Name) AS name FROM superoffice_contact", encoding="utf-8")
    edited = load_pipe(path, tmp_path)
    assert edited is not first and "upper" in edited.sql
