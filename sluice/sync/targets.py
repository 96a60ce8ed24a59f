"""The concrete sinks: how a change in the common (shop) vocabulary becomes a request.

Rule: a sink only shapes requests and reads answers (``SINKS`` gives each system its sink); the
loop, concurrency, retries and dead letters are ``Sink.push``'s. Creates carry an idempotency key derived from the
SuperOffice id, and a create whose earlier attempt may have landed looks the record up by
its external reference first, so a retry never makes a duplicate. Shop creates go ``batch_size`` to a
request through the batch endpoint (``sluice.sync.batching``), each item with that same key and look-up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sluice.datasets import DatasetStore
from sluice.errors import ConfigError, NotFoundError, PreconditionFailed
from sluice.sync.batching import create_many
from sluice.sync.dataflow import Dataflow
from sluice.sync.merge import unflatten
from sluice.sync.model import Change
from sluice.sync.sinks import Sink
from sluice.systems.customwebshop import CustomwebshopClient
from sluice.systems.customwebshop.batch import MAX_BATCH
from sluice.systems.customwebshop.client import as_decimals
from sluice.systems.registry import stream
from sluice.systems.superoffice import SuperOfficeClient
from sluice.systems.superoffice.entities import entity
from sluice.systems.superoffice.watermark import parse_timestamp


class CustomwebshopSink(Sink):
    """Creates, merge-patches and deactivates records of one shop resource; ``batch_size=1`` creates one by one."""

    def __init__(
        self,
        client: CustomwebshopClient,
        resource: str,
        ref_key: str,
        *,
        concurrency: int = 4,
        batch_size: int = MAX_BATCH,
    ) -> None:
        super().__init__(concurrency)
        self.name = f"customwebshop.{resource}"
        self.client = client
        self.resource = resource
        self.ref_key = ref_key
        self.batch_size = max(1, min(batch_size, MAX_BATCH))

    def batchable(self, change: Change) -> bool:
        return change.op == "create"  # updates keep their If-Match, which batch items cannot carry

    def apply_batch(self, changes: list[Change]) -> list[dict[str, Any] | Exception]:
        return create_many(self.client, self.resource, self.ref_key, changes, self.idempotency_key, self.body)

    @staticmethod
    def body(change: Change) -> dict[str, Any]:
        """The request body of a change: its fields nested, floats as the shop's decimals."""
        return as_decimals(unflatten(change.fields))

    def apply(self, change: Change) -> dict[str, Any]:
        body = self.body(change)
        if change.op == "create":
            if change.lookup_first:
                found = self.client.find_by_external_ref(self.resource, self.ref_key, change.a_id)
                if found:  # an earlier run's create landed: adopt it, brought up to today's values
                    return self.client.update(self.resource, int(found[0]["id"]), body)
            return self.client.create(self.resource, body, idempotency_key=self.idempotency_key(change))
        assert change.b_id is not None
        if_match = int(change.version) if change.version not in (None, "") else None
        return self.client.update(self.resource, int(change.b_id), body, if_match=if_match)

    def idempotency_key(self, change: Change) -> str:
        key = f"sluice:{self.resource}:{self.ref_key}:{change.a_id}"
        return f"{key}:replaces:{change.replaces}" if change.replaces else key

    def new_id(self, change: Change, record: dict[str, Any]) -> str | None:
        return str(record["id"]) if change.op == "create" else change.b_id

    def describe(self, change: Change) -> dict[str, Any]:
        path = f"/api/v1/{self.resource}" + ("" if change.op == "create" else f"/{change.b_id}")
        if self.batch_size > 1 and self.batchable(change):
            path += "/batch"  # the body is then the change's item of the batch
        return {"method": "POST" if change.op == "create" else "PATCH", "path": path, "body": unflatten(change.fields)}


