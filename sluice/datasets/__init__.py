"""Datasets: append-only entity logs in plain Parquet, with change detection on write."""

from sluice.datasets.batch import read_jsonl
from sluice.datasets.breaker import BreakerLimits
from sluice.datasets.canonical import canonical, entity_hash
from sluice.datasets.models import CompactStats, DatasetInfo, WriteStats
from sluice.datasets.root import resolve_root
from sluice.datasets.store import DatasetStore

__all__ = [
    "BreakerLimits",
    "CompactStats",
    "DatasetInfo",
    "DatasetStore",
    "WriteStats",
    "canonical",
    "entity_hash",
    "read_jsonl",
    "resolve_root",
]
