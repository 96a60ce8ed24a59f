"""The flow registry: every ``pipes/<flow>/flow.py``, checked and resolved into a ``Dataflow`` at load.

Rule: a flow is declared once, in its own folder. Loading reads the declaration, its two side pipes'
headers (fields and directions) and its ``[flows.<name>]`` table, and refuses anything it cannot run
(a missing pipe, a field going back to side a without a setter, an unknown dataset, a cycle of flows)
with a one-line ConfigError, so a declaration error never turns into a dead letter per record later.
Flows come out in run order: a flow whose pipes read ``link_<other>`` runs after ``<other>``.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from sluice.config import FlowConfig
from sluice.errors import ConfigError, PipeError
from sluice.pipes.pipe import Pipe, discover
from sluice.sync.dataflow import Dataflow, Declaration, SinkLimits
from sluice.sync.merge import ConflictPolicy, FieldRule
from sluice.sync.state import CONFLICTS, DEADLETTERS
from sluice.systems.registry import STREAMS, stream

FLOW_FILE = "flow.py"
TO_SHOP_ONLY = "to shop only"
SYNC_OWNED = (CONFLICTS, DEADLETTERS)


@dataclass(frozen=True)
class FlowRegistry:
    """The project's flows in run order, and what the sync writes for them."""

    flows: Mapping[str, Dataflow]
    free: tuple[str, ...] = ()
    """Pipes no flow needs that read no flow's links (a sync runs them with the first flows' pipes)."""
    late: tuple[str, ...] = ()
    """Pipes no flow needs that read links or other sync-owned datasets (a sync runs them after every flow)."""

    @property
    def names(self) -> list[str]:
        return list(self.flows)

    def outputs(self) -> list[str]:
        """Datasets the sync owns (links, agreed state, conflicts, dead letters): declared before they exist."""
        return [name for flow in self.flows.values() for name in flow.outputs] + list(SYNC_OWNED)

    def ordered(self, names: Iterable[str]) -> list[str]:
        """``names`` in run order (references first)."""
        wanted = set(names)
        return [name for name in self.flows if name in wanted]


def load_flows(pipes_dir: Path, settings: Mapping[str, FlowConfig]) -> FlowRegistry:
    """Discover, check and order every flow under ``pipes_dir`` (none when the folder is missing)."""
    if not pipes_dir.is_dir():
        return FlowRegistry({})
    try:
        pipes = {pipe.name: pipe for pipe in discover(pipes_dir)}
    except PipeError as exc:
        raise ConfigError(str(exc)) from exc
    paths = sorted(pipes_dir.glob(f"*/{FLOW_FILE}"))
    names = [path.parent.name for path in paths]
    unknown = sorted(set(settings) - set(names))
    if unknown:
        raise ConfigError(f"sluice.toml [flows.{unknown[0]}]: no flow {unknown[0]!r} (no pipes/{unknown[0]}/flow.py)")
    flows = {
        name: _resolve(name, _declaration(path), pipes, names, settings.get(name))
        for name, path in zip(names, paths, strict=True)
    }
    for name, flow in flows.items():
        shared = flow.declaration.scope_of if flow.declaration else None
        if shared is not None and shared not in flows:
            raise ConfigError(f"flow {name}: scope_of names no flow {shared!r}; known: {', '.join(names)}")
    owned = {p for flow in flows.values() for p in flow.pipes}
    synced = {*SYNC_OWNED, *(name for flow in flows.values() for name in flow.outputs)}
    free = [name for name in sorted(pipes) if name not in owned]
    late = [name for name in free if synced & _reads(name, pipes)]
    return FlowRegistry(
        {name: flows[name] for name in _run_order(flows)},
        free=tuple(p for p in free if p not in late),
        late=tuple(late),
    )


def _reads(name: str, pipes: Mapping[str, Pipe]) -> set[str]:
    """Every dataset a pipe reads, directly or through the pipes upstream of it."""
    return {src for pipe_name in _upstream([name], pipes) for src in pipes[pipe_name].input_names}


def import_flow(path: Path) -> ModuleType:
    """Import a ``flow.py`` by path (project content, not a package); ConfigError when it does not import."""
    shown = f"{path.parent.parent.name}/{path.parent.name}/{path.name}"
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]
    spec = importlib.util.spec_from_file_location(f"sluice_flow_{path.parent.name}_{digest}", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"{shown}: cannot be imported")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a flow file that does not import is a configuration error, whatever it raised
        raise ConfigError(f"{shown}: {type(exc).__name__}: {exc}") from exc
    return module


def _declaration(path: Path) -> Declaration:
    """The ``FLOW = Declaration(...)`` of a flow's ``flow.py``."""
    declaration = getattr(import_flow(path), "FLOW", None)
    if not isinstance(declaration, Declaration):
        raise ConfigError(
            f"{path.parent.parent.name}/{path.parent.name}/{path.name}: declares no FLOW = Declaration(...)"
        )
    return declaration


