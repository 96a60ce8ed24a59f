"""The ``superoffice_quote`` stream: one row per sale holding its quote's active version whole.

Rule: a changed sale's tree is read whole and stored as one row (its active version's alternatives and
lines as lists), so a re-read replaces the tree at once: a deleted line or alternative is a changed row,
never a missing tombstone. Changed sales come from ``QuoteAgent.read`` (``changed_sales``); a full read
lists every sale with a quote, so a deleted sale or quote leaves the dataset there (nightly full pull).
Only the fields the pipes read are kept, so the row's schema is the declared one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .quotes import QuoteTree

if TYPE_CHECKING:
    from sluice.systems.http import Progress

    from .client import SuperOfficeClient
    from .watermark import Watermark

ALTERNATIVE_FIELDS = (
    "QuoteAlternativeId", "Name", "Description", "DiscountPercent", "DiscountAmount", "VAT", "SubTotal", "TotalPrice",
)  # fmt: skip
LINE_FIELDS = (
    "QuoteLineId", "QuoteAlternativeId", "ERPProductKey", "ERPQuoteLineKey", "Code", "Name", "Quantity",
    "UnitListPrice", "DiscountPercent", "VAT", "TotalPrice", "Rank",
)  # fmt: skip


def quote_row(tree: QuoteTree) -> dict[str, Any]:
    """The active version of one sale's quote: its id and state, the favourite alternative, the
    alternatives (by id, the order that gives each its ordinal) and their lines."""
    active = int(tree.quote.get("ActiveQuoteVersionId") or 0)
    version = next((v for v in tree.versions if int(v.get("QuoteVersionId") or 0) == active), {})
    alternatives = sorted(
        (a for a in tree.alternatives if int(a.get("QuoteVersionId") or 0) == active),
        key=lambda a: int(a["QuoteAlternativeId"]),
    )
    ids = {int(a["QuoteAlternativeId"]) for a in alternatives}
    lines = sorted(
        (line for line in tree.lines if int(line.get("QuoteAlternativeId") or 0) in ids),
        key=lambda line: (int(line.get("Rank") or 0), int(line["QuoteLineId"])),
    )
    likely = int(version.get("LikelyQuoteAlternativeId") or 0)
    favorite = likely if likely in ids else (min(ids) if ids else None)
    return {
        "SaleId": tree.sale_id,
        "QuoteId": int(tree.quote["QuoteId"]),
        "ActiveQuoteVersionId": active,
        "VersionState": version.get("State"),
        "FavoriteQuoteAlternativeId": favorite,
        "Alternatives": [{k: a.get(k) for k in ALTERNATIVE_FIELDS} for a in alternatives],
        "Lines": [{k: line.get(k) for k in LINE_FIELDS} for line in lines],  # by rank: the order's line order
    }


class QuoteRows:
    """A read of quote trees as rows; ``watermark`` is the read's (None where the client yields none)."""

    def __init__(self, trees: Any) -> None:
        self.trees = trees

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for tree in self.trees:
            yield quote_row(tree)

    @property
    def watermark(self) -> Any:
        """The read's watermark; None when the client hands back none (or learnt none: nothing answered)."""
        try:
            return getattr(self.trees, "watermark", None)
        except RuntimeError:
            return None


def read_quote_rows(client: SuperOfficeClient, since: Watermark | str | None, progress: Progress | None) -> QuoteRows:
    """Every sale's quote row (``since`` None), or those of the sales changed since the watermark."""
    return QuoteRows(client.read_quotes(since=since, progress=progress))
