"""``python -m tests.soak --scenarios N``: run the fault campaign and print its figures (``make soak``).

Rule: a thin CLI over runner.run_campaign; exit code 1 when any invariant failed, with each finding's seed.
"""

from __future__ import annotations

import argparse
import json
import os
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
    args = parser.parse_args(argv)
    for name in [n for n in os.environ if n.startswith("SLUICE_")]:  # the campaign's systems only
        del os.environ[name]
    flows = tuple(args.flow or ADAPTERS)
    options = Options(flows=flows, features=DEFAULT_FEATURES | set(args.feature), stories=args.stories)
    started = time.monotonic()

    def report(seed: int, figures: Figures, total: Figures) -> None:
        if not args.quiet:
            found = "; ".join(v.line() for v in figures.violations[:3]) or "ok"
            counts = f"{figures.syncs} syncs, {figures.edits} edits, {figures.faults} faults"
            print(f"scenario {seed}: {counts}: {found}", flush=True)
        if args.json:  # after every scenario, so a long run stopped early still leaves its figures
            args.json.write_text(json.dumps(as_json(total, time.monotonic() - started), indent=2) + "\n")

    figures = run_campaign(range(args.seed, args.seed + args.scenarios), options, report, jobs=args.jobs)
    print(f"\nsoak: {time.monotonic() - started:.0f} s, features {sorted(options.features) or 'none'}")
    print(figures.summary())
    for violation in figures.violations:
        print(violation.line())
    return 1 if figures.violations else 0


def as_json(figures: Figures, seconds: float) -> dict[str, Any]:
    data: dict[str, Any] = {k: v for k, v in vars(figures).items() if k not in ("violations", "actions")}
    data |= {"lost": figures.lost, "duplicates": figures.duplicates, "seconds": round(seconds)}
    data["actions"] = dict(figures.actions)
    data["violations"] = [v.line() for v in figures.violations]
    return data


if __name__ == "__main__":
    sys.exit(main())
