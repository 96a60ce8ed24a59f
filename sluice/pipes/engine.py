"""``PipeEngine``: the one object behind the CLI, notebooks and flows for everything pipes do.

Rule: the engine never prints; every method returns dataclasses or Arrow tables and a front end
renders them. Each call re-reads the pipe files, so an edit shows up on the next call. A declared
dataset that is not in the store yet reads as no rows with its declared schema.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sluice.datasets import DatasetStore, WriteStats
from sluice.datasets.hashing import quote_ident
from sluice.datasets.sidefiles import LocalSideFiles
from sluice.errors import DatasetError, PipeError
from sluice.pipes.checks import check_compatible, prepare_output
from sluice.pipes.dag import Dag, build_dag
from sluice.pipes.declared import duckdb_columns, empty_relation
from sluice.pipes.diff import PipeDiff, diff_tables
from sluice.pipes.docs import render_dataflow_doc
from sluice.pipes.incremental import row_local_input
from sluice.pipes.lineage import ColumnLineage, column_lineage
from sluice.pipes.pipe import Pipe, discover
from sluice.pipes.sql import error_line
from sluice.pipes.state import PipeState, StateFiles
from sluice.pipes.testing import PipeTestResult, load_cases, run_case


@dataclass(frozen=True)
class PipeInfo:
    """A pipe at a glance, for ``sluice pipes list``."""

    name: str
    file: str
    inputs: tuple[str, ...]
    description: str
    up_to_date: bool  # a run now would be skipped
    last_run: str  # ISO time of the last run, "" if never
    absent: tuple[str, ...] = ()  # declared inputs not in the store yet (not pulled)


@dataclass(frozen=True)
class PipeRun:
    """What running one pipe did: ``skipped`` when nothing moved, else the store's write stats."""

    name: str
    file: str
    skipped: bool
    seconds: float
    rows: int = 0
    """Rows the query returned; for a changed-rows run, the changed input rows it read (a run that only deletes
    returns none, yet did work in proportion to them)."""
    stats: WriteStats | None = None
    changed_only: bool = False
    """The pipe ran over the input rows changed since its last run alone (``incremental.py``), not in full."""

    @property
    def rows_per_second(self) -> float:
        """The query's rows per second of the whole step (query, checks and write); 0 when skipped."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def pipe_step(skipped: bool, changed_only: bool) -> str:
    """How a pipe ran, as the run's dataset tables (CLI, Prefect artifact) name it."""
    return "pipe (skipped)" if skipped else "pipe (changed rows)" if changed_only else "pipe"


Progress = Callable[[PipeRun], None]


