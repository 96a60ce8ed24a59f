"""The Customwebshop client: reads change feeds with watermarks, writes idempotently, batches."""

from sluice.systems.customwebshop.batch import BatchItemResult
from sluice.systems.customwebshop.client import CustomwebshopClient, derive_key, existing_id, wire
from sluice.systems.customwebshop.feed import ReadResult, Watermark
from sluice.systems.customwebshop.schemas import DATASET_SCHEMAS

__all__ = [
    "DATASET_SCHEMAS",
    "BatchItemResult",
    "CustomwebshopClient",
    "ReadResult",
    "Watermark",
    "derive_key",
    "existing_id",
    "wire",
]
