"""The sinks of a flow whose records are the lines of a parent (quote lines <-> order lines).

Rule: the engine plans line by line; these sinks send a run's line changes parent by parent, so a shop order
gets ONE PATCH with its whole merged line list and a quote alternative ONE recalculation, whatever number of its
lines moved. Both take every change in one ``apply_batch`` (``batch_size`` unbounded), group them by parent and
write the parents concurrently. What a change needs besides its fields (its order, alternative, quote line id)
comes from the flow's mapped datasets, the ``sync_*`` columns of its pipes, read by id.

Shop: the PATCH names every line it keeps by ``id`` (an untouched line is ``{"id"}``, merged by the shop, so a
line added in the shop since the pull is never dropped: a stale version is a 412), new lines without ``id``
stamped ``external_refs.superoffice_quoteline_id``, removed lines left out; ``If-Match`` is the order's pulled
version. On a 412 the order is read again and the list rebuilt from it; a line the shop edited since the pull in a
field this run changes is refused (retried next run, after a fresh pull), never overwritten, and a new line the
order already holds (a lost answer) is adopted, never added twice.

SuperOffice: through the Quote agent, per alternative: line saves (the line re-read first and refused, 412-style,
if a field this run changes moved since the pull: quote lines have no timestamps), creates (looked up by
``ERPQuoteLineKey`` first, then ONE ``SaveQuoteLine`` with id 0 carrying that key and the values: a
``CreateQuoteLine`` + ``SaveQuoteLine`` pair would leave an unstamped line behind when the first answer is lost, and
its retry a duplicate; a failed insert is resent only after a look-up by that key, ``QuoteAgent.insert_line``),
deletes (a line already gone is done), then one ``RecalculateQuoteAlternative``. A failed recalculation fails the
alternative's edits and deletes (redone next run, which recalculates) but not its creates: the line exists, and
unlinked it would be matched next run with no agreed state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from decimal import Decimal
from typing import Any

from sluice.datasets import DatasetStore
from sluice.errors import NotFoundError, PreconditionFailed, SluiceError
from sluice.sync.merge import normalize, unflatten
from sluice.sync.model import Change
from sluice.sync.sinks import Sink
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.customwebshop.client import as_decimals
from sluice.systems.superoffice import SuperOfficeClient
from sluice.systems.superoffice.quotes import with_override

Answer = dict[str, Any] | Exception
Row = dict[str, Any]
UNBOUNDED = 1 << 30
"""A run's line changes all go to one ``apply_batch``, which groups them by parent."""


def rows_by(store: DatasetStore, dataset: str, column: str, values: Iterable[Any]) -> list[Row]:
    """The current rows of ``dataset`` whose ``column`` is one of ``values`` (none when it does not exist yet)."""
    wanted = sorted({v for v in values if v is not None}, key=str)
    if not wanted or not store.exists(dataset):
        return []
    cur = store.con.cursor()
    try:
        sql = f"SELECT * FROM ({store.current_sql(dataset)}) WHERE {column} IN (SELECT unnest(?))"
        return _records(cur, sql, wanted)
    finally:
        cur.close()


def _records(cur: Any, sql: str, wanted: list[Any]) -> list[Row]:
    cur.execute(sql, [wanted])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _by_id(rows: list[Row]) -> dict[str, Row]:
    return {str(row["_id"]): row for row in rows}


def _each(concurrency: int, work: Callable[[Any], None], items: list[Any]) -> None:
    if concurrency <= 1 or len(items) <= 1:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="line-sink") as pool:
        list(pool.map(work, items))


