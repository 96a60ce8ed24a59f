"""The ``sync`` flow: pull every system the dataflows need, run the pipes, push each flow's deltas.

Rule: the flow walks ``Project.steps`` (the one place the step order is written) and maps each step
onto tasks: a task per pull (fanned out over the flow's thread pool, since the pulls wait on HTTP, not on
the CPU; one system's in turn, so its ``rate_limit`` holds for all of them together), one per group of
pipes, and per dataflow a ``push`` run (plan, a push per sink, commit). Run from a deployment, each
``push`` run is a run of the ``push/dataflow`` deployment, so any worker of the pool may take it, and its
result comes back through the dataset root (``run_results.py``), not Prefect's per-machine result storage; run
by hand, it is a subflow in this process. Tasks pass dataset names, offsets and counts, never DataFrames;
each opens the project itself, so a task can run in another process or on another worker. Each write
holds its global concurrency limit (``flows/limits.py``). It names no system and no flow.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from flows import limits
from flows.progress import PullProgress
from flows.secret_blocks import export_secret_blocks
from sluice.pipes.engine import pipe_step
from sluice.project import Project, Step
from sluice.sync.pull import PULL
from sluice.sync.run_results import save_push_result, take_push_result

ISSUE_ROWS = 20
"""Conflicts and dead letters listed in the summary artifact (the CLI lists them all)."""

PULL_THREADS = 8
"""Threads for the pulls of one sync run: one system's pulls run in turn, different systems' at once."""


def open_project(project_dir: str | None) -> Project:
    """The project a task works on; secrets missing from the environment come from Prefect Secret blocks."""
    filled = export_secret_blocks()
    if filled:
        get_run_logger().info("secrets from Prefect Secret blocks: %s", ", ".join(filled))
    return Project.open(project_dir or os.environ.get("SLUICE_PROJECT", "."))


@task(retries=2, retry_delay_seconds=[2, 10], task_run_name="pull {dataset}")
def pull_dataset(project_dir: str | None, dataset: str, full: bool, force: bool, deep: bool = False) -> dict[str, Any]:
    """One system × entity into its dataset (incremental by watermark unless ``full``; ``deep`` re-reads all)."""
    with open_project(project_dir) as project, limits.held([limits.dataset_limit(dataset)]):
        progress = PullProgress(dataset, project.expected_records(dataset, full or deep))
        result = project.pull(dataset, full=full, deep=deep, force=force, progress=progress)
        progress.finish(result.failed)
    stats = result.stats
    first, last = stats.first_offset, stats.last_offset
    appended = "nothing appended" if first is None else f"offsets {first}..{last}"
    get_run_logger().info(
        "pulled %s (%s): read %d, kept %d, new %d, changed %d, deleted %d, %s; %.2fs, %.0f rows/s",
        dataset, result.mode, result.read, result.kept, stats.new, stats.changed, stats.deleted, appended,
        result.seconds, result.rows_per_second,
    )  # fmt: skip
    if result.failed:
        get_run_logger().warning(
            "%s: %d records could not be read and %d not stored; the watermark stays, the next run re-reads them "
            "(`sluice deadletters list --flow pull`)", dataset, result.unread, result.rejected,
        )  # fmt: skip
    return result.as_dict()


@task(task_run_name="run pipes {names}")
def run_pipes(project_dir: str | None, names: list[str]) -> list[dict[str, Any]]:
    """The named pipes in DAG order; a pipe whose inputs did not move is skipped."""
    with open_project(project_dir) as project, limits.held([limits.dataset_limit(n) for n in names]):
        runs = project.run_pipes(names)
    logger = get_run_logger()
    rows = []
    for run in runs:
        stats = run.stats.as_dict() if run.stats else {}
        logger.info("pipe %s: %s", run.name, "skipped (inputs unchanged)" if run.skipped else stats)
        rows.append({"pipe": run.name, "skipped": run.skipped, "changed_only": run.changed_only, "rows": run.rows,
                     "seconds": round(run.seconds, 3), "rows_per_second": round(run.rows_per_second, 1),
                     **stats})  # fmt: skip
    return rows


SINK_ORDER = ("b", "a")
"""The push order of a dataflow's sinks: side b first (creates make the links), then side a."""


