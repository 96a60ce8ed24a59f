"""Quotes through the Quote agent: Sale -> Quote -> QuoteVersion -> QuoteAlternative -> QuoteLine.

Rule: quotes have no REST entity endpoints, only ``POST /api/v1/Agents/Quote/<Method>``
RPCs; this module is the one place that knows those method names and request carriers.
A read yields one ``QuoteTree`` per sale that has a quote, with every alternative and line
carrying the keys of its parents (``QuoteVersionId``, ``QuoteId``, ``SaleId``) so each level
can become its own dataset. Line edits are followed by ``RecalculateQuoteAlternative``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import requests

from sluice.errors import ApiError, AuthError, PermanentError

from .entities import SALE, strip_noise
from .paging import date_after, row_key, time_after
from .watermark import Watermark

if TYPE_CHECKING:
    from sluice.systems.http import Progress

    from .transport import SuperOfficeTransport

AGENT = "Agents/Quote"
Record = dict[str, Any]


@dataclass(frozen=True)
class QuoteTree:
    """One sale's quote, flattened into its levels (plain dicts, noise removed)."""

    sale_id: int
    quote: Record
    versions: list[Record] = field(default_factory=list)
    alternatives: list[Record] = field(default_factory=list)
    lines: list[Record] = field(default_factory=list)


