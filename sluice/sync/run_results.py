"""A push run's result, handed to the sync run that started it through the root's ``.sync`` state.

Rule: a sync run on one worker and the dataflow's ``push`` run on another share only the Prefect server and
the dataset root; Prefect's result storage is per machine unless configured otherwise. So the push writes its
result (wire JSON) to ``push-result-<sync run>-<dataflow>.json`` beside the datasets and the sync run takes it
from there (reads, then deletes it). A result that is missing or damaged is an error naming the push run,
never an empty success.
"""

from __future__ import annotations

from typing import Any

from sluice.datasets.sidefiles import SideFiles
from sluice.errors import SluiceError
from sluice.sync import wire


def result_name(sync_run: str, flow: str) -> str:
    """The side file of one dataflow's push result for one sync run."""
    if not sync_run or "/" in sync_run or "/" in flow:
        raise ValueError(f"bad push result key {sync_run!r}, {flow!r}")
    return f"push-result-{sync_run}-{flow}.json"


def save_push_result(state: SideFiles, sync_run: str, flow: str, result: dict[str, Any]) -> None:
    """Written once, at the end of the push run (an atomic write: a reader sees all of it or nothing)."""
    state.write(result_name(sync_run, flow), wire.dumps({"flow": flow, "result": result}))


def take_push_result(state: SideFiles, sync_run: str, flow: str, push_run: str) -> dict[str, Any]:
    """The result the push run ``push_run`` left for ``sync_run``, removed from the root once read."""
    name = result_name(sync_run, flow)
    data = state.read(name)
    if data is None:
        raise SluiceError(
            f"push {flow} (flow run {push_run}) completed but left no result in the dataset root ({name}); "
            "see that run's logs"
        )
    try:
        found = wire.loads(data)
    except SluiceError as exc:
        raise SluiceError(f"push {flow} (flow run {push_run}): its result in {name} is damaged: {exc}") from exc
    if not isinstance(found, dict) or found.get("flow") != flow or not isinstance(found.get("result"), dict):
        raise SluiceError(f"push {flow} (flow run {push_run}): its result in the dataset root ({name}) is not one")
    state.delete(name)
    return found["result"]