class OrderLinesSink(Sink):
    """Order lines: one ``PATCH /orders/{id}`` per order with the whole merged line list, ``If-Match``."""

    batch_size = UNBOUNDED

    def __init__(
        self,
        client: CustomwebshopClient,
        store: DatasetStore,
        *,
        a_dataset: str,
        b_dataset: str,
        orders_dataset: str,
        product_link: str,
        concurrency: int = 4,
    ) -> None:
        super().__init__(concurrency)
        self.name = "customwebshop.orders.lines"
        self.client = client
        self.store = store
        self.a_dataset, self.b_dataset, self.orders_dataset = a_dataset, b_dataset, orders_dataset
        self.product_link = product_link

    def batchable(self, change: Change) -> bool:
        return True

    def apply_batch(self, changes: list[Change]) -> list[Answer]:
        a_rows = _by_id(rows_by(self.store, self.a_dataset, "_id", [c.a_id for c in changes]))
        b_rows = _by_id(rows_by(self.store, self.b_dataset, "_id", [c.b_id for c in changes]))
        answers: list[Answer] = [NotFoundError("the line's order is not known", status=404)] * len(changes)
        by_order: dict[int, list[int]] = defaultdict(list)
        for n, change in enumerate(changes):
            row = b_rows.get(change.b_id or "") or a_rows.get(change.a_id)
            if row is not None and row.get("sync_order") is not None:
                by_order[int(row["sync_order"])].append(n)
        pulled = {int(r["id"]): r for r in rows_by(self.store, self.orders_dataset, "id", by_order)}
        products = self._products(changes)

        def send(order_id: int) -> None:
            group = [changes[n] for n in by_order[order_id]]
            for n, answer in zip(by_order[order_id], self._order(order_id, group, pulled.get(order_id), b_rows,
                                                                 products), strict=True):  # fmt: skip
                answers[n] = answer

        _each(self.concurrency, send, sorted(by_order))
        return answers

    def _products(self, changes: list[Change]) -> dict[str, str]:
        """SuperOffice ProductId -> shop product id, for the lines that name one (merged in SuperOffice's ids)."""
        ids = [str(c.fields["product_id"]) for c in changes if c.fields.get("product_id") is not None]
        rows = rows_by(self.store, self.product_link, "a_id", ids)
        return {str(r["a_id"]): str(r["b_id"]) for r in rows if r.get("status") == "active"}

    def _order(
        self,
        order_id: int,
        changes: list[Change],
        pulled: Row | None,
        b_rows: Mapping[str, Row],
        products: dict[str, str],
    ) -> list[Answer]:
        """Send one order's line changes; on a 412 read the order again and rebuild once."""
        lines = list((pulled or {}).get("lines") or [])
        version = int(pulled["version"]) if pulled and pulled.get("version") is not None else 1  # new: version 1
        try:
            return self._patch(order_id, changes, lines, version, None, products)
        except PreconditionFailed:
            pass
        except SluiceError as exc:
            return [exc] * len(changes)
        try:
            fresh = self.client.get("orders", order_id)
            return self._patch(order_id, changes, fresh.get("lines") or [], int(fresh["version"]), b_rows, products)
        except SluiceError as exc:
            return [exc] * len(changes)

    def _patch(
        self,
        order_id: int,
        changes: list[Change],
        lines: list[Row],
        version: int,
        pulled: Mapping[str, Row] | None,
        products: dict[str, str],
    ) -> list[Answer]:
        """The whole line list for ``lines`` with ``changes`` applied, sent with ``If-Match: version``. ``pulled``
        (on a re-read): the lines as the plan saw them; a line edited since in a field a change sets is refused."""
        answers: dict[int, Answer] = {}
        current = {str(line["id"]): line for line in lines}
        by_ref = {str((line.get("external_refs") or {}).get("superoffice_quoteline_id")): line for line in lines}
        removed = {c.b_id for c in changes if c.op == "deactivate"}
        updates: dict[str, dict[str, Any]] = {}
        for n, c in enumerate(changes):
            if c.op == "deactivate":
                answers[n] = {}
            elif c.op == "update":
                line = current.get(c.b_id or "")
                if line is None:
                    answers[n] = NotFoundError(f"order {order_id} has no line {c.b_id} any more", status=404)
                elif pulled is not None and self._holds(line, c.fields):  # an earlier attempt's, answer lost
                    answers[n] = line
                elif pulled is not None and self._moved(line, pulled.get(c.b_id or ""), c.fields):
                    answers[n] = PreconditionFailed(f"line {c.b_id} of order {order_id} changed since", status=412)
                else:
                    updates[c.b_id or ""] = self._body(c.fields, products)
            elif c.a_id in by_ref:  # a create an earlier attempt made already
                answers[n] = by_ref[c.a_id]
        elements = [{"id": line["id"], **updates.get(str(line["id"]), {})} for line in lines
                    if str(line["id"]) not in removed]  # fmt: skip
        new = [n for n, c in enumerate(changes) if c.op == "create" and n not in answers]
        elements += [self._body(changes[n].fields, products) for n in new]
        if not updates and not new and not (removed & set(current)):
            return [answers[n] for n in range(len(changes))]
        order = self.client.update("orders", order_id, {"lines": as_decimals(elements)}, if_match=version)
        stored = order.get("lines") or []
        refs = {str((x.get("external_refs") or {}).get("superoffice_quoteline_id")): x for x in stored}
        ids = {str(x["id"]): x for x in stored}
        for n, c in enumerate(changes):
            if n in answers:
                continue
            found = refs.get(c.a_id) if c.op == "create" else ids.get(c.b_id or "")
            answers[n] = found if found is not None else NotFoundError(f"order {order_id}: line not in the answer")
        return [answers[n] for n in range(len(changes))]

    @staticmethod
    def _holds(line: Row, fields: Mapping[str, Any]) -> bool:
        """Whether ``line`` holds every value the change sets already."""
        return all(_close(line.get(name), value) for name, value in fields.items() if "." not in name)

    @staticmethod
    def _moved(line: Row, seen: Row | None, fields: Mapping[str, Any]) -> bool:
        """Whether the shop changed, since the pull, a field of ``line`` the change sets."""
        if seen is None:
            return True
        return any(not _close(line.get(name), seen.get(name)) for name in fields if "." not in name)

    def _body(self, fields: Mapping[str, Any], products: dict[str, str]) -> dict[str, Any]:
        body = unflatten(dict(fields))
        if "product_id" in body:
            product = body.pop("product_id")
            if product is None or str(product) in products:
                body["product_id"] = None if product is None else int(products[str(product)])
        return body

    def new_id(self, change: Change, record: dict[str, Any]) -> str | None:
        return str(record["id"]) if change.op == "create" and "id" in record else change.b_id

    def describe(self, change: Change) -> dict[str, Any]:
        return {"method": "PATCH", "path": "/api/v1/orders/{order}", "line": change.b_id, "op": change.op,
                "fields": change.fields}  # fmt: skip


