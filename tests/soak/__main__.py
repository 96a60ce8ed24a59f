"""``python -m tests.soak --scenarios N``: run the fault campaign and print its figures (``make soak``).

Rule: a thin CLI over runner.run_campaign; exit code 1 when any invariant failed, with each finding's seed.
A long run is resumable: ``--json`` is rewritten after every scenario with the seeds done and the commit they ran
on, and ``--resume FILE`` runs only the seeds still to do, on the same commit, flows and features, adding to the
file's figures (a thousand scenarios take three hours on two cores, longer than a session may last).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.soak.figures import Figures
from tests.soak.runner import ADAPTERS, DEFAULT_FEATURES, FEATURES, Options, run_campaign


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1, help="the first scenario's seed; scenario i runs seed+i")
    parser.add_argument("--flow", action="append", choices=sorted(ADAPTERS), help="default: every flow")
    parser.add_argument(
        "--feature",
        action="append",
        default=[],
        choices=sorted(FEATURES),
        help="switch on a generator of known-bug inputs",
    )
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (each runs whole scenarios)")
    parser.add_argument("--stories", type=Path, help="write each failed scenario's story to this folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--quiet", action="store_true", help="no line per scenario")
    parser.add_argument(
        "--resume",
        type=Path,
        help="a --json file of a run stopped early: run the seeds it has not, writing to it (none yet: start one)",
    )
    args = parser.parse_args(argv)
    for name in [n for n in os.environ if n.startswith("SLUICE_")]:  # the campaign's systems only
        del os.environ[name]
    flows = tuple(args.flow or ADAPTERS)
    options = Options(flows=flows, features=DEFAULT_FEATURES | set(args.feature), stories=args.stories)
    run = {"commit": _commit(), "flows": sorted(flows), "features": sorted(options.features)}
    run |= {"first_seed": args.seed, "scenarios": args.scenarios}
    total, done, before = Figures(), set[int](), 0.0
    if args.resume and args.resume.exists():  # none yet: the first run of a resumable campaign
        try:
            total, done, before = _resumed(json.loads(args.resume.read_text()), run)
        except (OSError, ValueError, KeyError) as exc:
            print(f"soak: cannot resume from {args.resume}: {exc}", file=sys.stderr)
            return 2
    out = args.json or args.resume
    started = time.monotonic() - before

    def report(seed: int, figures: Figures, total: Figures) -> None:
        done.add(seed)
        if not args.quiet:
            found = "; ".join(v.line() for v in figures.violations[:3]) or "ok"
            counts = f"{figures.syncs} syncs, {figures.edits} edits, {figures.faults} faults"
            print(f"scenario {seed}: {counts}: {found}", flush=True)
        if out:  # after every scenario, so a long run stopped early still leaves its figures
            data = {"run": run, "done": sorted(done), "seconds": round(time.monotonic() - started)}
            staged = out.with_name(out.name + ".tmp")  # renamed over it: a run killed mid-write leaves the last one
            staged.write_text(json.dumps(data | total.as_json(), indent=2) + "\n")
            staged.replace(out)

    todo = [s for s in range(args.seed, args.seed + args.scenarios) if s not in done]
    if done:
        print(f"soak: resuming, {len(done)} scenarios done, {len(todo)} to run", flush=True)
    figures = run_campaign(todo, options, report, jobs=args.jobs, total=total)
    print(f"\nsoak: {time.monotonic() - started:.0f} s, features {sorted(options.features) or 'none'}")
    print(figures.summary())
    for violation in figures.violations:
        print(violation.line())
    return 1 if figures.violations else 0


def _resumed(data: dict[str, Any], run: dict[str, Any]) -> tuple[Figures, set[int], float]:
    """A stopped run's totals, seeds done and seconds spent; refused unless it ran these scenarios on this code."""
    differs = [k for k in run if data["run"].get(k) != run[k]]
    if differs or run["commit"] is None:
        what = ", ".join(f"{k} {data['run'].get(k)!r} (now {run[k]!r})" for k in differs) or "no git commit"
        raise ValueError(f"it ran another campaign: {what}")
    return Figures.from_json(data), set(data["done"]), float(data["seconds"])


def _commit() -> str | None:
    """The commit the campaign runs on, ``-dirty`` when the work tree has changes (None outside git)."""
    try:
        describe = ["git", "describe", "--always", "--dirty", "--abbrev=40"]
        found = subprocess.run(describe, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return found.stdout.strip() or None


if __name__ == "__main__":
    sys.exit(main())
