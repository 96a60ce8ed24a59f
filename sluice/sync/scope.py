"""The inputs of a reconcile limited to some pairs, complete enough that the plan for them is the full one's.

Rule: ``reconcile`` stays the single source of truth and runs unchanged on a scope. A scope is closed
under what a pair's plan looks at: its link, both records and its agreed state; every other link to
the same shop record (a closed link reopens only when no active link claims its shop record); and,
for a SuperOffice record not linked yet, every unlinked shop record sharing one of its match keys
(with the links to those), the only ones a first-sync match of it can touch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sluice.sync.dataflow import Dataflow
from sluice.sync.index import PairIndex, key_name, side_fields
from sluice.sync.model import Link, SideRecord
from sluice.systems.superoffice.watermark import parse_timestamp


@dataclass
class Scope:
    """What ``reconcile`` needs for some pairs: records by id, their links and their agreed state."""

    a: dict[str, SideRecord]
    b: dict[str, SideRecord]
    links: list[Link]
    agreed: dict[str, dict[str, Any]]


def side_record(row: dict[str, Any]) -> SideRecord:
    """A mapped row as a record: ``_id`` the side's id; ``sync_updated``, ``sync_version`` and ``sync_deleted``
    the facts the conflict policy, the concurrency checks and the delete policy need (``sync_scope``,
    ``sync_invalid`` and ``sync_waiting`` where a pipe has them); the rest its fields."""
    updated = row.get("sync_updated")
    return SideRecord(
        id=str(row["_id"]),
        fields=side_fields(row),
        updated=updated if isinstance(updated, datetime) else parse_timestamp(updated),
        version=None if row.get("sync_version") is None else str(row["sync_version"]),
        deleted=bool(row.get("sync_deleted")),
        scope=None if row.get("sync_scope") is None else str(row["sync_scope"]),
        invalid=row.get("sync_invalid") or None,
        waiting=row.get("sync_waiting") or None,
        locked=row.get("sync_locked") or None,
    )


def load_scope(index: PairIndex, flow: Dataflow, ids: set[str]) -> Scope:
    """The scope of ``ids`` (grown to its closure) from the index."""
    ids = set(ids)
    links: dict[str, Link] = {}
    a: dict[str, SideRecord] = {}
    looked: set[str] = set()
    shop: set[str] = set()
    while fresh := ids - looked:
        looked |= fresh
        found = index.links(fresh)
        links.update(found)
        a.update({id_: side_record(row) for id_, row in index.rows("a", fresh).items()})
        unlinked = [rec for id_, rec in a.items() if id_ in fresh and id_ not in links and not rec.deleted]
        born = {b for id_ in fresh if id_ not in found and (b := born_b_id(flow, id_)) is not None}
        new_shop = ({link.b_id for link in found.values()} | _candidates(index, flow, unlinked) | born) - shop
        shop |= new_shop
        ids |= {link.a_id for link in index.links_to(new_shop)}
    b = {id_: side_record(row) for id_, row in index.rows("b", shop).items()}
    agreed = {id_: json.loads(row["state"]) for id_, row in index.rows("agreed", ids).items()}
    return Scope(a, b, sorted(links.values(), key=lambda link: link.a_id), agreed)


def born_b_id(flow: Dataflow, a_id: str) -> str | None:
    """The shop id behind a side-a id a shop-born record gets (``cws:41`` -> ``41``), for flows that create
    shop-born records in side a (``Declaration.born_in_b``); None for any other id."""
    prefix = flow.declaration.born_in_b if flow.declaration is not None else None
    return a_id[len(prefix) :] if prefix and a_id.startswith(prefix) else None


def _candidates(index: PairIndex, flow: Dataflow, unlinked: list[SideRecord]) -> set[str]:
    """Unlinked shop records that share a normalized match key with one of these SuperOffice records."""
    if not unlinked:
        return set()
    values: dict[str, set[str]] = {}
    for key in flow.match_keys:
        wanted = {v for rec in unlinked if (v := key.normalize(rec.fields.get(key.field))) is not None}
        values.setdefault(key_name(key), set()).update(wanted)
    return index.match_candidates(values)