class QuoteAgent:
    """Reads and writes of quote objects for one client (``client.quotes``)."""

    def __init__(self, client: SuperOfficeTransport) -> None:
        self.client = client

    def call(self, method: str, body: Any = None) -> Any:
        """``POST Agents/Quote/<method>``; the decoded answer (None for an empty/null one)."""
        response = self.client.request("POST", f"{AGENT}/{method}", json=body if body is not None else {})
        return _json(response, method)

    # -- reads -----------------------------------------------------------------------------

    def sales_with_quotes(self) -> Iterator[int]:
        """Sale ids whose ``hasQuote`` list column is set, ascending."""
        for row in self.client.list_rows(SALE.path, SALE.list_key, (SALE.list_key, "hasQuote")):
            if _truthy(row.get("hasQuote", True)):
                yield row_key(row, SALE.list_key)

    def changed_sales(self, since: Watermark) -> Iterator[int]:
        """Sales whose quote changed at/after ``since`` (a line edit bumps its quote's ``updated``).

        ``Archive/Dynamic`` ``quote.updated afterTime``; where refused, the date-only FindSale
        column ``quote/updatedDate`` from the day before (repeats are harmless: trees are re-read)."""
        client = self.client
        if client.dynamic_supported is not False:
            rows = client.list_rows(
                "Archive/Dynamic",
                "quote.quote_id",
                ("quote.quote_id", "quote.sale_id", "quote.updated"),
                filter=time_after("quote.updated", since.updated),
            )
            try:
                for row in rows:
                    yield row_key(row, "quote.sale_id")
                return
            except AuthError:
                raise
            except PermanentError:
                client.dynamic_supported = False
        day_before = since.updated.date() - timedelta(days=1)
        where = date_after("quote/updatedDate", day_before)
        for row in client.list_rows(SALE.path, SALE.list_key, (SALE.list_key,), filter=where):
            yield row_key(row, SALE.list_key)

    def read(
        self,
        sale_ids: Iterable[int] | None = None,
        *,
        since: Watermark | None = None,
        progress: Progress | None = None,
    ) -> Iterator[QuoteTree]:
        """The quote tree of each given sale (default: every sale with a quote, or with a quote
        changed since ``since``), trees fetched concurrently."""
        if sale_ids is not None:
            ids: Iterator[int] = iter(sale_ids)
        elif since is not None:
            ids = iter(sorted(set(self.changed_sales(since))))
        else:
            ids = self.sales_with_quotes()
        for tree in self.client.map_concurrent(self.tree, ids):
            if tree is None:
                continue
            yield tree
            if progress:
                progress(1)

    def tree(self, sale_id: int) -> QuoteTree | None:
        """One sale's quote with all versions, alternatives and lines; None without a quote."""
        quote = self.call("GetQuoteEntityFromSaleId", {"SaleId": int(sale_id)})
        if not isinstance(quote, dict) or not quote.get("QuoteId"):
            return None
        versions = quote.pop("QuoteVersions", None)
        if versions is None:
            versions = self.call("GetQuoteVersions", {"QuoteId": quote["QuoteId"]}) or []
        parents = {"QuoteId": quote["QuoteId"], "SaleId": int(sale_id)}
        tree = QuoteTree(sale_id=int(sale_id), quote=quote)
        for version in versions:
            alternatives = version.pop("QuoteAlternatives", None)
            if alternatives is None:
                alternatives = self.call("GetQuoteAlternatives", {"QuoteVersionId": version["QuoteVersionId"]}) or []
            tree.versions.append({**version, **parents})
            for alternative in alternatives:
                alt_parents = {**parents, "QuoteVersionId": version["QuoteVersionId"]}
                tree.alternatives.append({**alternative, **alt_parents})
                lines = self.call("GetQuoteLines", {"QuoteAlternativeId": alternative["QuoteAlternativeId"]}) or []
                for line in lines:
                    tree.lines.append({**line, **alt_parents, "QuoteAlternativeId": alternative["QuoteAlternativeId"]})
        return tree

    def alternative(self, alternative_id: int) -> Record:
        answer = self.call("GetQuoteAlternative", {"QuoteAlternativeId": int(alternative_id)})
        return self._record(answer, "quote alternative")

    def line(self, line_id: int) -> Record:
        return self._record(self.call("GetQuoteLine", {"QuoteLineId": int(line_id)}), "quote line")

    def lines(self, alternative_id: int) -> list[Record]:
        return self.call("GetQuoteLines", {"QuoteAlternativeId": int(alternative_id)}) or []

    # -- writes ----------------------------------------------------------------------------

    def create_quote(self, sale_id: int, first_alternative: str = "Alternative 1", connection_id: int = 0) -> Record:
        """``CreateAndSaveQuote``: quote + first version + first alternative for a sale without one."""
        body = {"SaleId": int(sale_id), "ConnectionId": connection_id, "FirstAlternativeName": first_alternative}
        return self._record(self.call("CreateAndSaveQuote", body), "quote")

    def create_line(self, alternative_id: int, erp_product_key: str, values: Record | None = None) -> Record:
        """``CreateQuoteLine`` (product fields copied by the server), then ``SaveQuoteLine`` with
        ``values`` overlaid when given. The alternative is not recalculated here: call ``recalculate``
        after a batch of line edits."""
        body = {"QuoteAlternativeId": int(alternative_id), "ERPProductKey": erp_product_key}
        line = self._record(self.call("CreateQuoteLine", body), "quote line")
        return self.save_line({**line, **values}) if values else line

    def save_line(self, line: Record) -> Record:
        """``SaveQuoteLine``: the whole line (``QuoteLineId`` 0 inserts)."""
        return self._record(self.call("SaveQuoteLine", {"QuoteLine": line}), "quote line")

    def update_line(self, line_id: int, changes: Record, *, recalculate: bool = True) -> tuple[Record, Record | None]:
        """Read-modify-save one line, then recalculate its alternative; (line, alternative)."""
        line = self.save_line({**self.line(line_id), **changes})
        alternative = self.recalculate(line["QuoteAlternativeId"]) if recalculate else None
        return line, alternative

    def delete_line(self, line_id: int) -> None:
        self.call("DeleteQuoteLine", {"QuoteLineId": int(line_id)})

    def recalculate(self, alternative: int | Record) -> Record:
        """``RecalculateQuoteAlternative`` (the request carries the alternative's id, an int32):
        the alternative with its lines' totals and VAT recomputed."""
        key = alternative["QuoteAlternativeId"] if isinstance(alternative, dict) else alternative
        answer = self.call("RecalculateQuoteAlternative", {"QuoteAlternative": int(key)})
        if isinstance(answer, dict) and isinstance(answer.get("ChangedQuoteAlternative"), dict):
            return answer["ChangedQuoteAlternative"]
        return self._record(answer, "recalculated alternative")

    def save_product(self, product: Record) -> Record:
        """``SaveProduct`` (``ProductId`` 0 inserts): the product register's own write path."""
        return self._record(self.call("SaveProduct", product), "product")

    def default_product(self) -> Record:
        return self._record(self.call("CreateDefaultProduct"), "product")

    def toggle_product_in_assortment(self, product_id: int) -> None:
        """``ToggleProductInAssortment`` ``{"ProductId"}`` (204): flips ``InAssortment``. Not idempotent, so
        callers that want a state use ``products.set_in_assortment`` (read, toggle, verify)."""
        self.call("ToggleProductInAssortment", {"ProductId": int(product_id)})

    @staticmethod
    def _record(value: Any, what: str) -> Record:
        if not isinstance(value, dict):
            raise ApiError(f"Quote agent returned no {what}")
        return value


def _json(response: requests.Response, method: str) -> Any:
    if not response.content or not response.content.strip():
        return None
    try:
        return strip_noise(response.json())
    except ValueError:
        raise ApiError(f"POST {AGENT}/{method}: the answer is not JSON", status=response.status_code) from None


def _truthy(value: Any) -> bool:
    """Archive booleans arrive as JSON booleans, numbers or display text ("True", "1", "Yes")."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "ja")
    return bool(value)
