"""Which pipes may run on the changed rows alone.

Rule: a pipe is *row-local* when each output row is made from one input row alone: one dataset read once
(CTEs over it allowed), no join, grouping, aggregate, window, DISTINCT, set operation, LIMIT, UNNEST or
function whose value depends on when it runs. Its output over the whole input is then the union of its
outputs over each row (a full run refuses duplicate output ids, so no two rows make the same one). A run
over the input rows changed since the last run therefore equals a full recompute when it writes their new
output over the last one and deletes the output ids their earlier versions made and the new ones do not
(``PipeEngine._changed_run``). Whatever the analysis cannot prove row-local runs in full, as before.
"""

from __future__ import annotations

from sqlglot import exp

from sluice.pipes.pipe import Pipe

_NOT_ROW_LOCAL: tuple[type[exp.Expression], ...] = (
    exp.Join,
    exp.Group,
    exp.AggFunc,
    exp.Window,
    exp.Distinct,
    exp.SetOperation,
    exp.Limit,
    exp.Offset,
    exp.Having,
    exp.Qualify,
    exp.Unnest,
    exp.Explode,
    exp.Lateral,
    exp.Pivot,
    exp.CurrentDate,
    exp.CurrentTime,
    exp.CurrentTimestamp,
    exp.Rand,
    exp.Uuid,
)
_VOLATILE = {"random", "uuid", "gen_random_uuid", "now", "today", "get_current_time", "nextval", "setseed"}
"""Function names (lower case) that sqlglot may keep as anonymous calls and that a rerun would answer anew."""


def row_local_input(pipe: Pipe) -> str | None:
    """The one dataset a row-local pipe reads, or None when the pipe must be recomputed in full."""
    if len(pipe.inputs) != 1:
        return None
    tree = pipe.tree
    if any(tree.find_all(*_NOT_ROW_LOCAL)):
        return None
    if any(call.name.lower() in _VOLATILE for call in tree.find_all(exp.Anonymous)):
        return None
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    sources = [t for t in tree.find_all(exp.Table) if t.name.lower() not in ctes]
    # Table functions and qualified names are no datasets (``table_refs`` skips them): here they are reads the
    # changed rows cannot stand for, as is a second mention of the dataset (a subquery over it).
    if len(sources) != 1 or sources[0].args.get("db") or not isinstance(sources[0].this, exp.Identifier):
        return None
    return pipe.inputs[0].name
