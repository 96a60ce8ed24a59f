"""The ``sync`` flow: pull every system the dataflows need, run the pipes, push each flow's deltas.

Rule: tasks are coarse (one per pull, one for the pipes, one per dataflow push) and pass
dataset names, offsets and counts, never DataFrames; each opens the project itself, so a
task can run in another process or on another worker. Everything else is the engine's.
"""

from __future__ import annotations

import os
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.progress import PullProgress
from sluice.project import FLOW_SOURCES, Project

SYSTEM_OF = {"superoffice_contact": "superoffice", "customwebshop_customer": "customwebshop"}


def open_project(project_dir: str | None) -> Project:
    return Project.open(project_dir or os.environ.get("SLUICE_PROJECT", "."))


@task(retries=2, retry_delay_seconds=[2, 10], task_run_name="pull {dataset}")
def pull_dataset(project_dir: str | None, dataset: str, full: bool, force: bool) -> dict[str, Any]:
    """One system × entity into its dataset (incremental by watermark unless ``full``)."""
    with open_project(project_dir) as project:
        progress = PullProgress(dataset, expected_records(project, dataset, full))
        result = project.pull(dataset, full=full, force=force, progress=progress)
        progress.finish()
    get_run_logger().info(
        "pulled %s (%s): read %d, new %d, changed %d, deleted %d, offsets %d..%d",
        dataset, result.mode, result.read, result.stats.new, result.stats.changed, result.stats.deleted,
        result.stats.first_offset, result.stats.last_offset,
    )  # fmt: skip
    return result.as_dict()


def expected_records(project: Project, dataset: str, full: bool) -> int | None:
    """What a pull will probably read, for its progress bar: a full pull re-reads the live records;
    an incremental one reads an unknown few."""
    exists = project.store.exists(dataset)
    return project.store.info(dataset).live if exists and full else None


@flow(name="pull-superoffice", flow_run_name="pull superoffice")
def pull_superoffice(project_dir: str | None = None, datasets: list[str] | None = None, full: bool = False,
                     force: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """The SuperOffice pulls, one task per entity."""
    return [pull_dataset(project_dir, d, full, force) for d in datasets or []]


@flow(name="pull-customwebshop", flow_run_name="pull customwebshop")
def pull_customwebshop(project_dir: str | None = None, datasets: list[str] | None = None, full: bool = False,
                       force: bool = False) -> list[dict[str, Any]]:  # fmt: skip
    """The Customwebshop pulls, one task per resource."""
    return [pull_dataset(project_dir, d, full, force) for d in datasets or []]


@task(task_run_name="run pipes")
def run_pipes(project_dir: str | None) -> list[dict[str, Any]]:
    """Every pipe in DAG order; a pipe whose inputs did not move is skipped."""
    with open_project(project_dir) as project:
        runs = project.run_pipes()
    logger = get_run_logger()
    rows = []
    for run in runs:
        stats = run.stats.as_dict() if run.stats else {}
        logger.info("pipe %s: %s", run.name, "skipped (inputs unchanged)" if run.skipped else stats)
        rows.append({"pipe": run.name, "skipped": run.skipped, **stats})
    return rows


@task(retries=1, retry_delay_seconds=10, task_run_name="push {flow_name}")
def push_flow(project_dir: str | None, flow_name: str, dry_run: bool, force: bool) -> dict[str, Any]:
    """One dataflow's reconcile and push to both sinks (creates are idempotent, so a retry is safe)."""
    with open_project(project_dir) as project:
        result = project.sync_flow(flow_name, dry_run=dry_run, force=force)
    logger = get_run_logger()
    for sink in result.sinks:
        logger.info("%s %s: %s", flow_name, "would send" if dry_run else "sent", sink.as_dict())
    if result.ambiguous:
        logger.warning("%s: %d ambiguous first-sync matches were not linked", flow_name, result.ambiguous)
    return result.as_dict()


@flow(name="sync", log_prints=False)
def sync(
    full: bool = False,
    flows: list[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    project_dir: str | None = None,
) -> dict[str, Any]:
    """Pull, transform and push every enabled dataflow (or those named in ``flows``).

    ``full`` re-reads everything (delete detection); ``dry_run`` computes and reports every delta
    without sending a single write; ``force`` overrides the circuit breakers for an intended change.
    """
    with open_project(project_dir) as project:
        names = project.flow_names(flows)
    datasets = list(dict.fromkeys(d for n in names for d in FLOW_SOURCES[n]))
    by_system = {s: [d for d in datasets if SYSTEM_OF[d] == s] for s in ("superoffice", "customwebshop")}
    pulls = pull_superoffice(project_dir, by_system["superoffice"], full, force)
    pulls += pull_customwebshop(project_dir, by_system["customwebshop"], full, force)
    pipes = run_pipes(project_dir)
    results = [push_flow(project_dir, name, dry_run, force) for name in names]
    summary = {"full": full, "dry_run": dry_run, "pulls": pulls, "pipes": pipes, "flows": results}
    publish_artifacts(summary)
    return summary


def summary_rows(summary: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run's counts as two tables: per dataset (pulls and pipes) and per sink."""
    datasets = [
        {"dataset": p["dataset"], "step": f"pull ({p['mode']})", "new": p["new"], "changed": p["changed"],
         "deleted": p["deleted"], "unchanged": p["unchanged"]}
        for p in summary["pulls"]
    ] + [
        {"dataset": p["pipe"], "step": "pipe (skipped)" if p["skipped"] else "pipe", "new": p.get("new", 0),
         "changed": p.get("changed", 0), "deleted": p.get("deleted", 0), "unchanged": p.get("unchanged", 0)}
        for p in summary["pipes"]
    ]  # fmt: skip
    sinks = [
        {"flow": f["flow"], "sink": s["sink"], "created": s["created"], "updated": s["updated"],
         "deactivated": s["deactivated"], "failed": s["failed"], "dead_lettered": s["dead_lettered"]}
        for f in summary["flows"] for s in f["sinks"]
    ]  # fmt: skip
    return datasets, sinks


def publish_artifacts(summary: dict[str, Any]) -> None:
    """Per-run artifacts (keyed, so the UI shows their history): counts per dataset and per sink,
    and a markdown summary of conflicts, ambiguous matches and dead letters."""
    datasets, sinks = summary_rows(summary)
    create_table_artifact(datasets, key="sync-dataset-counts", description="Rows new / changed / deleted per dataset")
    create_table_artifact(sinks, key="sync-sink-counts", description="Writes per sink (dry run: none sent)")
    create_markdown_artifact(render_summary(summary), key="sync-summary", description="Conflicts and dead letters")


def render_summary(summary: dict[str, Any]) -> str:
    lines = [f"# Sync {'(dry run) ' if summary['dry_run'] else ''}{'full' if summary['full'] else 'incremental'}", ""]
    for f in summary["flows"]:
        lines += [
            f"## {f['flow']}",
            "",
            f"- creates {f['creates']}, updates to shop {f['updates_to_shop']}, updates to SuperOffice "
            f"{f['updates_to_superoffice']}, deactivations {f['deactivations']}, matched {f['matched']}",
            f"- conflicts {f['conflicts']} ({f['new_conflicts']} new): inspect with "
            "`sluice datasets show sync_conflicts`",
            f"- dead letters {f['dead_letters']}: `sluice deadletters list`, replay with `sluice deadletters retry`",
            f"- ambiguous first-sync matches {f['ambiguous']} (not linked; fix the data or link by hand)",
            "",
        ]
    return "\n".join(lines)
