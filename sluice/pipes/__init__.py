"""SQL pipes: DuckDB queries over datasets that write derived datasets, and their authoring tools."""

from sluice.pipes.dag import Dag, build_dag, to_dot, to_mermaid
from sluice.pipes.diff import PipeDiff
from sluice.pipes.docs import DataflowSection, dataflow_sections, render_dataflow_doc
from sluice.pipes.engine import PipeEngine, PipeInfo, PipeRun
from sluice.pipes.header import ColumnDoc, PipeHeader, parse_header
from sluice.pipes.lineage import ColumnLineage, SourceColumn, column_lineage
from sluice.pipes.pipe import Pipe, discover, load_pipe
from sluice.pipes.testing import Mismatch, PipeTestCase, PipeTestResult

__all__ = [
    "ColumnDoc",
    "ColumnLineage",
    "Dag",
    "DataflowSection",
    "Mismatch",
    "Pipe",
    "PipeDiff",
    "PipeEngine",
    "PipeHeader",
    "PipeInfo",
    "PipeRun",
    "PipeTestCase",
    "PipeTestResult",
    "SourceColumn",
    "build_dag",
    "column_lineage",
    "dataflow_sections",
    "discover",
    "load_pipe",
    "parse_header",
    "render_dataflow_doc",
    "to_dot",
    "to_mermaid",
]
