from __future__ import annotations

from pathlib import Path

import pytest

from sluice.errors import PipeError
from sluice.pipes.dag import build_dag, to_dot, to_mermaid
from sluice.pipes.pipe import discover


def test_pipes_run_after_the_pipes_they_read(write_pipe, pipes_dir: Path) -> None:
    write_pipe("a_final.sql", "SELECT * FROM b_middle")
    write_pipe("b_middle.sql", "SELECT * FROM c_first JOIN raw USING (_id)")
    write_pipe("c_first.sql", "SELECT * FROM raw")
    dag = build_dag(discover(pipes_dir), ["raw"])
    assert dag.order == ["c_first", "b_middle", "a_final"]
    assert dag.sources == ("raw",)
    assert ("c_first", "b_middle") in dag.edges
    assert dag.upstream("a_final") == ["c_first", "b_middle"]


def test_unknown_dataset_names_file_and_line(write_pipe, pipes_dir: Path) -> None:
    write_pipe("p.sql", "-- output: p\nSELECT *\nFROM raw\nJOIN typo_dataset USING (_id)")
    with pytest.raises(PipeError, match="unknown dataset 'typo_dataset'") as err:
        build_dag(discover(pipes_dir), ["raw"])
    assert (err.value.path, err.value.line) == ("pipes/p.sql", 4)


def test_cte_names_are_not_datasets(write_pipe, pipes_dir: Path) -> None:
    write_pipe("p.sql", "WITH helper AS (SELECT * FROM raw) SELECT * FROM helper")
    assert build_dag(discover(pipes_dir), ["raw"]).order == ["p"]


def test_cycles_are_refused_with_the_path(write_pipe, pipes_dir: Path) -> None:
    write_pipe("a.sql", "SELECT * FROM b")
    write_pipe("b.sql", "SELECT * FROM\n c")
    write_pipe("c.sql", "SELECT * FROM a")
    with pytest.raises(PipeError, match=r"cycle between pipes: a reads b reads c reads a") as err:
        build_dag(discover(pipes_dir), [])
    assert err.value.line == 1


def test_pictures_name_every_node_and_edge(write_pipe, pipes_dir: Path) -> None:
    write_pipe("x/out.sql", "SELECT * FROM raw")
    dag = build_dag(discover(pipes_dir), ["raw"])
    assert "raw --> x_out" in to_mermaid(dag)
    assert '"raw" -> "x_out";' in to_dot(dag)
    assert "shape=cylinder" in to_dot(dag)
