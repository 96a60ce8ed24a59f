"""Quotes through the Quote agent: Sale -> Quote -> QuoteVersion -> QuoteAlternative -> QuoteLine.

Rule: quotes have no REST entity endpoints, only ``POST /api/v1/Agents/Quote/<Method>``
RPCs; this module is the one place that knows those method names and request carriers, and
where each id goes (the JSON body, except ``GetQuoteAlternative``'s, which is a query parameter).
A read yields one ``QuoteTree`` per sale that has a quote, read whole, with every alternative and
line carrying the keys of its parents (``QuoteVersionId``, ``QuoteId``, ``SaleId``), and hands
back the watermark for the next incremental read. Line and alternative saves leave totals to the
connector: call ``recalculate`` once per touched alternative after them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests

from sluice.errors import ApiError, AuthError, PermanentError, TransientError

from .entities import SALE, strip_noise
from .paging import date_after, row_key, time_after
from .watermark import CLOCK_MARGIN, Watermark, server_time

if TYPE_CHECKING:
    from sluice.systems.http import Progress

    from .transport import SuperOfficeTransport

AGENT = "Agents/Quote"
DYNAMIC = "Archive/Dynamic"
QUOTE_LINES = "Archive/QuoteLine"
LINE_SALE = "alternative/version/quote/sale/saleId"
"""The QuoteLine archive's column naming a line's sale (A-ql)."""
IDS_PER_QUERY = 200
_JITTER = random.Random()
"""Back-off jitter for ``insert_line``'s resends (the transport keeps its own)."""
MASTER_FIELDS = {
    "DiscountPercent": "DiscountPercent",
    "DiscountAmount": "DiscountAmount",
    "EarningPercent": "EarningPercent",
    "EarningAmount": "EarningAmount",
    "TotalPrice": "Total",
}
"""Field -> the ``UserValueOverride`` that makes it the master of the discount and earning fields."""
Record = dict[str, Any]
OnResponse = Callable[[requests.Response], None]


@dataclass(frozen=True)
class QuoteTree:
    """One sale's quote, flattened into its levels (plain dicts, noise removed)."""

    sale_id: int
    quote: Record
    versions: list[Record] = field(default_factory=list)
    alternatives: list[Record] = field(default_factory=list)
    lines: list[Record] = field(default_factory=list)

    @property
    def active_version_id(self) -> int:
        """The active (always the latest) version; its alternatives are the live ones."""
        return int(self.quote.get("ActiveQuoteVersionId") or 0)

    def active_alternatives(self) -> list[Record]:
        return [a for a in self.alternatives if a["QuoteVersionId"] == self.active_version_id]

    def lines_of(self, alternative_id: int) -> list[Record]:
        return [line for line in self.lines if line["QuoteAlternativeId"] == alternative_id]


@dataclass
class QuoteRead:
    """The trees of one read (a lazy, single-pass stream) and the watermark to store after it;
    ``mode`` as on ``ReadResult``: ``full``, ``ids``, ``dynamic`` or ``date``."""

    trees: Iterator[QuoteTree] = field(repr=False)
    since: Watermark | None = None
    mode: str = "full"
    count: int = 0
    _watermark: Watermark | None = field(default=None, repr=False)

    def __iter__(self) -> Iterator[QuoteTree]:
        for tree in self.trees:
            self.count += 1
            yield tree

    @property
    def watermark(self) -> Watermark:
        """The start of the next incremental read: the server clock of the read's first response."""
        if self._watermark is None:
            raise RuntimeError("the watermark is known once the trees have been read")
        return self._watermark

    def on_response(self, response: requests.Response) -> None:
        if self._watermark is None:
            moment = server_time(response.headers.get("Date")) or datetime.now(UTC)
            self._watermark = Watermark(moment - CLOCK_MARGIN)


