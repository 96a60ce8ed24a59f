"""A dataflow's declaration: which mapped datasets it joins, its fields, keys and policies.

Rule: declarative only. A flow says what it syncs; the reconciler, sinks and engine do the
work, the same for every flow (Contact ↔ Customer is the first user; products and orders
reuse the same machinery with their own declarations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sluice.sync.merge import ConflictPolicy, FieldRule


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

    @property
    def link_dataset(self) -> str:
        return f"link_{self.name}"

    @property
    def agreed_dataset(self) -> str:
        return f"agreed_{self.name}"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]
