"""Where datasets live when nobody says: ``--root``, else ``$SLUICE_DATASETS``, else ``./datasets``.

Rule: the one place that resolves the root, so the CLI, the demo and the flows agree. An
``s3://bucket/prefix`` root stays a string (a ``Path`` would fold its ``//``).
"""

from __future__ import annotations

import os
from pathlib import Path

from sluice.datasets.storage import is_s3

ENV_VAR = "SLUICE_DATASETS"


def resolve_root(root: str | Path | None = None) -> Path | str:
    chosen = root or os.environ.get(ENV_VAR) or "datasets"
    return str(chosen) if is_s3(chosen) else Path(chosen)