class QuoteAgent:
    """Reads and writes of quote objects for one client (``client.quotes``)."""

    def __init__(self, client: SuperOfficeTransport) -> None:
        self.client = client

    def call(
        self,
        method: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
        on_response: OnResponse | None = None,
        retry: bool = True,
    ) -> Any:
        """``POST Agents/Quote/<method>``; the decoded answer (None for an empty/null one). A method whose
        id the spec puts in the query string gets ``params`` and no body; ``retry=False``: see ``request``."""
        json = body if body is not None else (None if params else {})
        response = self.client.request("POST", f"{AGENT}/{method}", json=json, params=params, retry=retry)
        if on_response:
            on_response(response)
        return _json(response, method)

    # -- reads -----------------------------------------------------------------------------

    def sales_with_quotes(self, on_response: OnResponse | None = None) -> Iterator[int]:
        """Sale ids whose ``hasQuote`` list column is set, ascending."""
        rows = self.client.list_rows(SALE.path, SALE.list_key, (SALE.list_key, "hasQuote"), on_response=on_response)
        for row in rows:
            if _truthy(row.get("hasQuote", True)):
                yield row_key(row, SALE.list_key)

    def changed_sales(self, since: Watermark, on_response: OnResponse | None = None) -> set[int]:
        """Sales whose header, quote or quote lines changed at/after ``since``: Dynamic ``sale.updated``
        ∪ ``quote.updated`` ∪ the sales of lines with ``quoteline.updated`` (via the QuoteLine archive's
        ``alternative/version/quote/sale/saleId``), all ``afterTime``. Where Dynamic is refused: the
        date-only ``updatedDate`` of FindSale and of the QuoteLine archive, from the day before (repeats
        are harmless: trees are re-read). Deleted lines and alternatives show only as ``quote.updated``;
        the nightly full read catches what neither path sees."""
        if self.client.dynamic_supported is not False:
            try:
                return self._changed_dynamic(since, on_response)
            except AuthError:
                raise
            except PermanentError:
                self.client.dynamic_supported = False
        return self._changed_by_date(since, on_response)

    def _changed_dynamic(self, since: Watermark, on_response: OnResponse | None) -> set[int]:
        sales = set(self._dynamic("sale", "sale_id", "sale_id", since, on_response))
        self.client.dynamic_supported = True
        sales |= set(self._dynamic("quote", "quote_id", "sale_id", since))
        line_ids = sorted(set(self._dynamic("quoteline", "quoteline_id", "quoteline_id", since)))
        for start in range(0, len(line_ids), IDS_PER_QUERY):
            chunk = ", ".join(str(i) for i in line_ids[start : start + IDS_PER_QUERY])
            rows = self.client.list_rows(QUOTE_LINES, "quoteLineId", ("quoteLineId", LINE_SALE),
                                         filter=f"quoteLineId oneOf ({chunk})")  # fmt: skip
            sales |= {row_key(row, LINE_SALE) for row in rows}
        return sales

    def _dynamic(
        self, table: str, key: str, wanted: str, since: Watermark, on_response: OnResponse | None = None
    ) -> Iterator[int]:
        """``table.<wanted>`` of the rows with ``table.updated afterTime since``."""
        columns = (f"{table}.{key}", f"{table}.{wanted}", f"{table}.updated")
        filter = time_after(f"{table}.updated", since.updated)
        for row in self.client.list_rows(DYNAMIC, columns[0], columns, filter=filter, on_response=on_response):
            yield row_key(row, columns[1])

    def _changed_by_date(self, since: Watermark, on_response: OnResponse | None) -> set[int]:
        day_before = since.updated.date() - timedelta(days=1)
        rows = self.client.list_rows(SALE.path, SALE.list_key, (SALE.list_key,),
                                     filter=date_after("updatedDate", day_before), on_response=on_response)  # fmt: skip
        sales = {row_key(row, SALE.list_key) for row in rows}
        lines = self.client.list_rows(QUOTE_LINES, "quoteLineId", ("quoteLineId", LINE_SALE),
                                      filter=date_after("updatedDate", day_before))  # fmt: skip
        return sales | {row_key(row, LINE_SALE) for row in lines}

    def read(
        self,
        sale_ids: Iterable[int] | None = None,
        *,
        since: Watermark | None = None,
        progress: Progress | None = None,
    ) -> QuoteRead:
        """The quote tree of each given sale (default: every sale with a quote, or each sale whose header,
        quote or lines changed since ``since``), trees fetched concurrently; a sale without a quote yields
        nothing. ``.watermark`` is known once the first tree or list page arrived."""
        result = QuoteRead(trees=iter(()), since=since, mode="ids" if sale_ids is not None else "full")
        result.trees = self._trees(result, sale_ids, since, progress)
        return result

    def _trees(
        self, result: QuoteRead, sale_ids: Iterable[int] | None, since: Watermark | None, progress: Progress | None
    ) -> Iterator[QuoteTree]:
        if sale_ids is not None:
            ids: Iterator[int] = iter(sale_ids)
        elif since is not None:
            ids = iter(sorted(self.changed_sales(since, result.on_response)))
            result.mode = "dynamic" if self.client.dynamic_supported else "date"
        else:
            ids = self.sales_with_quotes(result.on_response)
        fetch = lambda sale_id: self.tree(sale_id, result.on_response)  # noqa: E731
        for tree in self.client.map_concurrent(fetch, ids):
            if tree is None:
                continue
            yield tree
            if progress:
                progress(1)

    def tree(self, sale_id: int, on_response: OnResponse | None = None) -> QuoteTree | None:
        """One sale's quote with all versions, alternatives and lines; None without a quote."""
        quote = self.call("GetQuoteEntityFromSaleId", {"SaleId": int(sale_id)}, on_response=on_response)
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
                for line in self.lines(alternative["QuoteAlternativeId"]):
                    tree.lines.append({**line, **alt_parents, "QuoteAlternativeId": alternative["QuoteAlternativeId"]})
        return tree

    def alternative(self, alternative_id: int) -> Record:
        """``GetQuoteAlternative?quoteAlternativeId=`` (the only id the spec puts in the query string)."""
        answer = self.call("GetQuoteAlternative", params={"quoteAlternativeId": int(alternative_id)})
        return self._record(answer, "quote alternative")

    def line(self, line_id: int) -> Record:
        return self._record(self.call("GetQuoteLine", {"QuoteLineId": int(line_id)}), "quote line")

    def lines(self, alternative_id: int) -> list[Record]:
        return self.call("GetQuoteLines", {"QuoteAlternativeId": int(alternative_id)}) or []

    def line_by_erp_key(self, alternative_id: int, erp_line_key: str) -> Record | None:
        """The alternative's line stamped with ``ERPQuoteLineKey`` (how a retry finds a line it created)."""
        return next((x for x in self.lines(alternative_id) if x.get("ERPQuoteLineKey") == erp_line_key), None)

    # -- writes ----------------------------------------------------------------------------

    def create_quote(self, sale_id: int, first_alternative: str = "Alternative 1", connection_id: int = 0) -> Record:
        """``CreateAndSaveQuote``: quote + first version + first alternative for a sale without one."""
        body = {"SaleId": int(sale_id), "ConnectionId": connection_id, "FirstAlternativeName": first_alternative}
        return self._record(self.call("CreateAndSaveQuote", body), "quote")

    def save_alternative(self, alternative: Record) -> Record:
        """``SaveQuoteAlternative`` with the bare carrier (``QuoteAlternativeId`` 0 inserts); totals follow on
        ``recalculate``."""
        return self._record(self.call("SaveQuoteAlternative", alternative), "quote alternative")

    def update_alternative(self, alternative_id: int, changes: Record) -> Record:
        """Read-modify-save the alternative (name, description, discount); a changed discount or earning
        field becomes the ``UserValueOverride`` master unless ``changes`` names one."""
        return self.save_alternative({**self.alternative(alternative_id), **with_override(changes)})

    def create_line(
        self, alternative_id: int, erp_product_key: str, values: Record | None = None, *, erp_line_key: str = ""
    ) -> Record:
        """A new line: ``CreateQuoteLine`` (product fields copied by the server), then ``SaveQuoteLine`` with
        ``values`` and ``ERPQuoteLineKey`` overlaid; a blank ``erp_product_key`` makes a free-text line (one
        ``SaveQuoteLine`` with id 0). If the second step fails the half-made line is deleted. The alternative
        is not recalculated here: call ``recalculate`` after a batch of line edits."""
        changes = {**with_override(values or {}), **({"ERPQuoteLineKey": erp_line_key} if erp_line_key else {})}
        if not erp_product_key:
            line = {"QuoteLineId": 0, "QuoteAlternativeId": int(alternative_id), "ERPProductKey": "", **changes}
            return self.insert_line(line) if erp_line_key else self.save_line(line)
        body = {"QuoteAlternativeId": int(alternative_id), "ERPProductKey": erp_product_key}
        line = self._record(self.call("CreateQuoteLine", body), "quote line")
        if not changes:
            return line
        try:
            return self.save_line({**line, **changes})
        except Exception:
            self.delete_line(line["QuoteLineId"])
            raise

    def ensure_line(self, alternative_id: int, erp_line_key: str, erp_product_key: str, values: Record) -> Record:
        """Idempotent ``create_line``: the line stamped ``erp_line_key`` if a lost answer already made it
        (updated with ``values``), else a new one. SuperOffice has no idempotency keys; this is the stand-in."""
        if not erp_line_key:
            raise ValueError("ensure_line needs an ERPQuoteLineKey to look the line up by")
        found = self.line_by_erp_key(alternative_id, erp_line_key)
        if found is not None:
            return self.save_line({**found, **with_override(values)})
        return self.create_line(alternative_id, erp_product_key, values, erp_line_key=erp_line_key)

    def insert_line(self, line: Record) -> Record:
        """``SaveQuoteLine`` with id 0 for a line stamped ``ERPQuoteLineKey``, making at most one line. SuperOffice
        has no idempotency keys: a resend after a lost answer (the insert applied) made a second line with the same
        key (soak seed 20261203; the line pipe then refused its duplicate ``_id`` on every run). So a failed send
        is never resent blindly: the alternative is read for the stamp first, and the insert sent again only when
        no line holds it."""
        key, alternative = line["ERPQuoteLineKey"], int(line["QuoteAlternativeId"])
        policy, attempt = self.client.retry, 0
        while True:
            try:
                return self._record(self.call("SaveQuoteLine", {"QuoteLine": line}, retry=False), "quote line")
            except TransientError as exc:
                attempt += 1
                if attempt >= policy.attempts:
                    raise
                found = self.line_by_erp_key(alternative, key)  # a read: retried as usual
                if found is not None:
                    return found
                time.sleep(policy.delay(attempt - 1, exc.retry_after, _JITTER))

    def save_line(self, line: Record) -> Record:
        """``SaveQuoteLine``: the whole line (``QuoteLineId`` 0 inserts)."""
        return self._record(self.call("SaveQuoteLine", {"QuoteLine": line}), "quote line")

    def update_line(self, line_id: int, changes: Record, *, recalculate: bool = True) -> tuple[Record, Record | None]:
        """Read-modify-save one line, then (by default) recalculate its alternative and re-read the line, whose
        totals the connector computes on the recalculation; (line, alternative)."""
        line = self.save_line({**self.line(line_id), **with_override(changes)})
        if not recalculate:
            return line, None
        alternative = self.recalculate(line["QuoteAlternativeId"])
        return self.line(line_id), alternative

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


def with_override(changes: Record) -> Record:
    """``changes`` with ``UserValueOverride`` naming the one discount or earning field it sets (the spec: the
    override "must be set to the field the user actually changed last"); as given when it names one itself
    or sets none or several."""
    masters = [MASTER_FIELDS[name] for name in changes if name in MASTER_FIELDS]
    if "UserValueOverride" in changes or len(masters) != 1:
        return changes
    return {**changes, "UserValueOverride": masters[0]}


def _truthy(value: Any) -> bool:
    """Archive booleans arrive as JSON booleans, numbers or display text ("True", "1", "Yes")."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "ja")
    return bool(value)
