"""Reconcile one flow: match, link and merge both sides into a plan of changes. Pure: no I/O.

Rule: the plan is computed from the current state of the two mapped datasets, the links and
the last-agreed state alone, so a run that died half-way simply recomputes what is still to do.

A closed link is looked at again each run: closed because its SuperOffice record went, it reopens
when the record is back (``sync_deleted`` flipped back: a restored contact, a product back in
assortment) and the shop record is reactivated, never duplicated; closed because its shop record
went, a later SuperOffice edit is reported once as stranded, or recreated (``on_target_deleted``), or, in a
flow that deletes in side a (``delete_in_a``: order lines), its side-a record is deleted. A flow with
``born_in_b`` creates the shop records no link names in side a. A side-a record that is ``locked`` (a quote
version no longer a draft) takes no edit from the shop: its values win, and the shop's edit is undone and reported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from sluice.sync.dataflow import Dataflow
from sluice.sync.merge import Conflict, FieldRule, is_empty, merge_pair, same, tidy, untidy
from sluice.sync.model import DELETED_IN_A, DELETED_IN_B, Ambiguity, Change, Link, Plan, SideRecord, Stranded

LINKED_ELSEWHERE = "shop record linked to another SuperOffice record"
WHY = {DELETED_IN_B: "its shop record was deleted", LINKED_ELSEWHERE: "its shop record is linked to another record"}
"""Why a closed link's change went nowhere, by the link's note (for reports)."""


STALE = "its last pull could not read it: it waits for a read, so an older copy undoes nothing"


def reconcile(
    flow: Dataflow,
    a_records: dict[str, SideRecord],
    b_records: dict[str, SideRecord],
    links: list[Link],
    agreed: dict[str, dict[str, Any]],
    stale: set[str] | frozenset[str] = frozenset(),
) -> Plan:
    """Decide every create, update and deactivation for one flow, and the conflicts and ambiguities seen.

    ``stale``: SuperOffice ids of pairs whose last pull could not read one of the records. Such a pair waits,
    reported, until a pull reads it: the dataset holds an older version, which read against the agreed state looks
    like an edit (one that undoes the values the last run wrote, soak seed 40354), or none at all (a record set
    aside on its very first read), which is not a delete."""
    plan = Plan()
    a_records, b_records = _valid(plan, "a", a_records), _valid(plan, "b", b_records)
    ready = _ready(plan, a_records)
    held = {k: r for k, r in a_records.items() if k not in ready and k not in stale}
    a_records = ready
    plan.waiting += [(a_id, STALE) for a_id in sorted(stale) if a_id in a_records]
    a_records = {k: r for k, r in a_records.items() if k not in stale}
    skipped = {r.id for side, r in plan.invalid if side == "a"}, {r.id for side, r in plan.invalid if side == "b"}
    skipped[0].update(a_id for a_id, _ in plan.waiting)
    skipped[0].update(stale)
    active = {link.a_id: link for link in links if link.status == "active"}
    known_a = {link.a_id for link in links}
    linked_b = {link.b_id for link in links if link.status == "active"}

    unlinked_a = [rec for a_id, rec in sorted(a_records.items()) if a_id not in known_a and not rec.deleted]
    matches = _match(flow, unlinked_a, [r for r in b_records.values() if r.id not in linked_b and not r.deleted])
    for rec in unlinked_a:
        found = matches.get(rec.id)
        if isinstance(found, Ambiguity):
            plan.ambiguous.append(found)
        elif found is not None:
            link = Link(rec.id, found, how="matched")
            plan.new_links.append(link)
            _merge_linked(flow, plan, link, rec, b_records[found], None)
        else:
            _plan_create(flow, plan, rec)

    for a_id, link in sorted(active.items()):
        a_rec, b_rec = a_records.get(a_id, held.get(a_id)), b_records.get(link.b_id)
        b_gone = b_rec is None or b_rec.deleted
        if link.b_id in skipped[1] or (a_id in skipped[0] and not (b_gone and a_id in held)):
            continue  # bad data on a side is not a delete: the pair waits until it is fixed
        if b_gone:  # seen even while the SuperOffice record waits for a reference (soak seed 40467)
            if _deletes_in_a(flow) and a_rec is not None and not a_rec.deleted and a_id not in held:
                _plan_delete_in_a(flow, plan, link, a_rec)
            else:
                plan.closed_links.append(Link(a_id, link.b_id, link.how, "closed", DELETED_IN_B))
        elif a_rec is None or a_rec.deleted:
            _plan_deactivate(flow, plan, link, b_rec)
        else:
            _merge_linked(flow, plan, link, a_rec, b_rec, agreed.get(a_id))

    claimed = linked_b | {link.b_id for link in plan.new_links}
    prefix = flow.declaration.born_in_b if flow.declaration is not None else None
    if prefix:
        named = claimed | {link.b_id for link in links}
        for b_id, b_rec in sorted(b_records.items()):
            born = prefix + b_id
            if b_id in named or b_id in skipped[1] or b_rec.deleted or born in known_a or born in a_records:
                continue
            _plan_born(flow, plan, born, b_rec)
    for link in sorted((link for link in links if link.status == "closed"), key=lambda link: link.a_id):
        a_rec = a_records.get(link.a_id)
        if a_rec is not None and not a_rec.deleted:
            _plan_closed(flow, plan, link, a_rec, b_records.get(link.b_id), agreed.get(link.a_id), claimed)
    return plan


def _valid(plan: Plan, side: str, records: dict[str, SideRecord]) -> dict[str, SideRecord]:
    """The records that can be synced; the others go to ``plan.invalid`` (reported, never written)."""
    plan.invalid += [(side, r) for _, r in sorted(records.items()) if r.invalid and not r.deleted]
    return {k: r for k, r in records.items() if not r.invalid or r.deleted}


def _ready(plan: Plan, records: dict[str, SideRecord]) -> dict[str, SideRecord]:
    """The records whose references are linked; the others go to ``plan.waiting`` (reported, sent later)."""
    plan.waiting += [(k, r.waiting) for k, r in sorted(records.items()) if r.waiting and not r.deleted]
    return {k: r for k, r in records.items() if not r.waiting or r.deleted}


def _follow(
    rules: list[FieldRule],
    to_a: dict[str, Any],
    to_b: dict[str, Any],
    agreed: dict[str, Any],
    b_fields: dict[str, Any],
) -> None:
    """A leader going to side a takes its followers to the shop now: side a will hold the leader's value there too
    (soak seed 111: the shipping country lagged one run behind a shop edit of the billing country)."""
    for rule in rules:
        if rule.follows is None or rule.follows not in to_a:
            continue
        value = to_a[rule.follows]
        agreed[rule.name] = value
        if same(b_fields.get(rule.name), value):
            to_b.pop(rule.name, None)
        else:
            to_b[rule.name] = value


def _plan_closed(
    flow: Dataflow,
    plan: Plan,
    link: Link,
    a_rec: SideRecord,
    b_rec: SideRecord | None,
    base: dict[str, Any] | None,
    claimed: set[str],
) -> None:
    """A closed link whose SuperOffice record is live: reopen it, or deal with the change that has no target."""
    b_live = b_rec is not None and not b_rec.deleted
    if link.note == DELETED_IN_A:
        if b_live and link.b_id not in claimed:
            assert b_rec is not None
            reopened = replace(link, status="active", note="")
            plan.reopened_links.append(reopened)
            _merge_linked(flow, plan, reopened, a_rec, b_rec, base, reactivate=True)
            return
        note = DELETED_IN_B if not b_live else LINKED_ELSEWHERE
        _target_gone(flow, plan, link, a_rec, _edited(flow, a_rec, base), f"restored, but {WHY[note]}", note)
        return
    edited = _edited(flow, a_rec, base)
    if edited:
        why = WHY.get(link.note, link.note or WHY[DELETED_IN_B])
        _target_gone(flow, plan, link, a_rec, edited, f"edited, but {why}", link.note)


def _edited(flow: Dataflow, a_rec: SideRecord, base: dict[str, Any] | None) -> tuple[str, ...]:
    """The fields bound for the shop whose SuperOffice value moved off the last agreed one (none without a base)."""
    if base is None:
        return ()
    return tuple(f.name for f in flow.fields if f.to_b and not same(a_rec.fields.get(f.name), base.get(f.name)))


def _target_gone(
    flow: Dataflow, plan: Plan, link: Link, a_rec: SideRecord, fields: tuple[str, ...], reason: str, note: str
) -> None:
    """A change for a shop record that is gone: a new shop record (``recreate``), or reported once (``close``):
    the agreed state takes the SuperOffice values, so the same edit is not reported again, a later one is."""
    if flow.on_target_deleted == "recreate":
        _plan_create(flow, plan, a_rec, replaces=link.b_id)
        return
    plan.stranded.append(Stranded(link.a_id, link.b_id, fields, reason))
    plan.agreed[link.a_id] = {f.name: a_rec.fields.get(f.name) for f in flow.fields}
    if note != link.note:
        plan.closed_links.append(replace(link, note=note))


def _match(flow: Dataflow, a_side: list[SideRecord], b_side: list[SideRecord]) -> dict[str, str | Ambiguity]:
    """First-sync matching: each key in order; one candidate links, several are reported, never guessed."""
    result: dict[str, str | Ambiguity] = {}
    taken: set[str] = set()
    for key in flow.match_keys:
        index: dict[str, list[str]] = defaultdict(list)
        for rec in b_side:
            value = key.normalize(rec.fields.get(key.field))
            if value is not None and rec.id not in taken:
                index[value].append(rec.id)
        claims: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for rec in a_side:
            value = key.normalize(rec.fields.get(key.field))
            if rec.id in result or value not in index:
                continue
            candidates = index[value]
            if len(candidates) > 1:
                result[rec.id] = Ambiguity(rec.id, key.field, value, tuple(sorted(candidates)))
            else:
                claims[candidates[0]].append((rec.id, value))
        for b_id, claimants in claims.items():
            if len(claimants) == 1:
                result[claimants[0][0]] = b_id
                taken.add(b_id)
                continue
            rivals = tuple(sorted(a_id for a_id, _ in claimants))
            for a_id, value in claimants:
                result[a_id] = Ambiguity(a_id, key.field, value, (b_id,), rivals)
    return result


def _plan_create(flow: Dataflow, plan: Plan, rec: SideRecord, replaces: str | None = None) -> None:
    """A create carries texts trimmed, and the SuperOffice texts typed with surrounding whitespace are trimmed
    in the same run, so both sides hold the same characters as soon as the pair exists."""
    values = {f.name: tidy(rec.fields.get(f.name)) for f in flow.fields}
    body = {f.name: values[f.name] for f in flow.fields if f.to_b and not is_empty(values[f.name])}
    plan.changes.append(Change("create", "b", rec.id, None, body, replaces=replaces))
    trims = {f.name: values[f.name] for f in flow.fields if f.to_a and untidy(rec.fields.get(f.name))}
    if trims:
        plan.changes.append(Change("update", "a", rec.id, None, trims, rec.version))
    plan.agreed[rec.id] = values


def _deletes_in_a(flow: Dataflow) -> bool:
    return flow.declaration is not None and flow.declaration.delete_in_a


def _summary(flow: Dataflow, rec: SideRecord) -> dict[str, Any]:
    """A record's values for a conflict report (the fields both sides map)."""
    return {f.name: rec.fields.get(f.name) for f in flow.fields if not is_empty(rec.fields.get(f.name))}