def _resolve(
    name: str, decl: Declaration, pipes: Mapping[str, Pipe], flows: list[str], cfg: FlowConfig | None
) -> Dataflow:
    a, b = stream(decl.a), stream(decl.b)
    side_pipes = {side: pipes.get(f"{name}_{s.system}") for side, s in (("a", a), ("b", b))}
    for side, s in (("a", a), ("b", b)):
        if side_pipes[side] is None:
            raise ConfigError(f"flow {name}: no pipe pipes/{name}/{s.system}.sql for side {side} ({s.name})")
    fields = _fields(name, decl, side_pipes["a"])
    upstream = _upstream([p.name for p in side_pipes.values() if p], pipes)
    sources, references = _inputs(name, upstream, pipes, flows)
    cfg = cfg or FlowConfig()
    return Dataflow(
        name=name,
        a_entity=a.entity,
        b_entity=b.entity,
        a_dataset=side_pipes["a"].name,
        b_dataset=side_pipes["b"].name,
        fields=fields,
        match_keys=decl.match_keys,
        deactivate_fields=dict(decl.deactivate_fields),
        reactivate_fields=dict(decl.reactivate_fields),
        policy=ConflictPolicy(tie_winner="a" if cfg.tie_winner == a.system else "b"),
        limits=SinkLimits(cfg.max_update_share, cfg.max_deactivate_share, cfg.min_target),
        on_target_deleted=cfg.on_target_deleted,
        enabled=decl.enabled if cfg.enabled is None else cfg.enabled,
        a_system=a.system,
        b_system=b.system,
        declaration=decl,
        references=references,
        sources=sources,
        pipes=tuple(upstream),
        settings=_options(name, decl, cfg),
    )


def _fields(name: str, decl: Declaration, pipe: Pipe) -> tuple[FieldRule, ...]:
    """The a-side pipe header's columns (minus ``_id`` and ``sync_*``); ``to shop only`` ones never go back."""
    columns = {c: doc for c, doc in pipe.header.columns.items() if not c.startswith(("_", "sync_"))}
    if not columns:
        raise ConfigError(f"flow {name}: {pipe.rel} documents no columns; its header lists the flow's fields")
    rules = tuple(
        FieldRule(c, to_a=(doc.direction or "").lower() != TO_SHOP_ONLY, follows=doc.follows)
        for c, doc in columns.items()
    )
    two_way = {r.name for r in rules if r.to_a}
    for rule in rules:
        if rule.follows is not None and (rule.to_a or rule.follows not in two_way):
            raise ConfigError(
                f"flow {name}: {pipe.rel} says {rule.name!r} follows {rule.follows!r}; only a 'to shop only' field "
                "can follow, and only a field that goes back to side a"
            )
        if rule.to_a and rule.name not in decl.setters:
            raise ConfigError(
                f"flow {name}: field {rule.name!r} goes back to {decl.a} but has no setter "
                f"(add one to pipes/{name}/flow.py, or mark it 'direction: to shop only' in {pipe.rel})"
            )
    extra = sorted(set(decl.setters) - {r.name for r in rules if r.to_a})
    if extra:
        raise ConfigError(f"flow {name}: setter for {extra[0]!r}, which {pipe.rel} does not map back (to shop only?)")
    return rules


def _options(name: str, decl: Declaration, cfg: FlowConfig) -> dict[str, Any]:
    unknown = sorted(set(cfg.options) - set(decl.options))
    if unknown:
        known = sorted([*FlowConfig.__dataclass_fields__, *decl.options])
        known.remove("options")
        raise ConfigError(f"sluice.toml [flows.{name}]: unknown settings {unknown}; known: {known}")
    return {**decl.options, **cfg.options}


def _upstream(names: list[str], pipes: Mapping[str, Pipe]) -> list[str]:
    """``names`` and every pipe they read, directly or not, upstream first (ties by name)."""
    order: list[str] = []

    def visit(pipe_name: str) -> None:
        if pipe_name in order:
            return
        for src in pipes[pipe_name].input_names:
            if src in pipes:
                visit(src)
        order.append(pipe_name)

    for pipe_name in names:
        visit(pipe_name)
    return order


def _inputs(
    name: str, upstream: list[str], pipes: Mapping[str, Pipe], flows: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The pulled datasets the flow's pipes read, and the flows whose links or agreed state they read."""
    pulled = {s.dataset for s in STREAMS.values()}
    owned = {f"{kind}_{flow}": flow for flow in flows for kind in ("link", "agreed")}
    sources: list[str] = []
    references: list[str] = []
    for pipe_name in upstream:
        pipe = pipes[pipe_name]
        for ref in pipe.inputs:
            if ref.name in pipes or ref.name in SYNC_OWNED:
                continue
            if ref.name in pulled:
                sources.append(ref.name)
            elif ref.name in owned:
                references.append(owned[ref.name])
            else:
                raise ConfigError(
                    f"flow {name}: {pipe.rel}:{ref.line}: unknown dataset {ref.name!r} "
                    "(neither pulled from a system, the output of a pipe, nor a flow's link_/agreed_ dataset)"
                )
    if name in references:
        raise ConfigError(f"flow {name}: its pipes read its own links; a flow cannot wait for itself")
    return tuple(dict.fromkeys(sources)), tuple(dict.fromkeys(references))


def _run_order(flows: Mapping[str, Dataflow]) -> list[str]:
    """Flows after the flows they reference (ties by name); a cycle is a ConfigError naming it."""
    order: list[str] = []
    active: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name in active:
            cycle = " -> ".join([*active[active.index(name) :], name])
            raise ConfigError(f"flows reference each other in a cycle: {cycle}")
        active.append(name)
        for ref in flows[name].references:
            visit(ref)
        active.pop()
        order.append(name)

    for name in sorted(flows):
        visit(name)
    return order
