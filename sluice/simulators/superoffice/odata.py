"""OData-style archive queries: ``$select``, ``$filter``, ``$orderBy``, ``$top``, ``$skip`` compiled to one SQL query.

Rule: the restriction type decides the comparison. 'date' columns (``updatedDate``) compare the DATE PART only
(``after '2024-05-01'`` means from 2024-05-02), 'datetime' columns take ``afterTime``/``beforeTime`` at full
precision, and an operator that does not fit the column's type is a 400, never a silent guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sluice.simulators.superoffice.carriers import EMPTY_DATE, parse_datetime
from sluice.simulators.superoffice.providers import Column, Provider
from sluice.simulators.superoffice.store import Store, stamp


class ODataError(ValueError):
    """A query the service would refuse (unknown column, operator or value) -> 400."""


_TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(\()|(\))|(,)|(-?\d+(?:\.\d+)?)(?![\w.])|([A-Za-z_][\w./:-]*)|(=))")
COMPARE = {"eq": "=", "=": "=", "equals": "=", "is": "=", "ne": "!=", "unequals": "!=", "isnot": "!="}
COMPARE |= {"gt": ">", "greater": ">", "ge": ">=", "lt": "<", "less": "<", "le": "<="}
DATE_OPS = {"after": ">", "before": "<", "date": "=", "afterorequal": ">=", "beforeorequal": "<="}
TIME_OPS = {"aftertime": ">=", "beforetime": "<", "datetime": "="}
LIST_OPS = {"oneof": "IN", "in": "IN", "notoneof": "NOT IN"}
TEXT_OPS = {"begins": ("LIKE", "{}%"), "notbegins": ("NOT LIKE", "{}%")}
TEXT_OPS |= {"contains": ("LIKE", "%{}%"), "notcontains": ("NOT LIKE", "%{}%")}
RANGE_OPS = ("between", "datebetween")


@dataclass
class Condition:
    column: str
    op: str
    values: list[Any]


@dataclass
class Query:
    """One archive request, parsed."""

    select: list[str]
    conditions: list[Condition]
    order: list[tuple[str, bool]]
    top: int | None
    skip: int


def parse_query(provider: Provider, params: dict[str, str]) -> Query:
    """Read the ``$...`` parameters (names case-insensitive, as the service treats them)."""
    lowered = {k.lower(): v for k, v in params.items()}
    select = [s.strip() for s in (lowered.get("$select") or "").split(",") if s.strip()]
    for name in select:
        provider.column(name)  # raises for unknown columns
    order = []
    for part in (lowered.get("$orderby") or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise ODataError(f"$orderBy: cannot read {part.strip()!r}")
        provider.column(words[0])
        order.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return Query(
        select=select or list(provider.default_select),
        conditions=parse_filter(lowered.get("$filter") or ""),
        order=order,
        top=_int_param(lowered, "$top"),
        skip=_int_param(lowered, "$skip") or 0,
    )


def _int_param(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise ODataError(f"{name} must be a non-negative integer, not {raw!r}")
    return int(raw)


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ODataError(f"$filter: cannot read from {text[pos : pos + 20]!r}")
        string, lpar, rpar, comma, number, word, equals = match.groups()
        if string is not None:
            tokens.append(("value", string[1:-1].replace("''", "'")))
        elif number is not None:
            tokens.append(("value", float(number) if "." in number else int(number)))
        elif word is not None:
            tokens.append(("word", word))
        else:
            tokens.append(("punct", lpar or rpar or comma or equals))
        pos = match.end()
    return tokens


def parse_filter(text: str) -> list[Condition]:
    """``col op value [and col op value ...]``; lists as ``(a, b)``; ``or`` is not supported (undocumented)."""
    tokens = _tokens(text)
    conditions, i = [], 0
    while i < len(tokens):
        if tokens[i][0] != "word":
            raise ODataError(f"$filter: expected a column name, got {tokens[i][1]!r}")
        if i + 1 >= len(tokens):
            raise ODataError(f"$filter: no operator after {tokens[i][1]!r}")
        column, op = tokens[i][1], str(tokens[i + 1][1]).lower()
        i += 2
        values: list[Any] = []
        if i < len(tokens) and tokens[i] == ("punct", "("):
            i += 1
            while i < len(tokens) and tokens[i] != ("punct", ")"):
                if tokens[i] != ("punct", ","):
                    values.append(tokens[i][1])
                i += 1
            i += 1
        elif i < len(tokens) and not (tokens[i][0] == "word" and tokens[i][1].lower() == "and"):
            values.append(tokens[i][1])
            i += 1
        conditions.append(Condition(column, op, values))
        if i < len(tokens):
            if not (tokens[i][0] == "word" and tokens[i][1].lower() == "and"):
                raise ODataError(f"$filter: expected 'and', got {tokens[i][1]!r} (only 'and' is supported)")
            i += 1
    return conditions


def compile_condition(column: Column, cond: Condition) -> tuple[str, list[Any]]:
    """One condition -> (SQL, params) following the column's restriction type."""
    op, kind, values = cond.op, column.kind, cond.values
    if kind == "bool" and op == "set":
        return f"(coalesce({column.sql}, 0) != 0) = ?", [_bool(values[0]) if values else True]
    if kind in ("date", "datetime"):
        return _compile_date(column, cond)
    expr = f"{column.sql} COLLATE NOCASE" if kind == "str" else column.sql
    converted = [_convert(column, cond.column, v) for v in values]
    if op in COMPARE and len(converted) == 1:
        return f"{expr} {COMPARE[op]} ?", converted
    if op in LIST_OPS and converted:
        return f"{expr} {LIST_OPS[op]} ({', '.join('?' * len(converted))})", converted
    if op in RANGE_OPS and len(converted) == 2 and kind in ("int", "float"):
        return f"{expr} BETWEEN ? AND ?", converted
    if op in TEXT_OPS and kind == "str" and len(converted) == 1:
        sql_op, pattern = TEXT_OPS[op]
        escaped = str(converted[0]).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return f"{column.sql} {sql_op} ? ESCAPE '\\'", [pattern.format(escaped)]
    raise ODataError(f"$filter: operator {cond.op!r} with {len(values)} value(s) does not fit {cond.column} ({kind})")


