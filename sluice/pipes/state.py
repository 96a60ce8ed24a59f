"""What a pipe remembers between runs: the SQL hash and its inputs' last offsets at its last run.

Rule: state lives outside dataset folders (``ROOT/.pipes/<output>.json``, a hidden folder the store
never lists) and is written only after the output write succeeded, atomically (write, then rename).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


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
    """Reads and writes ``<dir>/<output>.json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path(self, output: str) -> Path:
        return self.directory / f"{output}.json"

    def read(self, output: str) -> PipeState | None:
        """The last state, or None when the pipe never ran (or the file is unreadable: then it just reruns)."""
        try:
            data = json.loads(self.path(output).read_text(encoding="utf-8"))
            return PipeState(
                sql_hash=str(data["sql_hash"]),
                inputs={str(k): int(v) for k, v in data["inputs"].items()},
                output_offset=int(data.get("output_offset", -1)),
                ran_at=str(data.get("ran_at", "")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def write(self, output: str, state: PipeState) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path(output)
        tmp = target.with_suffix(f".json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(state), indent=2, sort_keys=True), encoding="utf-8")
        os.replace(tmp, target)