class QuoteLinesSink(Sink):
    """Quote lines through the Quote agent: saves, creates and deletes, then one recalculation per alternative."""

    batch_size = UNBOUNDED

    def __init__(
        self,
        client: SuperOfficeClient,
        store: DatasetStore,
        *,
        a_dataset: str,
        b_dataset: str,
        carrier_fields: Mapping[str, str],
        concurrency: int = 4,
    ) -> None:
        """``carrier_fields``: a line field in the shop's vocabulary -> its ``QuoteLine`` carrier field."""
        super().__init__(concurrency)
        self.name = "superoffice.quoteline"
        self.client = client
        self.store = store
        self.a_dataset, self.b_dataset = a_dataset, b_dataset
        self.carrier_fields = dict(carrier_fields)

    def batchable(self, change: Change) -> bool:
        return True

    def apply_batch(self, changes: list[Change]) -> list[Answer]:
        a_rows = _by_id(rows_by(self.store, self.a_dataset, "_id", [c.a_id for c in changes]))
        b_rows = _by_id(rows_by(self.store, self.b_dataset, "_id", [c.b_id for c in changes if c.op == "create"]))
        answers: list[Answer] = [NotFoundError("the line's quote alternative is not known", status=404)] * len(changes)
        by_alternative: dict[int, list[int]] = defaultdict(list)
        for n, change in enumerate(changes):
            row = b_rows.get(change.b_id or "") if change.op == "create" else a_rows.get(change.a_id)
            if row is not None and row.get("sync_alternative") is not None:
                by_alternative[int(row["sync_alternative"])].append(n)

        def send(alternative: int) -> None:
            done = []
            for n in by_alternative[alternative]:
                change = changes[n]
                row = b_rows.get(change.b_id or "") if change.op == "create" else a_rows[change.a_id]
                try:
                    answers[n] = self._one(alternative, change, row)
                    done.append(n)
                except SluiceError as exc:
                    answers[n] = exc
            if done:
                try:
                    self.client.quotes.recalculate(alternative)
                except SluiceError as exc:  # the lines are written, the totals stale: the next write recalculates
                    for n in done:  # an edit or delete is redone next run (and recalculates); a made line stands:
                        if changes[n].op != "create":  # failed, it went unlinked, and the next run matched it
                            answers[n] = exc  # with no agreed state, overwriting a shop edit (soak seed 40011)

        _each(self.concurrency, send, sorted(by_alternative))
        return answers

    def _one(self, alternative: int, change: Change, row: Row) -> dict[str, Any]:
        quotes = self.client.quotes
        if change.op == "create":  # one SaveQuoteLine (id 0) with the key: no half-made line a lost answer strands
            found = quotes.line_by_erp_key(alternative, change.a_id)
            values = with_override(self._carrier(change.fields))
            if found is not None:
                return quotes.save_line({**found, **values})
            product = str(row.get("sync_erp_product_key") or "")
            return quotes.insert_line({"QuoteLineId": 0, "QuoteAlternativeId": alternative, "ERPProductKey": product,
                                       "ERPQuoteLineKey": change.a_id, **values})  # fmt: skip
        line_id = int(row["sync_quoteline"])
        if change.op == "delete":
            with suppress(NotFoundError):  # gone already: an earlier attempt whose answer was lost
                quotes.delete_line(line_id)
            return {}
        fresh = quotes.line(line_id)
        for name in change.fields:
            carrier = self.carrier_fields[name]
            if not _close(fresh.get(carrier), row.get(name)):
                raise PreconditionFailed(f"quote line {line_id}: {carrier} changed since it was read", status=412)
        return quotes.save_line({**fresh, **with_override(self._carrier(change.fields))})

    def _carrier(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The shop-vocabulary fields as ``QuoteLine`` carrier values (numbers as doubles, texts as text)."""
        out: dict[str, Any] = {}
        for name, value in fields.items():
            carrier = self.carrier_fields.get(name)
            if carrier is None or value is None:
                continue
            out[carrier] = value if isinstance(value, str) else float(value) if carrier != "Rank" else int(value)
        return out

    def describe(self, change: Change) -> dict[str, Any]:
        method = {"create": "CreateQuoteLine", "delete": "DeleteQuoteLine"}.get(change.op, "SaveQuoteLine")
        return {"method": "POST", "path": f"/api/v1/Agents/Quote/{method}", "line": change.a_id,
                "fields": change.fields}  # fmt: skip


def _close(current: Any, seen: Any) -> bool:
    """A value as a system holds it now and as the pipe read it (numbers rounded to 2 or 3 places, the shop's as
    text): the same when equal as numbers within the pipe's rounding, or equal as text."""
    try:
        if current is None or seen is None:
            return current is None and seen is None
        return abs(Decimal(str(current)) - Decimal(str(seen))) <= Decimal("0.005")
    except ArithmeticError:
        return normalize(current) == normalize(seen)
