"""What a pipe remembers between runs: the SQL hash and its inputs' last offsets at its last run.

Rule: state lives outside dataset folders (``ROOT/.pipes/<output>.json``, a hidden folder or S3 prefix
the store never lists) and is written only after the output write succeeded, atomically (``sidefiles.py``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from sluice.datasets.sidefiles import SideFiles


@dataclass(frozen=True)
class PipeState:
    sql_hash: str
    inputs: dict[str, int] = field(default_factory=dict)  # input dataset -> last offset it had
    output_offset: int = -1  # the output's last offset after the run
    ran_at: str = ""

    def is_current(self, sql_hash: str, inputs: dict[str, int], output_offset: int) -> bool:
        """Nothing moved: same SQL, same input offsets, and nobody else wrote the output since."""
        return self.sql_hash == sql_hash and self.inputs == inputs and self.output_offset == output_offset


class StateFiles:
    """Reads and writes ``<output>.json`` in the root's ``.pipes`` state."""

    def __init__(self, files: SideFiles) -> None:
        self.files = files

    def read(self, output: str) -> PipeState | None:
        """The last state, or None when the pipe never ran (or the file is unreadable: then it just reruns)."""
        try:
            data = json.loads(self.files.read(f"{output}.json") or b"")
            return PipeState(
                sql_hash=str(data["sql_hash"]),
                inputs={str(k): int(v) for k, v in data["inputs"].items()},
                output_offset=int(data.get("output_offset", -1)),
                ran_at=str(data.get("ran_at", "")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def write(self, output: str, state: PipeState) -> None:
        self.files.write(f"{output}.json", json.dumps(asdict(state), indent=2, sort_keys=True).encode())
