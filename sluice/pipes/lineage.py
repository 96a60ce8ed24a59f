"""Column-level lineage: from each output column of a pipe back to the dataset columns it reads.

Rule: built on sqlglot's ``qualify`` and scopes (the machinery of ``sqlglot.lineage``), extended with
the nested paths pipes live on: ``c.Address.Postal.Address1`` -> ``superoffice_contact.Address.Postal.Address1``,
``c.Emails[1].Value`` -> ``Emails[0].Value`` (0-based, as the docs write it), struct outputs as
``billing_address.line1`` and list aggregates of structs as ``lines[].sku``. Identifiers keep their case.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from sluice.errors import PipeError

# DuckDB folds identifier case; lineage must not, or the docs would say "address1" for "Address1".
_CASE_SENSITIVE = "duckdb, normalization_strategy=case_sensitive"
Schema = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class SourceColumn:
    """A (possibly nested) column of an input dataset: ``path`` is ``Address.Postal.Address1``."""

    dataset: str
    path: str

    def __str__(self) -> str:
        return f"{self.dataset}.{self.path}"


@dataclass(frozen=True)
class ColumnLineage:
    """One output column (``billing_address.line1``, ``lines[].sku``) and the input columns it comes from."""

    column: str
    sources: tuple[SourceColumn, ...]
    expression: str  # the SQL that computes it, for display


def column_lineage(tree: exp.Query, schema: Schema | None = None, path: str | None = None) -> list[ColumnLineage]:
    """Lineage of every output column, in SELECT order (struct fields depth-first).

    ``schema`` ({dataset: {column: duckdb type}}) is only needed to expand ``*`` and to place
    unqualified columns in joins; pipes that qualify their columns (``c.Name``) need none.
    """
    try:
        qualified = qualify(
            tree.copy(),
            dialect=_CASE_SENSITIVE,
            schema=dict(schema) if schema else None,
            validate_qualify_columns=False,
            identify=False,
            quote_identifiers=False,
        )
    except OptimizeError as exc:
        raise PipeError(f"cannot trace columns: {exc}", path) from exc
    root = build_scope(qualified)
    if root is None:
        raise PipeError("cannot trace columns: the query has no SELECT", path)
    tracer = _Tracer(path)
    branches = _branches(root)
    names = [select.alias_or_name for select in branches[0].expression.selects]
    found: dict[str, tuple[list[SourceColumn], str]] = {}
    for branch in branches:
        for name, select in zip(names, branch.expression.selects, strict=False):
            for out, expr, scope in _decompose(name, select.unalias(), branch):
                sources, _ = found.setdefault(out, ([], expr.sql(_CASE_SENSITIVE)))
                sources.extend(s for s in tracer.sources(expr, scope) if s not in sources)
    return [ColumnLineage(out, tuple(srcs), sql) for out, (srcs, sql) in found.items()]


def _branches(scope: Scope) -> list[Scope]:
    """The SELECT scopes of a query: one, or every branch of a UNION."""
    if scope.set_operation_scopes:
        return [leaf for sub in scope.set_operation_scopes for leaf in _branches(sub)]
    return [scope]


def _decompose(out: str, expr: exp.Expression, scope: Scope) -> Iterator[tuple[str, exp.Expression, Scope]]:
    """Split an output expression into documented leaves: struct fields and list-of-struct elements."""
    if isinstance(expr, exp.Struct):
        for field in expr.expressions:
            if isinstance(field, exp.PropertyEQ | exp.Alias | exp.Slice):
                name = field.alias if isinstance(field, exp.Alias) else field.this.name
                value = field.this if isinstance(field, exp.Alias) else field.expression
                yield from _decompose(f"{out}.{name}", value, scope)
            else:
                yield out, expr, scope
                return
        return
    inner = _list_aggregate_element(expr)
    if inner is not None and isinstance(inner, exp.Struct):
        yield from _decompose(f"{out}[]", inner, scope)
        return
    derived = _derived_projection(expr, scope)
    if derived is not None:
        yield from _decompose(out, *derived)
        return
    yield out, expr, scope


def _list_aggregate_element(expr: exp.Expression) -> exp.Expression | None:
    """The element of ``list(x ORDER BY ..)`` / ``array_agg(x)``, else None."""
    if isinstance(expr, exp.ArrayAgg):
        inner = expr.this
        return inner.this if isinstance(inner, exp.Order) else inner
    return None


def _derived_projection(expr: exp.Expression, scope: Scope) -> tuple[exp.Expression, Scope] | None:
    """For a bare column of a CTE/subquery, the projection that defines it (so its struct can be split)."""
    if not isinstance(expr, exp.Column) or not expr.table:
        return None
    source = scope.sources.get(expr.table)
    if not isinstance(source, Scope) or source.set_operation_scopes:
        return None
    for select in source.expression.selects:
        if select.alias_or_name == expr.name and not isinstance(select.unalias(), exp.Column):
            return select.unalias(), source
    return None


class _Tracer:
    """Follows column references through CTEs and subqueries down to dataset columns."""

    def __init__(self, path: str | None) -> None:
        self.path = path

    def sources(self, expr: exp.Expression, scope: Scope) -> list[SourceColumn]:
        found: list[SourceColumn] = []
        for column in _columns(expr):
            owner = _owning_scope(column, scope)
            name, suffix = column.name, _access_suffix(column)
            for src in self.trace(column.table, name, suffix, owner):
                if src not in found:
                    found.append(src)
        return found

    def trace(self, table: str, column: str, suffix: str, scope: Scope) -> list[SourceColumn]:
        if not table:
            if len(scope.selected_sources) != 1:
                raise PipeError(
                    f"cannot tell which table column {column!r} comes from: qualify it (alias.{column})", self.path
                )
            table = next(iter(scope.selected_sources))
        source = scope.sources.get(table)
        if isinstance(source, exp.Table):
            return [SourceColumn(source.name, column + suffix)]
        if not isinstance(source, Scope):
            return []
        found: list[SourceColumn] = []
        for branch in _branches(source):
            found.extend(s for s in self._through(branch, column, suffix) if s not in found)
        return found

    def _through(self, scope: Scope, column: str, suffix: str) -> list[SourceColumn]:
        """Trace ``column`` + ``suffix`` through the projection of a derived table (CTE or subquery)."""
        for select in scope.expression.selects:
            if isinstance(select, exp.Star) or (isinstance(select, exp.Column) and select.is_star):
                continue
            if select.alias_or_name != column:
                continue
            inner = select.unalias()
            if suffix and isinstance(inner, exp.Struct):
                field, _, rest = suffix[1:].partition(".")
                for prop in inner.expressions:
                    if isinstance(prop, exp.PropertyEQ) and prop.this.name == field.split("[")[0]:
                        return self._leaf(prop.expression, "." + rest if rest else "", scope)
            return self._leaf(inner, suffix, scope)
        star = next((s for s in scope.expression.selects if s.is_star), None)
        if star is None:
            return []
        table = star.table if isinstance(star, exp.Column) else ""
        return self.trace(table, column, suffix, scope)

    def _leaf(self, expr: exp.Expression, suffix: str, scope: Scope) -> list[SourceColumn]:
        column = _pure_access(expr)
        if column is not None:
            return self.trace(column.table, column.name, _access_suffix(column) + suffix, scope)
        return self.sources(expr, scope)


def _columns(expr: exp.Expression) -> Iterator[exp.Column]:
    """Column references in ``expr``, leaving out lambda parameters and stars."""
    for column in expr.find_all(exp.Column):
        if column.is_star:
            continue
        lam = column.find_ancestor(exp.Lambda)
        if lam is not None and not column.table and column.name in {p.name for p in lam.expressions}:
            continue
        yield column


def _owning_scope(column: exp.Column, scope: Scope) -> Scope:
    """The scope whose SELECT holds ``column`` (a scalar subquery has its own)."""
    select = column.find_ancestor(exp.Select)
    if select is None or select is scope.expression:
        return scope
    for sub in scope.traverse():
        if sub.expression is select:
            return sub
    return scope


def _access_suffix(column: exp.Column) -> str:
    """``.Postal.Address1`` for ``c.Address.Postal.Address1``; ``[0].Value`` for ``c.Emails[1].Value``."""
    parts: list[str] = []
    node: exp.Expression = column
    while True:
        parent = node.parent
        if isinstance(parent, exp.Dot) and parent.this is node:
            parts.append(f".{parent.expression.name}")
        elif isinstance(parent, exp.Bracket) and parent.this is node:
            parts.append(_bracket(parent))
        else:
            return "".join(parts)
        node = parent


def _bracket(bracket: exp.Bracket) -> str:
    keys = bracket.expressions
    if len(keys) == 1 and isinstance(keys[0], exp.Literal):
        key = keys[0]
        return f".{key.this}" if key.is_string else f"[{key.this}]"  # sqlglot already made the index 0-based
    return "[]"


def _pure_access(expr: exp.Expression) -> exp.Column | None:
    """The column of an expression that only navigates it (``c.A.B[0]``), else None."""
    node = expr
    while isinstance(node, exp.Dot | exp.Bracket):
        node = node.this
    if isinstance(node, exp.Column) and not node.is_star and _access_root(node) is expr:
        return node
    return None


def _access_root(column: exp.Column) -> exp.Expression:
    node: exp.Expression = column
    while isinstance(node.parent, exp.Dot | exp.Bracket) and node.parent.this is node:
        node = node.parent
    return node
