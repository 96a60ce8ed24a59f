"""A dataflow's declaration: which system entities it joins, its keys, write-back and policies.

Rule: declarative only. A flow's folder (``pipes/<flow>/``) holds its two side pipes and a
``flow.py`` whose ``FLOW = Declaration(...)`` says what SQL cannot (match keys, setters, lookups,
options); ``registry.load_flows`` resolves it with the pipe headers and ``[flows.<name>]`` into a
``Dataflow``, which the reconciler, sinks and engine run the same way for every flow.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sluice.datasets import DatasetStore
from sluice.errors import PermanentError
from sluice.sync.merge import ConflictPolicy, FieldRule

Carrier = dict[str, Any]
WriteBack = Callable[[Carrier, dict[str, Any], Any], Carrier]
"""``write_back(carrier, changes, lookups)``: a copy of side a's carrier with the changed fields set."""
SinkFactory = Callable[[Any, Any, DatasetStore, Any], Any]
"""``factory(flow, client, store, settings)`` -> the ``Sink`` one side of a flow writes through."""
Lookups = Callable[[DatasetStore, Mapping[str, Any]], Any]
"""``lookups(store, settings)``: what the setters need to know (name -> id tables), built once per run."""


def apply_setters(
    carrier: Carrier, changes: Mapping[str, Any], setters: Mapping[str, Callable[..., None]], *extra: Any
) -> Carrier:
    """A copy of side a's ``carrier`` with each changed field written by its setter (``setter(carrier, value,
    *extra)``, e.g. the lookups): the body of a flow's ``write_back``. A field without a setter is a
    PermanentError (a dead letter naming it), never silently dropped; the carrier handed in is not touched."""
    updated = copy.deepcopy(carrier)
    for name, value in changes.items():
        if name not in setters:
            raise PermanentError(f"field {name!r} is not written back to SuperOffice")
        setters[name](updated, value, *extra)
    return updated


@dataclass(frozen=True)
class MatchKey:
    """A natural key for first-sync matching (compared after trimming; case-insensitive when ``casefold``)."""

    field: str
    casefold: bool = True

    def normalize(self, value: Any) -> str | None:
        if value is None:
            return None
        text = str(value).strip()
        if not text:
            return None
        return text.casefold() if self.casefold else text


@dataclass(frozen=True)
class SinkLimits:
    """Circuit breakers on a flow's sinks: shares of the target's linked records one run may touch."""

    max_update_share: float = 0.5
    max_deactivate_share: float = 0.2
    min_target: int = 20