def _plan_delete_in_a(flow: Dataflow, plan: Plan, link: Link, a_rec: SideRecord) -> None:
    """A shop record gone whose side-a record is live: delete that one (a removed order line), unless side a is
    locked (a sent quote): then the removal is undone (the record made again in the shop) and reported."""
    if a_rec.locked:
        values = _summary(flow, a_rec)
        plan.conflicts.append((link.a_id, link.b_id, Conflict("removed", values, None, values, "a", values)))
        _plan_create(flow, plan, a_rec, replaces=link.b_id)
        return
    plan.changes.append(Change("delete", "a", link.a_id, link.b_id, {}, a_rec.version))


def _plan_born(flow: Dataflow, plan: Plan, a_id: str, b_rec: SideRecord) -> None:
    """A shop record no link names, in a flow that creates those in side a (an order line added in the shop):
    a create there under ``a_id``, or, while side a is locked, the add undone in the shop and reported."""
    if b_rec.locked:
        values = _summary(flow, b_rec)
        plan.conflicts.append((a_id, b_rec.id, Conflict("added", None, values, None, "a", None)))
        fields = dict(flow.deactivate_fields)
        plan.changes.append(Change("deactivate", "b", a_id, b_rec.id, fields, b_rec.version))
        return
    values = {f.name: tidy(b_rec.fields.get(f.name)) for f in flow.fields}
    body = {name: value for name, value in values.items() if not is_empty(value)}
    plan.changes.append(Change("create", "a", a_id, b_rec.id, body, b_rec.version))
    plan.agreed[a_id] = values


