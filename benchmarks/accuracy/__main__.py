"""Measure coordlint's per-rule accuracy on labelled synthetic runs (by hand, never in CI).

python benchmarks/accuracy                       # ~1,000 runs, seed 0, in a temp dir
python benchmarks/accuracy --runs 300 --seed 7 --misses
python benchmarks/accuracy --keep /tmp/acc --json /tmp/acc.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/accuracy`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "accuracy"

from accuracy.families import CODES, generate
from accuracy.report import breakdown, in_range, in_range_table, main_table, misses
from accuracy.score import check_groups, tally


def _numbers(results: dict) -> dict:
    """``{code: {"rule"|"naive": counts and rates}}`` as plain JSON."""
    rates = ("precision", "recall", "healthy_fp_rate", "step_accuracy")
    return {
        code: {which: {**vars(t), **{k: getattr(t, k) for k in rates}} for which, t in r.items()}
        for code, r in results.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="about this many runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the runs here and keep them")
    parser.add_argument("--json", type=Path, help="write the per-rule numbers here")
    parser.add_argument("--misses", action="store_true", help="list some wrong verdicts")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    groups = generate(args.runs, args.seed)
    generated = time.perf_counter() - started
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=False)
        checked, info = check_groups(groups, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="coordlint-accuracy-") as tmp:
            checked, info = check_groups(groups, Path(tmp))
    codes = info["codes"]
    total = time.perf_counter() - started

    print(f"{len(checked)} runs in {len(groups)} groups, seed {args.seed}\n")
    print(main_table(checked, codes, list(CODES)))
    print()
    print(in_range_table(checked, codes))
    print()
    print(breakdown(checked, codes))
    if args.misses:
        print()
        print(misses(checked, codes))
    if info["crashes"]:
        print("\nloader or rule problems (a benchmark bug or a rule crash):")
        print("\n".join(info["crashes"][:20]))
    t = info["timing"]
    print(
        f"\n{total:.1f} s: generate {generated:.1f}, write {t['write']:.1f}, "
        f"load {t['load']:.1f}, check {t['check']:.1f}"
    )
    if args.json:
        payload = {
            "overall": _numbers(tally(checked, codes)),
            "in_range": {
                code: _numbers(tally(checked, [code], in_range(code)))[code] for code in codes
            },
        }
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 1 if info["crashes"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