class SuperOfficeSink(Sink):
    """Read-modify-write of SuperOffice carriers, guarded by ``If-Unmodified-Since``.

    ``version`` on a change is the ``UpdatedDate`` the merge saw; a carrier updated after it
    was changed by someone else since the pull: the sink refuses (412 semantics) and the next
    run re-reads and merges again, so nothing is overwritten.
    """

    def __init__(
        self,
        client: SuperOfficeClient,
        entity: str,
        write_back: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]],
        *,
        concurrency: int = 4,
        guard: tuple[str, ...] = (),
        pulled: Callable[[int], dict[str, Any] | None] | None = None,
        key: Callable[[str], int] = int,
        patch: bool = False,
    ) -> None:
        super().__init__(concurrency)
        self.name = f"superoffice.{entity}"
        self.client = client
        self.entity = entity
        self.write_back = write_back
        self.guard = guard
        self.pulled = pulled
        self.key = key
        self.patch = patch

    def apply(self, change: Change) -> dict[str, Any]:
        key = self.key(change.a_id)
        if self.guard:
            return self._compare_and_set(key, change)
        carrier = self.client.get_carrier(self.entity, key)
        if carrier is None:
            raise NotFoundError(f"SuperOffice {self.entity} {key} no longer exists", status=404)
        seen = parse_timestamp(change.version) if change.version else None
        current = parse_timestamp(carrier.get("UpdatedDate"))
        if seen is not None and current is not None and current > seen:
            raise PreconditionFailed(
                f"SuperOffice {self.entity} {key} changed at {current.isoformat()} after it was read", status=412
            )
        updated = self.write_back(carrier, change.fields)
        if self.patch:  # only the fields the setters changed, so a PATCH never rewrites the rest of the carrier
            changes = {k: v for k, v in updated.items() if carrier.get(k) != v}
            return self.client.update(self.entity, key, changes, unmodified_since=seen or current, method="PATCH")
        return self.client.replace(self.entity, updated, unmodified_since=seen or current)

    def _compare_and_set(self, key: int, change: Change) -> dict[str, Any]:
        """No timestamp to guard the PUT: the setters write into the record as pulled, and the client re-reads
        the product and refuses (412 semantics) when a ``guard`` field moved since; else it PUTs the changes."""
        assert self.pulled is not None
        pulled = self.pulled(key)
        if pulled is None:
            raise NotFoundError(f"SuperOffice {self.entity} {key} is not in the pulled dataset", status=404)
        updated = self.write_back(pulled, change.fields)
        changes = {k: v for k, v in updated.items() if k not in pulled or pulled[k] != v}
        expected = {k: pulled.get(k) for k in self.guard}
        return self.client.update_product_if_unchanged(key, expected, changes)

    def describe(self, change: Change) -> dict[str, Any]:
        path = f"/api/v1/{self.entity.capitalize()}/{self.key(change.a_id)}"
        return {"method": "PATCH" if self.patch else "PUT", "path": path, "changes": change.fields}


def superoffice_sink(flow: Dataflow, client: SuperOfficeClient, store: DatasetStore, settings: Any) -> Sink:
    """Side a: the flow's setters write shop-side changes into the carrier (lookups built once per run)."""
    decl = flow.declaration
    if decl is None or decl.write_back is None:
        raise ConfigError(f"flow {flow.name}: declares no write_back for {flow.a_system}.{flow.a_entity}")
    write_back, lookups = decl.write_back, decl.lookups(store, flow.settings) if decl.lookups else None
    if entity(flow.a_entity).carrier_updated is None and not decl.guard:
        raise ConfigError(
            f"flow {flow.name}: SuperOffice {flow.a_entity} has no timestamps; declare guard (the fields to "
            "compare before a write-back), or its write-back would be a blind PUT"
        )
    side = stream(decl.a)
    pulled = _pulled(store, side.dataset, side.id_prefix) if decl.guard else None
    return SuperOfficeSink(
        client, flow.a_entity, lambda carrier, changes: write_back(carrier, changes, lookups),
        concurrency=settings.concurrency, guard=decl.guard, pulled=pulled, key=decl.a_key or int, patch=decl.patch,
    )  # fmt: skip


def _pulled(store: DatasetStore, dataset: str, id_prefix: str) -> Callable[[int], dict[str, Any] | None]:
    """The record of side a with this key as the last pull stored it (a keyed read per write-back, not the
    whole dataset)."""
    lock = threading.Lock()

    def pulled(key: int) -> dict[str, Any] | None:
        with lock:  # the sink writes concurrently; the store's connection is not shared between threads
            rows = store.current_of(dataset, [f"{id_prefix}:{key}"]).to_pylist() if store.exists(dataset) else []
        return {k: v for k, v in rows[0].items() if not k.startswith("_")} if rows else None

    return pulled


def customwebshop_sink(flow: Dataflow, client: CustomwebshopClient, store: DatasetStore, settings: Any) -> Sink:
    """Side b: one shop resource; creates carry the external reference to side a and go in batches."""
    return CustomwebshopSink(
        client, flow.b_entity, flow.ref_key, concurrency=settings.concurrency, batch_size=settings.batch_size
    )


SINKS: dict[str, Callable[[Dataflow, Any, DatasetStore, Any], Sink]] = {
    "superoffice": superoffice_sink,
    "customwebshop": customwebshop_sink,
}
"""How each system takes a flow's changes, by system name."""


def sink_for(flow: Dataflow, system: str, client: Any, store: DatasetStore, settings: Any) -> Sink:
    """The sink of ``system`` for ``flow``; ``settings`` is the system's ``[systems.<name>]`` table."""
    decl = flow.declaration
    own = None if decl is None else decl.sink_a if system == flow.a_system else decl.sink_b
    if own is not None:
        return own(flow, client, store, settings)
    if system not in SINKS:
        raise ConfigError(f"flow {flow.name}: Sluice cannot write to {system!r}; known: {sorted(SINKS)}")
    return SINKS[system](flow, client, store, settings)