@task(task_run_name="plan {flow_name}")
def plan_flow(
    project_dir: str | None, flow_name: str, dry_run: bool, force: bool, full: bool = False
) -> dict[str, Any]:
    """Reconcile one dataflow (every pair when ``full``) and check its breakers; the plan waits for the pushes."""
    with open_project(project_dir) as project:
        result = project.plan_flow(flow_name, dry_run=dry_run, force=force, full=full)
    logger = get_run_logger()
    logger.info(
        "%s: %d creates, %d updates to the shop, %d to SuperOffice, %d deactivations, %d matched, %d conflicts%s",
        flow_name, result.creates, result.updates_to_shop, result.updates_to_superoffice, result.deactivations,
        result.matched, result.conflicts, " (dry run: nothing will be sent)" if dry_run else "",
    )  # fmt: skip
    if result.ambiguous:
        logger.warning("%s: %d ambiguous first-sync matches were not linked", flow_name, result.ambiguous)
    if result.stranded:
        logger.warning("%s: %d edits went nowhere, their link is closed: %s", flow_name, result.stranded_edits,
                       ", ".join(s["a_id"] for s in result.stranded))  # fmt: skip
    if result.waiting:
        logger.warning("%s: %d records wait for a link another flow has not made yet: %s", flow_name, result.waiting,
                       ", ".join(w["a_id"] for w in result.waits[:20]))  # fmt: skip
    return result.as_dict()


@task(retries=1, retry_delay_seconds=10, task_run_name="push {flow_name} to {system}")
def push_sink(project_dir: str | None, flow_name: str, target: str, system: str) -> dict[str, Any]:
    """One sink's planned changes (creates are idempotent and looked up after a lost answer: a retry is safe)."""
    with open_project(project_dir) as project:
        result = project.push_sink(flow_name, target)
    get_run_logger().info("%s -> %s: %s", flow_name, system, result.as_dict())
    return result.as_dict()


@task(task_run_name="commit {flow_name}")
def commit_flow(project_dir: str | None, flow_name: str) -> int:
    """Advance the agreed state for what the sinks confirmed; record dead letters."""
    with open_project(project_dir) as project:
        letters = project.commit_flow(flow_name)
    get_run_logger().info("%s: %d live dead letters", flow_name, letters)
    return letters


@flow(name="push", flow_run_name="push {flow_name}", persist_result=False)
def push_dataflow(
    flow_name: str,
    dry_run: bool = False,
    force: bool = False,
    full: bool = False,
    project_dir: str | None = None,
    result_for: str | None = None,
) -> dict[str, Any]:
    """A dataflow's plan, a push per sink, and the commit, as separate tasks (one plan serves both sinks), while
    holding the dataflow's concurrency limit: a second run of the same dataflow, on any worker, waits for it.
    With ``result_for`` (the id of the sync run that started it), the result goes to the dataset root for that
    run to read (``run_results.py``): the root is all the two share besides the server, whichever worker runs each.
    """
    with limits.held([limits.flow_limit(flow_name)]):
        result = _push(project_dir, flow_name, dry_run, force, full)
    if result_for is not None:
        with open_project(project_dir) as project:
            save_push_result(project.sync_state, result_for, flow_name, result)
    return result


def _push(project_dir: str | None, flow_name: str, dry_run: bool, force: bool, full: bool) -> dict[str, Any]:
    result = plan_flow(project_dir, flow_name, dry_run, force, full)
    if dry_run:
        return result
    sinks = dict(zip(SINK_ORDER, (s["sink"] for s in result["sinks"]), strict=True))  # "customwebshop.customers"
    result["sinks"] = [push_sink(project_dir, flow_name, t, sinks[t].split(".")[0]) for t in SINK_ORDER]
    result["dead_letters"] = commit_flow(project_dir, flow_name)
    result["writes"] = sum(s["created"] + s["updated"] + s["deactivated"] + s["failed"] for s in result["sinks"])
    return result


