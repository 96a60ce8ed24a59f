"""The DAG of datasets and pipes: which pipe reads what, in which order pipes run, and its pictures.

Rule: the graph comes from parsing the SQL, never from a hand-kept list. A reference to a dataset that
is neither known (in the store, or declared) nor written by a pipe, and any cycle, is a PipeError naming
the file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sluice.errors import PipeError
from sluice.pipes.pipe import Pipe


@dataclass(frozen=True)
class Dag:
    """Pipes in run order (every pipe after the pipes it reads) and the edges ``input -> output``."""

    pipes: tuple[Pipe, ...]
    sources: tuple[str, ...]  # datasets read by pipes but written by none (pulled from systems)

    @property
    def order(self) -> list[str]:
        return [pipe.name for pipe in self.pipes]

    @property
    def edges(self) -> list[tuple[str, str]]:
        return [(src, pipe.name) for pipe in self.pipes for src in pipe.input_names]

    def pipe(self, name: str) -> Pipe:
        for pipe in self.pipes:
            if pipe.name == name:
                return pipe
        raise PipeError(f"no pipe named {name!r} (known: {', '.join(self.order) or 'none'})")

    def upstream(self, name: str) -> list[str]:
        """Every pipe that ``name`` depends on, directly or not, in run order."""
        wanted: set[str] = set()
        stack = [name]
        by_name = {pipe.name: pipe for pipe in self.pipes}
        while stack:
            for src in by_name[stack.pop()].input_names:
                if src in by_name and src not in wanted:
                    wanted.add(src)
                    stack.append(src)
        return [n for n in self.order if n in wanted]


def build_dag(pipes: Iterable[Pipe], datasets: Iterable[str]) -> Dag:
    """Check every reference against ``datasets`` (the known ones) and the pipes' outputs, and order the
    pipes topologically (ties broken by file path, so runs repeat)."""
    pipes = sorted(pipes, key=lambda p: p.rel)
    by_name = {pipe.name: pipe for pipe in pipes}
    known = set(datasets)
    for pipe in pipes:
        for ref in pipe.inputs:
            if ref.name not in by_name and ref.name not in known:
                raise PipeError(
                    f"unknown dataset {ref.name!r}: not in the store, not declared and no pipe writes it",
                    pipe.rel,
                    ref.line,
                )
    return Dag(pipes=tuple(_toposort(pipes, by_name)), sources=_sources(pipes, by_name))


def _toposort(pipes: list[Pipe], by_name: dict[str, Pipe]) -> list[Pipe]:
    """Depth-first order; a back edge is a cycle, reported at the reference that closes it."""
    done: set[str] = set()
    active: list[str] = []
    order: list[Pipe] = []

    def visit(pipe: Pipe) -> None:
        if pipe.name in done:
            return
        active.append(pipe.name)
        for ref in pipe.inputs:
            upstream = by_name.get(ref.name)
            if upstream is None:
                continue
            if upstream.name in active:
                cycle = [*active[active.index(upstream.name) :], upstream.name]
                raise PipeError(f"cycle between pipes: {' reads '.join(cycle)}", pipe.rel, ref.line)
            visit(upstream)
        active.pop()
        done.add(pipe.name)
        order.append(pipe)

    for pipe in pipes:
        visit(pipe)
    return order


def _sources(pipes: list[Pipe], by_name: dict[str, Pipe]) -> tuple[str, ...]:
    names = {ref.name for pipe in pipes for ref in pipe.inputs if ref.name not in by_name}
    return tuple(sorted(names))


def to_mermaid(dag: Dag) -> str:
    """A Mermaid flowchart: source datasets as cylinders, pipe outputs as boxes."""
    lines = ["flowchart LR"]
    lines += [f"    {name}[({name})]" for name in dag.sources]
    lines += [f'    {pipe.name}["{pipe.name}<br/><small>{pipe.rel}</small>"]' for pipe in dag.pipes]
    lines += [f"    {src} --> {dst}" for src, dst in dag.edges]
    return "\n".join(lines) + "\n"


def to_dot(dag: Dag) -> str:
    """A Graphviz digraph with the same shapes as the Mermaid picture."""
    lines = ["digraph pipes {", "    rankdir=LR;"]
    lines += [f'    "{name}" [shape=cylinder];' for name in dag.sources]
    lines += [f'    "{pipe.name}" [shape=box, tooltip="{pipe.rel}"];' for pipe in dag.pipes]
    lines += [f'    "{src}" -> "{dst}";' for src, dst in dag.edges]
    return "\n".join([*lines, "}"]) + "\n"
