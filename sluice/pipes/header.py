"""A pipe's header: the YAML in the leading comment block of its ``.sql`` file.

Rule: the header is a SQL comment, so the file still runs as-is in the DuckDB CLI. Either a
``/* ... */`` block or consecutive ``--`` lines before the first SQL token hold the YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from sluice.errors import PipeError

_BLOCK = re.compile(r"\A\s*/\*(?P<body>.*?)\*/", re.DOTALL)


@dataclass(frozen=True)
class ColumnDoc:
    """What the header says about one output column (``billing_address.line1`` for nested ones)."""

    name: str
    description: str = ""
    type: str | None = None  # the Customwebshop data type, where the output has a Customwebshop shape
    source: str | None = None  # overrides the documented source, e.g. "`NoMailing` (negated)"
    direction: str | None = None  # e.g. "to shop only" for one-way columns
    follows: str | None = None  # a one-way column side a keeps equal to this two-way one (SuperOffice's one country)


@dataclass(frozen=True)
class PipeHeader:
    """The parsed header. ``line_count`` is how many lines it spans (SQL line numbers start after it)."""

    output: str | None = None
    description: str = ""
    columns: dict[str, ColumnDoc] = field(default_factory=dict)
    dataflow_target: str | None = None  # e.g. "Customwebshop Customer": the pipe opts in to the docs
    dataflow_source: str | None = None  # e.g. "SuperOffice Product": one section for all its SuperOffice inputs
    dataflow_sections: dict[str, str] | None = None  # input dataset -> SuperOffice entity: one section each
    dataflow_path: str = ""  # e.g. "lines[].": the pipe's columns are nested in the target record (order lines)
    extra: dict[str, Any] = field(default_factory=dict)
    line_count: int = 0


_KNOWN = {"output", "description", "columns", "dataflow"}


def header_text(sql: str) -> tuple[str, int]:
    """The raw YAML text of the header and the number of lines it spans ('' and 0 when there is none)."""
    block = _BLOCK.match(sql)
    if block:
        return block.group("body"), sql[: block.end()].count("\n") + 1
    lines = []
    for line in sql.splitlines():
        stripped = line.strip()
        if stripped.startswith("--"):
            lines.append(stripped[2:].removeprefix(" "))
        elif stripped or lines:
            break
    if not lines:
        return "", 0
    return "\n".join(lines), len(lines)


def parse_header(sql: str, path: str | None = None) -> PipeHeader:
    """Parse the header of a pipe's SQL; a malformed header raises PipeError naming the file and line."""
    text, line_count = header_text(sql)
    if not text.strip():
        return PipeHeader(line_count=line_count)
    try:
        data = yaml.safe_load(_dedent(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise PipeError(f"the header is not valid YAML: {exc}", path, line) from exc
    if data is None:
        return PipeHeader(line_count=line_count)
    if not isinstance(data, dict):
        # A plain prose comment is not metadata: treat it as the description.
        return PipeHeader(description=str(data).strip(), line_count=line_count)
    return _header_from(data, path, line_count)


def _header_from(data: dict[str, Any], path: str | None, line_count: int) -> PipeHeader:
    output = data.get("output")
    if output is not None and (not isinstance(output, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", output)):
        raise PipeError(f"header 'output' must be a dataset name (letters, digits, _), got {output!r}", path, 1)
    dataflow = data.get("dataflow")
    target = source = None
    if dataflow is not None:
        if not isinstance(dataflow, dict) or not isinstance(dataflow.get("target"), str):
            raise PipeError("header 'dataflow' must look like {target: Customwebshop Customer}", path, 1)
        if not isinstance(dataflow.get("path", ""), str):
            raise PipeError("header 'dataflow' path must be text, e.g. {path: \"lines[].\"}", path, 1)
        if not isinstance(dataflow.get("source", ""), str):
            raise PipeError("header 'dataflow' source must be text, e.g. {source: SuperOffice Product}", path, 1)
        sections = dataflow.get("sections")
        if sections is not None and not (
            isinstance(sections, dict) and all(isinstance(v, str) for v in sections.values())
        ):
            raise PipeError("header 'dataflow' sections must map datasets to entities, e.g. {superoffice_quote: "
                            "Quotealternative}", path, 1)  # fmt: skip
        target = dataflow["target"].strip()
        source = (dataflow.get("source") or "").strip() or None
    return PipeHeader(
        output=output,
        description=str(data.get("description") or "").strip(),
        columns=_columns_from(data.get("columns") or {}, path),
        dataflow_target=target,
        dataflow_source=source,
        dataflow_sections=(dataflow or {}).get("sections"),
        dataflow_path=str((dataflow or {}).get("path") or ""),
        extra={k: v for k, v in data.items() if k not in _KNOWN},
        line_count=line_count,
    )


def _columns_from(raw: Any, path: str | None) -> dict[str, ColumnDoc]:
    if not isinstance(raw, dict):
        raise PipeError("header 'columns' must map column names to a description or {type, description, ...}", path, 1)
    columns = {}
    for name, spec in raw.items():
        if isinstance(spec, str) or spec is None:
            columns[str(name)] = ColumnDoc(str(name), description=(spec or "").strip())
            continue
        if not isinstance(spec, dict):
            raise PipeError(f"header column {name!r}: expected a text or a mapping, got {spec!r}", path, 1)
        unknown = set(spec) - {"description", "type", "source", "direction", "follows"}
        if unknown:
            raise PipeError(f"header column {name!r}: unknown keys {sorted(unknown)}", path, 1)
        columns[str(name)] = ColumnDoc(
            str(name),
            description=str(spec.get("description") or "").strip(),
            type=_opt_str(spec.get("type")),
            source=_opt_str(spec.get("source")),
            direction=_opt_str(spec.get("direction")),
            follows=_opt_str(spec.get("follows")),
        )
    return columns


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value).strip()


def _dedent(text: str) -> str:
    """Strip the common indentation (comment blocks are often indented) so YAML sees its structure."""
    first, *rest = text.splitlines() or [""]
    indents = [len(line) - len(line.lstrip()) for line in rest if line.strip()]
    cut = min(indents, default=0)
    return "\n".join([first.strip(), *(line[cut:] for line in rest)])