def _plan_deactivate(flow: Dataflow, plan: Plan, link: Link, b_rec: SideRecord) -> None:
    pending = {k: v for k, v in flow.deactivate_fields.items() if b_rec.fields.get(k) != v}
    if pending:
        plan.changes.append(Change("deactivate", "b", link.a_id, link.b_id, pending, b_rec.version))
    else:
        plan.closed_links.append(Link(link.a_id, link.b_id, link.how, "closed", DELETED_IN_A))


def _merge_linked(
    flow: Dataflow,
    plan: Plan,
    link: Link,
    a_rec: SideRecord,
    b_rec: SideRecord,
    base: dict[str, Any] | None,
    reactivate: bool = False,
) -> None:
    """Merge a linked pair; a reopened pair also gets the flow's reactivation values, whatever the merge said."""
    rules = [replace(f, to_a=False) for f in flow.fields] if a_rec.locked else list(flow.fields)
    policy = flow.policy
    prefix = flow.declaration.born_in_b if flow.declaration is not None else None
    if base is None and prefix and link.a_id.startswith(prefix):
        # Born in the shop: its SuperOffice copy was made from the shop's values, so matched with no agreed state
        # (the create's outcome was lost) the shop's are the record's; SuperOffice winning undid a shop edit made
        # since, silently (soak seed 40011).
        policy = replace(policy, first_match_winner="b")
    merged = merge_pair(
        a_rec.fields,
        b_rec.fields,
        base,
        rules,
        a_updated=a_rec.updated,
        b_updated=b_rec.updated,
        policy=policy,
    )
    if reactivate:
        for name, value in flow.reactivate_fields.items():
            merged.to_a.pop(name, None)
            if name in merged.agreed:
                merged.agreed[name] = value
            if not same(b_rec.fields.get(name), value):
                merged.to_b[name] = value
    _follow(rules, merged.to_a, merged.to_b, merged.agreed, b_rec.fields)
    plan.agreed[link.a_id] = merged.agreed
    plan.conflicts.extend((link.a_id, link.b_id, c) for c in merged.conflicts)
    if merged.to_b:
        plan.changes.append(Change("update", "b", link.a_id, link.b_id, merged.to_b, b_rec.version))
    if merged.to_a:
        plan.changes.append(Change("update", "a", link.a_id, link.b_id, merged.to_a, a_rec.version))