def push_flow(project_dir: str | None, flow_name: str, dry_run: bool, force: bool, full: bool,
              deployment: str | None) -> dict[str, Any]:  # fmt: skip
    """One dataflow's ``push`` run: a run of ``deployment`` that any worker of its pool may take (this run
    waits for it, then reads its result from the dataset root), or, without one, a subflow here."""
    params = {"flow_name": flow_name, "dry_run": dry_run, "force": force, "full": full, "project_dir": project_dir}
    if deployment is None:
        return push_dataflow(**params)
    from prefect.deployments import run_deployment
    from prefect.runtime import flow_run

    sync_run = str(flow_run.id)
    given = {k: v for k, v in params.items() if v is not None}  # an unset project_dir: the deployment's own
    run = run_deployment(deployment, parameters={**given, "result_for": sync_run}, flow_run_name=f"push {flow_name}",
                         poll_interval=2)  # fmt: skip
    if run.state is None or not run.state.is_completed():
        message = run.state.message if run.state else "no state"
        raise RuntimeError(f"push {flow_name} ({deployment}, flow run {run.id}) did not complete: {message}")
    with open_project(project_dir) as project:
        return take_push_result(project.sync_state, sync_run, flow_name, str(run.id))


@task(task_run_name="list conflicts and dead letters")
def list_issues(project_dir: str | None, names: list[str], since: str) -> dict[str, Any]:
    """What needs a person: the conflicts this run detected and every live dead letter (the first
    ``ISSUE_ROWS`` of each, with the totals), for the summary artifact."""
    with open_project(project_dir) as project:
        letters = [asdict(d) for d in project.dead_letters() if d.flow in names or d.flow == PULL]
        conflicts = [
            c for c in project.conflicts().to_pylist() if c.get("flow") in names and str(c.get("detected_at")) >= since
        ]
    if letters:
        get_run_logger().warning("%d dead letters: `sluice deadletters list`", len(letters))
    return {
        "conflicts": conflicts[:ISSUE_ROWS],
        "conflicts_total": len(conflicts),
        "dead_letters": letters[:ISSUE_ROWS],
        "dead_letters_total": len(letters),
    }


@flow(
    name="sync",
    log_prints=False,
    task_runner=ThreadPoolTaskRunner(max_workers=PULL_THREADS),
    persist_result=True,
    result_serializer="json",
)
def sync(
    full: bool = False,
    flows: list[str] | None = None,
    dry_run: bool = False,
    force: bool = False,
    project_dir: str | None = None,
    deep: bool = False,
    push_deployment: str | None = None,
) -> dict[str, Any]:
    """Pull, transform and push every enabled dataflow (or those named in ``flows``).

    ``full`` lists everything (delete detection) and fetches only what may have changed; ``deep`` also
    re-reads every record; ``dry_run`` computes and reports every delta without sending a single write;
    ``force`` overrides the circuit breakers for an intended change; ``push_deployment`` (the scheduled
    deployments set it) runs each dataflow's push as a run of that deployment, on whichever worker takes it.
    """
    started = datetime.now(UTC).isoformat()
    with open_project(project_dir) as project, project.sync_lock():
        names = project.flow_names(flows)
        steps = project.steps(names)
        systems = {d: s.system for d, s in project.sources().items()}
        limits.ensure(step_limits(steps))
        return _sync(project_dir, names, steps, systems, full or deep, dry_run, force, started, deep, push_deployment)


def step_limits(steps: list[Step]) -> list[str]:
    """The concurrency limits the steps take: one per pulled or piped dataset, one per dataflow."""
    return [limits.flow_limit(n) if s.kind == "flow" else limits.dataset_limit(n) for s in steps for n in s.names]