def _compile_date(column: Column, cond: Condition) -> tuple[str, list[Any]]:
    op = cond.op
    if column.kind == "date" and op in TIME_OPS:
        raise ODataError(
            f"$filter: {cond.op} needs a datetime column; {cond.column} is a date (compare with after/before, "
            "or use the Dynamic provider for time precision)"
        )
    values = [_moment(cond.column, v) for v in cond.values]
    if op in TIME_OPS and len(values) == 1:
        return f"{column.sql} {TIME_OPS[op]} ?", values
    day = f"substr({column.sql}, 1, 10)"
    days = [v[:10] for v in values]
    if (op in DATE_OPS or op in COMPARE) and len(days) == 1:
        return f"{day} {DATE_OPS.get(op) or COMPARE[op]} ?", days
    if op in RANGE_OPS and len(days) == 2:
        return f"{day} BETWEEN ? AND ?", days
    raise ODataError(f"$filter: operator {cond.op!r} does not fit {cond.column} ({column.kind})")


def _moment(column: str, value: Any) -> str:
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ODataError(f"$filter: {column} needs a date like '2024-05-01' or '2024-05-01T10:00:00', not {value!r}")
    return stamp(parsed)


def _bool(value: Any) -> bool:
    text = str(value).lower()
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    raise ODataError(f"$filter: {value!r} is not a boolean")


def _convert(column: Column, name: str, value: Any) -> Any:
    kind = column.kind
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            return int(_bool(value))
    except (TypeError, ValueError) as exc:
        raise ODataError(f"$filter: {name} needs a {kind}, not {value!r}") from exc
    if kind == "enum":
        return column.enum_name(value)
    return str(value)


def run(store: Store, provider: Provider, params: dict[str, str]) -> list[dict[str, Any]]:
    """Execute an archive request and return slim rows ``{PrimaryKey, EntityName, <selected columns>}``."""
    query = parse_query(provider, params)
    where, args = ([provider.where] if provider.where else []), []
    for cond in query.conditions:
        sql, values = compile_condition(provider.column(cond.column), cond)
        where.append(sql)
        args.extend(values)
    order = [f"{provider.column(name).sql} {'DESC' if desc else 'ASC'}" for name, desc in query.order]
    order.append(f"{provider.pk} ASC")
    source = provider.source
    expansion = provider.expansion([*query.select, *(c.column for c in query.conditions), *(n for n, _ in query.order)])
    if expansion is not None:
        source = f"{source} {expansion.join}"
        order.append(expansion.order)
    columns = [f"{provider.column(name).sql} AS c{i}" for i, name in enumerate(query.select)]
    sql = f"SELECT {provider.pk} AS pk{''.join(', ' + c for c in columns)} FROM {source}"
    if where:
        sql += " WHERE " + " AND ".join(f"({w})" for w in where)
    sql += " ORDER BY " + ", ".join(order)
    if query.top is not None or query.skip:
        sql += " LIMIT ? OFFSET ?"
        args.extend([query.top if query.top is not None else -1, query.skip])
    rows = store.query(sql, args)
    kinds = [provider.column(name) for name in query.select]
    return [
        {
            "PrimaryKey": str(row[0]),
            "EntityName": provider.entity,
            **{name: _display(col, row[i + 1]) for i, (name, col) in enumerate(zip(query.select, kinds, strict=True))},
        }
        for row in rows
    ]


def _display(column: Column, value: Any) -> Any:
    """Slim values: dates as ``YYYY-MM-DDTHH:MM:SS`` (empty date when unset), bools as booleans."""
    kind = column.kind
    if kind in ("date", "datetime"):
        return str(value)[:19] if value else EMPTY_DATE
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value or 0)
    if kind == "float":
        return value if isinstance(value, str) else float(value or 0.0)  # a raw non-number stays as stored
    return "" if value is None else value
