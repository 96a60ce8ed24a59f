"""What a campaign counts and what it found.

Rule: plain counters and findings only; the runner and the adapters add to them, the CLI and the test read them.
A finding names its invariant, its scenario's seed (to replay it) and what was seen.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

LOST = "lost update"
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Violation:
    """One invariant that did not hold after a clean sync."""

    invariant: str
    detail: str
    seed: int | None = None
    step: int | None = None

    def line(self) -> str:
        where = f"seed {self.seed}" + (f" step {self.step}" if self.step is not None else "")
        return f"[{where}] {self.invariant}: {self.detail}"


COUNTERS = ("scenarios", "syncs", "aborted_syncs", "faults", "kills", "edits", "checks", "conflicts")


@dataclass
class Figures:
    """The campaign's totals (summed over scenarios) and every violation found."""

    scenarios: int = 0
    syncs: int = 0
    aborted_syncs: int = 0
    faults: int = 0
    kills: int = 0
    edits: int = 0
    checks: int = 0
    conflicts: int = 0
    actions: Counter = field(default_factory=Counter)
    """User actions by flow and kind ("contact_customer: so edit"), summing to ``edits``."""
    violations: list[Violation] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return sum(v.invariant == LOST for v in self.violations)

    @property
    def duplicates(self) -> int:
        return sum(v.invariant == DUPLICATE for v in self.violations)

    @property
    def failed_seeds(self) -> list[int]:
        return sorted({v.seed for v in self.violations if v.seed is not None})

    def add(self, other: Figures) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.actions.update(other.actions)
        self.violations.extend(other.violations)

    def summary(self) -> str:
        """The figures as the README and ``make soak`` print them."""
        lines = [
            f"scenarios {self.scenarios}, syncs {self.syncs} ({self.aborted_syncs} aborted by faults), "
            f"faults injected {self.faults}, kills {self.kills}, edits {self.edits}, clean checks {self.checks}, "
            f"conflicts recorded {self.conflicts}",
            "edits by kind: " + ", ".join(f"{name} {n}" for name, n in sorted(self.actions.items())),
            f"lost {self.lost}, duplicates {self.duplicates}, violations {len(self.violations)}",
        ]
        by_invariant = Counter(v.invariant for v in self.violations)
        for invariant, count in by_invariant.most_common():
            seeds = sorted({v.seed for v in self.violations if v.invariant == invariant and v.seed is not None})
            lines.append(f"  {invariant}: {count} (seeds {', '.join(map(str, seeds[:10]))})")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The counters, lost and duplicates, and every finding whole (``from_json`` reads them back)."""
        data: dict[str, Any] = {name: getattr(self, name) for name in COUNTERS}
        data |= {"lost": self.lost, "duplicates": self.duplicates, "actions": dict(self.actions)}
        return data | {"violations": [asdict(v) | {"line": v.line()} for v in self.violations]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figures:
        """The totals a stopped run wrote, to add a resumed run's scenarios to."""
        fields = ("invariant", "detail", "seed", "step")
        violations = [Violation(**{k: v[k] for k in fields}) for v in data["violations"]]
        return cls(**{n: data[n] for n in COUNTERS}, actions=Counter(data["actions"]), violations=violations)