def _sync(project_dir: str | None, names: list[str], steps: list[Step], systems: dict[str, str], full: bool,
          dry_run: bool, force: bool, started: str, deep: bool = False,
          push_deployment: str | None = None) -> dict:  # fmt: skip
    """The flow's body, run while the project's sync lock is held (the deployments never interleave on one
    machine; across machines each step's concurrency limit keeps them apart): the pulls on the thread pool,
    each system's one after the other and the systems side by side, then the pipes and flows step by step."""
    futures, last = [], {}  # last: each system's latest pull, which its next one waits for
    for dataset in (s.names[0] for s in steps if s.kind == "pull"):
        system = systems[dataset]
        after = [last[system]] if system in last else []
        last[system] = pull_dataset.submit(project_dir, dataset, full, force, deep, wait_for=after)
        futures.append(last[system])
    pulls = [future.result() for future in futures]  # the first failed pull fails the run
    pipes, results = [], []
    for step in steps:
        if step.kind == "pipes":
            pipes += run_pipes(project_dir, list(step.names))
        elif step.kind == "flow":
            results.append(push_flow(project_dir, step.names[0], dry_run, force, full, push_deployment))
    issues = list_issues(project_dir, names, started)
    summary = {"full": full, "deep": deep, "dry_run": dry_run, "pulls": pulls, "pipes": pipes, "flows": results,
               "issues": issues}  # fmt: skip
    publish_artifacts(summary)
    return summary


