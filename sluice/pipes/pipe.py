"""One pipe: a ``.sql`` file under ``pipes/``, its header, its output name and the datasets it reads.

Rule: loading a pipe never touches data; it reads the file, checks the SQL and parses it once.
The default output of ``pipes/<dir>/<file>.sql`` is ``<dir>_<file>``; the header's ``output:`` wins.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from sluice.errors import PipeError
from sluice.pipes.header import PipeHeader, parse_header
from sluice.pipes.sql import TableRef, check_syntax, parse, table_refs


@dataclass(frozen=True)
class Pipe:
    """A loaded pipe. ``path`` is the file, ``rel`` its path relative to the pipes folder (used in messages)."""

    name: str  # the output dataset
    path: Path
    rel: str
    sql: str
    header: PipeHeader
    inputs: tuple[TableRef, ...]
    tree: exp.Query

    @property
    def sql_hash(self) -> str:
        """Hash of the whole file: any edit (header included) reruns the pipe."""
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def input_names(self) -> list[str]:
        return [ref.name for ref in self.inputs]

    @property
    def test_path(self) -> Path:
        """The unit tests beside the pipe: ``superoffice.sql`` -> ``superoffice.test.yaml``."""
        return self.path.with_suffix(".test.yaml")


def default_output(rel: Path) -> str:
    """``contact_customer/superoffice.sql`` -> ``contact_customer_superoffice``."""
    return "_".join([*rel.parent.parts, rel.stem])


_loaded: dict[tuple[Path, Path, int, int], Pipe] = {}


def load_pipe(path: Path, pipes_dir: Path) -> Pipe:
    """Read and check one pipe file; raises PipeError naming the file for any problem. A file unchanged since
    this process last loaded it (same size and modification time) is not parsed again: a served flow or a
    notebook runs many syncs in one process, and each opened every pipe anew (a DuckDB check and a sqlglot
    parse per file). The parsed tree is only ever read (through copies), so the same Pipe serves every run."""
    try:
        stat = path.stat()
    except OSError:
        return _load(path, pipes_dir)
    key = (path.resolve(), pipes_dir.resolve(), stat.st_mtime_ns, stat.st_size)
    if key not in _loaded:
        _loaded[key] = _load(path, pipes_dir)
    return _loaded[key]


def _load(path: Path, pipes_dir: Path) -> Pipe:
    rel = path.relative_to(pipes_dir)
    shown = str(Path(pipes_dir.name) / rel)
    try:
        sql = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PipeError(f"cannot read the pipe: {exc}", shown) from exc
    header = parse_header(sql, shown)
    if _only_comments(sql):
        raise PipeError("the pipe holds no SQL", shown)
    check_syntax(sql, shown)
    tree = parse(sql, shown)
    return Pipe(
        name=header.output or default_output(rel),
        path=path,
        rel=shown,
        sql=sql,
        header=header,
        inputs=tuple(table_refs(tree)),
        tree=tree,
    )


def discover(pipes_dir: Path) -> list[Pipe]:
    """Every ``*.sql`` under ``pipes_dir`` (subfolders included), sorted by path; duplicate outputs are an error."""
    pipes = [load_pipe(path, pipes_dir) for path in sorted(pipes_dir.rglob("*.sql"))]
    by_name: dict[str, Pipe] = {}
    for pipe in pipes:
        if pipe.name in by_name:
            raise PipeError(f"output {pipe.name!r} is also written by {by_name[pipe.name].rel}", pipe.rel)
        by_name[pipe.name] = pipe
    return pipes


def _only_comments(sql: str) -> bool:
    lines = [line.strip() for line in sql.splitlines()]
    body = "\n".join(line for line in lines if line and not line.startswith("--"))
    while body.startswith("/*") and "*/" in body:
        body = body[body.index("*/") + 2 :].strip()
    return not body