class PipeEngine:
    """Pipes under ``pipes_dir`` over the datasets of ``store``; pipe state goes to ``ROOT/.pipes``.

    ``declared`` holds the payload schemas of datasets that may not exist yet (pulled sources before the
    first pull, the sync's state before the first sync): the DAG knows them, and until the store has
    one it binds as an empty relation with that schema, so pipes list, plan and preview on a fresh root.
    """

    def __init__(
        self,
        pipes_dir: Path | str,
        store: DatasetStore,
        state_dir: Path | str | None = None,
        *,
        declared: Mapping[str, pa.Schema] | None = None,
    ) -> None:
        self.pipes_dir = Path(pipes_dir)
        self.store = store
        self.state = StateFiles(LocalSideFiles(Path(state_dir)) if state_dir else store.side_files(".pipes"))
        self.declared: dict[str, pa.Schema] = dict(declared or {})

    # -- discovery -------------------------------------------------------------------------------

    def pipes(self) -> list[Pipe]:
        """Every pipe file, loaded and syntax-checked (no DAG check: tests and docs need no store)."""
        if not self.pipes_dir.is_dir():
            raise PipeError(f"no pipes folder at {self.pipes_dir}")
        return discover(self.pipes_dir)

    def dag(self) -> Dag:
        """The checked DAG: unknown datasets and cycles raise PipeError with file and line."""
        return build_dag(self.pipes(), [*self.store.names(), *self.declared])

    def pipe(self, ref: str) -> Pipe:
        """A pipe by output name or by file path (``contact_customer/superoffice.sql``, with or without ``pipes/``)."""
        return self._find(ref, self.pipes())

    def list(self) -> list[PipeInfo]:
        """Every pipe in run order with whether a run would skip it."""
        infos = []
        dag = self.dag()
        for pipe in dag.pipes:
            state = self.state.read(pipe.name)
            infos.append(
                PipeInfo(
                    name=pipe.name,
                    file=pipe.rel,
                    inputs=tuple(pipe.input_names),
                    description=pipe.header.description,
                    up_to_date=self._is_current(pipe, state),
                    last_run=state.ran_at if state else "",
                    absent=tuple(self._absent(dag, pipe)),
                )
            )
        return infos

    # -- authoring -------------------------------------------------------------------------------

    def preview(self, ref: str, limit: int | None = 20) -> pa.Table:
        """The pipe's output rows (first ``limit``), computed over the current inputs; writes nothing."""
        return self._compute(self._checked(ref), limit=limit)

    def absent_inputs(self, ref: str) -> list[str]:
        """Declared datasets the pipe reads, itself or through the pipes upstream of it, that are not in
        the store yet: a preview or diff sees no rows of theirs (a front end says "not pulled yet")."""
        dag = self.dag()
        return self._absent(dag, self._find(ref, dag.pipes))

    def diff(self, ref: str) -> PipeDiff:
        """What a run would write: new, changed (with the changed columns) and deleted entities."""
        pipe = self._checked(ref)
        new = self._validated(pipe, self._compute(pipe))
        old = self.store.current_arrow(pipe.name) if self.store.exists(pipe.name) else None
        return diff_tables(pipe.name, new, old)

    def lineage(self, ref: str) -> list[ColumnLineage]:
        """Column-level lineage of one pipe (uses the input schemas from the store, else the declared ones)."""
        pipe = self.pipe(ref)
        return column_lineage(pipe.tree, self._schema(pipe), pipe.rel)

    def test(self, ref: str | None = None) -> list[PipeTestResult]:
        """Run the ``.test.yaml`` cases beside one pipe, or beside every pipe; needs no datasets."""
        pipes = [self.pipe(ref)] if ref else self.pipes()
        results = []
        for pipe in pipes:
            if pipe.test_path.exists():
                shown = str(Path(pipe.rel).with_suffix(".test.yaml"))
                results += [run_case(pipe.name, pipe.sql, case) for case in load_cases(pipe.test_path, shown)]
        return results

    def docs(self) -> str:
        """The generated dataflow document (``docs/dataflow.md``), from the pipe headers and lineage."""
        return render_dataflow_doc(self.pipes())

    # -- running ---------------------------------------------------------------------------------

    def run(
        self,
        refs: Sequence[str] | None = None,
        *,
        force: bool = False,
        force_write: bool = False,
        on_progress: Progress | None = None,
    ) -> list[PipeRun]:
        """Run the named pipes (all when none), in DAG order. A pipe whose SQL and input offsets did not
        move since its last run is skipped unless ``force``; ``force_write`` overrides the store's
        circuit breaker for an intended large change."""
        dag = self.dag()
        wanted = {self._find(ref, dag.pipes).name for ref in refs} if refs else None
        runs = []
        for pipe in dag.pipes:
            if wanted is not None and pipe.name not in wanted:
                continue
            result = self._run_one(pipe, force=force, force_write=force_write)
            runs.append(result)
            if on_progress:
                on_progress(result)
        return runs

    def _run_one(self, pipe: Pipe, *, force: bool, force_write: bool) -> PipeRun:
        started = time.perf_counter()
        offsets = self._input_offsets(pipe)
        state = self.state.read(pipe.name)
        if not force and self._is_current(pipe, state, offsets):
            return PipeRun(pipe.name, pipe.rel, skipped=True, seconds=time.perf_counter() - started)
        changed = None if force else self._changed_run(pipe, state, force_write)
        if changed is not None:
            stats, rows = changed
        else:
            table = self._validated(pipe, self._compute(pipe))
            stats, rows = self._write(pipe, table, full=True, force_write=force_write), table.num_rows
        self.state.write(
            pipe.name,
            PipeState(
                sql_hash=pipe.sql_hash,
                inputs=offsets,
                output_offset=stats.last_offset,
                ran_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            ),
        )
        seconds = time.perf_counter() - started
        return PipeRun(pipe.name, pipe.rel, False, seconds, rows=rows, stats=stats, changed_only=changed is not None)

    def _changed_run(self, pipe: Pipe, state: PipeState | None, force_write: bool) -> tuple[WriteStats, int] | None:
        """A row-local pipe over the input rows changed since its last run, written over its output; the output
        rows their earlier versions made and the new ones do not make are deleted. None when the pipe must run
        in full: not row-local, never run, its SQL or its output moved since, its input replaced or compacted
        over the last run's offset (the earlier versions may be gone)."""
        source = row_local_input(pipe)
        if source is None or state is None or state.sql_hash != pipe.sql_hash:
            return None
        since = state.inputs.get(source, -1)
        if since < 0 or not self.store.exists(pipe.name) or state.output_offset != self.store.last_offset(pipe.name):
            return None
        if self.store.last_offset(source) < since or not self.store.kept_since(source, since):
            return None
        versions = self.store.changes(source, since, latest_only=True).select(["_id", "_deleted"])
        changed = versions.column("_id").to_pylist()
        live = versions.filter(pc.invert(versions.column("_deleted"))).column("_id").to_pylist()
        table = self._validated(pipe, self._compute(pipe, rows={source: self.store.current_of(source, live)}))
        before = self._compute(pipe, rows={source: self.store.current_of(source, changed, upto=since)})
        made = {str(i) for i in table.column("_id").to_pylist()}
        had = {str(i) for i in before.column("_id").to_pylist()}
        if self.store.current_of(pipe.name, made - had).num_rows:
            return None  # a new id another input row already makes: the full run reports the duplicate
        stats = self._write(pipe, table, full=False, force_write=force_write, delete=frozenset(had - made))
        return stats, len(changed)

    def _write(
        self, pipe: Pipe, table: pa.Table, *, full: bool, force_write: bool, delete: frozenset[str] = frozenset()
    ) -> WriteStats:
        try:
            return self.store.write(pipe.name, table, key="_id", full=full, force=force_write, delete=delete)
        except DatasetError as exc:
            raise PipeError(f"writing output {pipe.name!r} failed: {exc}", pipe.rel) from exc

    # -- internals -------------------------------------------------------------------------------

    def _checked(self, ref: str) -> Pipe:
        """The pipe, after the whole DAG checked out (so unknown inputs fail with file and line)."""
        return self._find(ref, self.dag().pipes)

    def _find(self, ref: str, pipes: Sequence[Pipe]) -> Pipe:
        for pipe in pipes:
            if ref in (pipe.name, pipe.rel, str(pipe.path)) or _same_file(ref, pipe, self.pipes_dir):
                return pipe
        known = ", ".join(p.name for p in pipes) or "none"
        raise PipeError(f"no pipe named {ref!r} (known: {known})")

    def _absent(self, dag: Dag, pipe: Pipe) -> list[str]:
        readers = [dag.pipe(name) for name in dag.upstream(pipe.name)] + [pipe]
        names = dict.fromkeys(src for reader in readers for src in reader.input_names)
        return [name for name in names if name in self.declared and not self.store.exists(name)]

    def _input_offsets(self, pipe: Pipe) -> dict[str, int]:
        return {name: self.store.last_offset(name) for name in pipe.input_names}

    def _is_current(self, pipe: Pipe, state: PipeState | None, offsets: dict[str, int] | None = None) -> bool:
        if state is None or not self.store.exists(pipe.name):
            return False
        offsets = offsets if offsets is not None else self._input_offsets(pipe)
        return state.is_current(pipe.sql_hash, offsets, self.store.last_offset(pipe.name))

    def _compute(self, pipe: Pipe, limit: int | None = None, rows: Mapping[str, pa.Table] | None = None) -> pa.Table:
        """Run the pipe's SQL unchanged in DuckDB with a view per input dataset (an empty relation for a
        declared one the store does not have yet; ``rows``: these rows in place of a dataset's current state)."""
        rows = rows or {}
        present = [name for name in pipe.input_names if name not in rows and self.store.exists(name)]
        given = [*present, *rows]
        missing = [name for name in pipe.input_names if name not in given and name not in self.declared]
        if missing:
            raise PipeError(f"input dataset(s) not written yet: {', '.join(missing)} (run their pipes first)", pipe.rel)
        con = duckdb.connect(":memory:")
        try:
            self.store.register(con, names=present)
            for name, table in rows.items():
                con.register(f"{name}__changed", table)
                con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM {quote_ident(name + '__changed')}")
            for name in pipe.input_names:
                if name not in given:
                    con.register(name, empty_relation(self.declared[name]))
                elif name in self.declared:
                    _widen(con, name, self.declared[name])
            relation = con.sql(pipe.sql)
            if limit is not None:
                relation = relation.limit(limit)
            return relation.to_arrow_table()
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise PipeError(f"the query failed: {first}", pipe.rel, error_line(str(exc))) from exc
        finally:
            con.close()

    def _validated(self, pipe: Pipe, table: pa.Table) -> pa.Table:
        table = prepare_output(table, pipe.rel)
        if self.store.exists(pipe.name):
            old = self.store.current(pipe.name).limit(0).to_arrow_table().schema
            check_compatible(table.schema, old, pipe.rel)
        return table

    def _schema(self, pipe: Pipe) -> dict[str, dict[str, str]]:
        """``{dataset: {column: type}}`` of the inputs that exist or are declared (lineage needs it for ``*``)."""
        schema = {}
        for name in pipe.input_names:
            if self.store.exists(name):
                relation = self.store.current(name)
                schema[name] = {col: str(typ) for col, typ in zip(relation.columns, relation.types, strict=True)}
            elif name in self.declared:
                schema[name] = duckdb_columns(self.declared[name])
        return schema


def _same_file(ref: str, pipe: Pipe, pipes_dir: Path) -> bool:
    candidate = Path(ref)
    if not candidate.suffix:
        return False
    for base in (Path.cwd(), pipes_dir, pipes_dir.parent):
        if (base / candidate).resolve() == pipe.path.resolve():
            return True
    return False


def _widen(con: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema) -> None:
    """Give a stored dataset the declared columns it lacks, as NULLs: a pull that read nothing (a tenant with no
    quotes yet) stores no payload columns, and a pipe naming them must still bind instead of stopping every sync."""
    have = set(con.sql(f"SELECT * FROM {quote_ident(name)} LIMIT 0").columns)
    lacking = {column: dtype for column, dtype in duckdb_columns(schema).items() if column not in have}
    if not lacking:
        return
    stored = f"{name}__stored"
    con.execute(f"ALTER VIEW {quote_ident(name)} RENAME TO {quote_ident(stored)}")
    extra = ", ".join(f"CAST(NULL AS {dtype}) AS {quote_ident(column)}" for column, dtype in lacking.items())
    con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT *, {extra} FROM {quote_ident(stored)}")