@dataclass(frozen=True)
class Declaration:
    """What a flow's ``flow.py`` declares. The fields and their directions come from the a-side pipe's
    header (``direction: to shop only``), so they are never listed twice."""

    a: str
    """Side a by registry name: ``superoffice.contact`` (its pipe is ``superoffice.sql``)."""
    b: str
    """Side b: ``customwebshop.customers`` (its pipe is ``customwebshop.sql``)."""
    match_keys: tuple[MatchKey, ...] = ()
    setters: Mapping[str, Any] = field(default_factory=dict)
    """One setter per field that goes back to side a; a field without one is a ConfigError at load."""
    write_back: WriteBack | None = None
    lookups: Lookups | None = None
    deactivate_fields: dict[str, Any] = field(default_factory=lambda: {"active": False})
    options: Mapping[str, Any] = field(default_factory=dict)
    """The flow's own ``[flows.<name>]`` settings and their defaults (e.g. ``price_list``)."""
    enabled: bool = True
    """Whether a sync runs the flow when ``[flows.<name>] enabled`` does not say (False: it needs a decision first)."""
    examples: Mapping[str, Any] = field(default_factory=dict)
    """Values the setters accept for fields with a closed vocabulary (the round-trip test writes them)."""
    scope: Callable[[DatasetStore, Mapping[str, Any]], str | None] | None = None
    """``scope(store, settings)``: the ``sync_scope`` side a is limited to (one price list; None: all of side a);
    ConfigError if the settings name none the data has."""
    scope_of: str | None = None
    """The flow whose ``scope`` (as its ``sluice.toml`` table sets it) this flow shares: order lines take the order
    flow's ``orders_for``, so a line of an alternative that gets no order neither goes out nor waits."""
    guard: tuple[str, ...] = ()
    """Side-a carrier fields re-read and compared with the pulled record before a write-back, for entities with
    no timestamp to guard the write (SuperOffice products): a moved one refuses it. No blind PUT."""
    reactivate_fields: dict[str, Any] = field(default_factory=lambda: {"active": True})
    """Set on the shop record when its side-a record comes back (``{}``: the merge alone brings it up to date)."""
    a_key: Callable[[str], int] | None = None
    """The side-a carrier a record writes back to, from its ``_id`` (default: the ``_id`` is the key): several
    orders (``sale:17:1``, ``sale:17:2``) write back to one sale."""
    patch: bool = False
    """Write back with a PATCH of the changed carrier fields (``If-Unmodified-Since``) instead of a whole PUT."""
    born_in_b: str | None = None
    """Shop records no link names are created in side a, known there as this prefix + the shop id (order lines:
    ``cws:`` — the quote line is stamped ``ERPQuoteLineKey = cws:<line id>``, so a lost answer is found again,
    never made twice); None: records born in the shop are not created in side a (contacts, products, orders)."""
    delete_in_a: bool = False
    """A linked shop record that is gone deletes its side-a record (a line removed from an order deletes its quote
    line); False: the link is closed and nothing is deleted in side a."""
    sink_a: SinkFactory | None = None
    """The flow's own side-a sink (``sink_a(flow, client, store, settings)``) instead of its system's default."""
    sink_b: SinkFactory | None = None
    """The flow's own side-b sink instead of its system's default (order lines: one PATCH per order)."""


@dataclass(frozen=True)
class Dataflow:
    """One two-way flow between a SuperOffice entity (side ``a``) and a shop resource (side ``b``)."""

    name: str
    a_entity: str
    b_entity: str
    a_dataset: str
    b_dataset: str
    fields: tuple[FieldRule, ...]
    match_keys: tuple[MatchKey, ...] = ()
    deactivate_fields: dict[str, Any] = field(default_factory=lambda: {"active": False})
    reactivate_fields: dict[str, Any] = field(default_factory=lambda: {"active": True})
    """Set on the shop record when its SuperOffice record comes back (restored, back in assortment)."""
    on_target_deleted: Literal["close", "recreate"] = "close"
    """A SuperOffice edit after its shop record was deleted: reported and dropped, or a new shop record."""
    policy: ConflictPolicy = field(default_factory=ConflictPolicy)
    limits: SinkLimits = field(default_factory=SinkLimits)
    a_system: str = "superoffice"
    b_system: str = "customwebshop"
    declaration: Declaration | None = None
    references: tuple[str, ...] = ()
    """Flows whose links or agreed state this flow's pipes read: they run (and commit) first."""
    sources: tuple[str, ...] = ()
    """The pulled datasets this flow's pipes read."""
    pipes: tuple[str, ...] = ()
    """The pipes to run before this flow plans (its side pipes and their upstream), in run order."""
    settings: Mapping[str, Any] = field(default_factory=dict)
    """The declaration's options as ``sluice.toml`` sets them."""
    scope: str | None = None
    """When set, only side-a records whose ``sync_scope`` equals it take part (resolved once per run)."""
    enabled: bool = True
    """A sync without named flows runs it (``[flows.<name>] enabled``, else the declaration's default)."""

    @property
    def link_dataset(self) -> str:
        return f"link_{self.name}"

    @property
    def agreed_dataset(self) -> str:
        return f"agreed_{self.name}"

    @property
    def outputs(self) -> tuple[str, ...]:
        """The datasets the sync writes for this flow (declared, so pipes may read them before they exist)."""
        return (self.link_dataset, self.agreed_dataset)

    @property
    def ref_key(self) -> str:
        """The shop's external reference to side a: ``superoffice_contact_id``."""
        return f"{self.a_system}_{self.a_entity}_id"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]