def summary_rows(summary: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The run's counts as two tables: per dataset (pulls and pipes) and per sink."""
    datasets = [
        {"dataset": p["dataset"], "step": f"pull ({p['mode']})", "new": p["new"], "changed": p["changed"],
         "deleted": p["deleted"], "unchanged": p["unchanged"], "failed": p.get("failed", 0), "kept": p.get("kept", 0),
         "seconds": p.get("seconds", 0.0), "rows_per_second": p.get("rows_per_second", 0.0)}
        for p in summary["pulls"]
    ] + [
        {"dataset": p["pipe"], "step": pipe_step(p["skipped"], p.get("changed_only", False)), "new": p.get("new", 0),
         "changed": p.get("changed", 0), "deleted": p.get("deleted", 0), "unchanged": p.get("unchanged", 0),
         "seconds": p.get("seconds", 0.0), "rows_per_second": p.get("rows_per_second", 0.0)}
        for p in summary["pipes"]
    ]  # fmt: skip
    sinks = [
        {"flow": f["flow"], "sink": s["sink"], "created": s["created"], "updated": s["updated"],
         "deactivated": s["deactivated"], "failed": s["failed"], "dead_lettered": s["dead_lettered"],
         "push_seconds": s.get("seconds", 0.0), "writes_per_second": s.get("writes_per_second", 0.0),
         "reconciled": f.get("rows", 0), "reconcile_seconds": f.get("seconds", 0.0),
         "reconcile_rows_per_second": f.get("rows_per_second", 0.0)}
        for f in summary["flows"] for s in f["sinks"]
    ]  # fmt: skip
    return datasets, sinks


def flow_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per flow in the order the run pushed them: what it planned, sent and left waiting."""
    return [
        {"flow": f["flow"], "creates": f["creates"], "updates_to_shop": f["updates_to_shop"],
         "updates_to_superoffice": f["updates_to_superoffice"], "deactivations": f["deactivations"],
         "waiting": f.get("waiting", 0), "conflicts": f["conflicts"], "dead_letters": f.get("dead_letters", 0),
         "writes": f.get("writes", 0)}
        for f in summary["flows"]
    ]  # fmt: skip


def waiting_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Every record a flow held back for a missing link (an order whose contact is not linked yet), with why."""
    return [{"flow": f["flow"], "record": w["a_id"], "reason": w["reason"]} for f in summary["flows"]
            for w in f.get("waits", [])]  # fmt: skip


def publish_artifacts(summary: dict[str, Any]) -> None:
    """Per-run artifacts (keyed, so the UI shows their history): counts per dataset, per sink and per flow,
    the records waiting on a link, and a markdown summary of conflicts, waits, ambiguous matches and dead
    letters."""
    datasets, sinks = summary_rows(summary)
    mode = run_mode(summary)
    sent = "per sink (none sent)" if summary["dry_run"] else "sent per sink"
    create_table_artifact(
        datasets, key="sync-dataset-counts", description=f"{mode}: rows new / changed / deleted per dataset"
    )
    create_table_artifact(sinks, key="sync-sink-counts", description=f"{mode}: writes {sent}")
    create_table_artifact(
        flow_rows(summary), key="sync-flow-counts",
        description=f"{mode}: what moved per flow, in run order (references first), and what waits on a link",
    )  # fmt: skip
    waiting = waiting_rows(summary)
    create_table_artifact(
        waiting, key="sync-waiting",
        description=f"{mode}: {len(waiting)} records waiting on a link another flow has not made yet",
    )  # fmt: skip
    create_markdown_artifact(
        render_summary(summary), key="sync-summary", description=f"{mode}: conflicts and dead letters"
    )


def run_mode(summary: dict[str, Any]) -> str:
    """The run's mode as an operator scanning the artifact history needs it: "Incremental sync" or
    "Full sync", and "dry run" only when nothing was sent."""
    mode = "Deep sync" if summary.get("deep") else "Full sync" if summary["full"] else "Incremental sync"
    return f"{mode}, dry run" if summary["dry_run"] else mode


def render_summary(summary: dict[str, Any]) -> str:
    sent = "Dry run: every delta was computed, no write was sent." if summary["dry_run"] else "The writes were sent."
    lines = [f"# {run_mode(summary)}", "", sent, ""]
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
            f"- links reopened {f.get('reopened_links', 0)} (records back from deletion), records recreated "
            f"{f.get('recreates', 0)}, edits that went nowhere (link closed) {f.get('stranded_edits', 0)}",
            *_stranded_lines(f),
            f"- waiting on a link {f.get('waiting', 0)} (not sent, not dead-lettered; sent in the run that links them)",
            "",
        ]
    waiting = waiting_rows(summary)
    lines += _issue_table(
        "Records waiting on a link", waiting[:ISSUE_ROWS], len(waiting), ["flow", "record", "reason"],
        "the `sync-waiting` artifact, `sluice sync`",
    )  # fmt: skip
    issues = summary.get("issues") or {}
    lines += _issue_table(
        "Conflicts detected in this run", issues.get("conflicts", []), issues.get("conflicts_total", 0),
        ["flow", "a_id", "b_id", "field", "superoffice_value", "customwebshop_value", "winner"],
        "`sluice datasets show sync_conflicts`",
    )  # fmt: skip
    lines += _issue_table(
        "Dead letters", issues.get("dead_letters", []), issues.get("dead_letters_total", 0),
        ["flow", "target", "op", "a_id", "b_id", "status", "attempts", "first_failed", "next_retry", "reason"],
        "`sluice deadletters list`; replay with `sluice deadletters retry`",
    )  # fmt: skip
    return "\n".join(lines)


def _stranded_lines(flow: dict[str, Any]) -> list[str]:
    """The flow's edits that went nowhere because their link is closed, one per line (the first ``ISSUE_ROWS``)."""
    return [
        f"  - SuperOffice {s['a_id']} (shop {s['b_id']}; fields: {', '.join(s['fields']) or 'none'}): {s['reason']}"
        for s in flow.get("stranded", [])[:ISSUE_ROWS]
    ]


def _issue_table(title: str, rows: list[dict[str, Any]], total: int, columns: list[str], command: str) -> list[str]:
    if not total:
        return []
    shown = f"the first {len(rows)} of {total}" if total > len(rows) else f"{total}"
    lines = [f"## {title} ({shown}; all: {command})", "", "| " + " | ".join(columns) + " |"]
    lines.append("|" + " --- |" * len(columns))
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    return [*lines, ""]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")[:120]
