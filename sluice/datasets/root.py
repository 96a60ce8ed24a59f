"""Where datasets live when nobody says: ``--root``, else ``$SLUICE_DATASETS``, else ``./datasets``.

Rule: the one place that resolves the root, so the CLI, the demo and the flows agree.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SLUICE_DATASETS"


def resolve_root(root: str | Path | None = None) -> Path:
    if root:
        return Path(root)
    from_env = os.environ.get(ENV_VAR)
    return Path(from_env) if from_env else Path("datasets")
