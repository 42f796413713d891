"""Benchmark: gating a checkpoint costs no more than checking its run.

Run by hand (never in CI)::

    python benchmarks/bench_gate.py --dir /tmp/bscale            # reuses bench_scale's 10M run
    python benchmarks/bench_gate.py --scalars 2000000 --repeat 5

Writes (or reuses, with ``--dir``) ``bench_scale.py``'s run of ``--scalars`` points over 200 tags
plus the coord eval tags, and puts an empty ``checkpoint-<middle step>/`` directory beside its
event file: the checkpoint a gate judges the run as of (every tag straddles it). Then times, best
of ``--repeat`` with the two commands interleaved (this machine's speed drifts):

* whole processes, ``coordlint check ARG -f json`` with ARG the run and then the checkpoint,
  with ``--no-cache`` (every point decoded) and with a warm cache (only what rules read);
* in one process, after the imports: ``collect_runs`` plus every rule through the engine (what a
  ``watch`` re-check or a library check costs), no cache and warm.

Each check of the checkpoint must name it ``<run>@<step>`` and hold fewer points than the run.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import N_TAGS, measure, write_run

PY = sys.executable

_IN_PROCESS = """
import sys, time
from pathlib import Path
import pandas
from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.core.plugins import load_plugins
from coordlint.execution.collect import LoadOptions, collect_runs
rules = load_plugins().rules
settings = Settings()
settings.validate(rules)
cache = None if sys.argv[2] == '-' else Path(sys.argv[2])
t = time.perf_counter()
runs = collect_runs([sys.argv[1]], LoadOptions(cache_dir=cache), executor=None)
report = engine.check(runs, rules, settings)
print(time.perf_counter() - t, len(report.findings), report.runs[0].name)
"""


def in_process(arg: Path, cache: str, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        out = subprocess.run(
            [PY, "-c", _IN_PROCESS, str(arg), cache], capture_output=True, text=True
        )
        if out.returncode:
            raise RuntimeError(out.stderr[-1500:])
        best = min(best, float(out.stdout.split()[0]))
    return best


def report_of(arg: Path, *options: str) -> dict:
    cmd = [PY, "-m", "coordlint", "check", str(arg), "-f", "json", "--exit-zero", *options]
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where the run is (default: a temp dir)")
    parser.add_argument("--scalars", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="coordlint-gate-"))
    n = args.scalars
    run = root / f"run_{n}_coord"
    if not run.exists():
        t = time.perf_counter()
        write_run(run, n, N_TAGS)
        print(f"wrote {run} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    middle = math.ceil(n / N_TAGS) // 2
    checkpoint = run / f"checkpoint-{middle}"
    checkpoint.mkdir(exist_ok=True)
    cache = root / "gate-cache"

    whole, gated = report_of(run, "--no-cache"), report_of(checkpoint, "--no-cache")
    (w,), (g,) = whole["runs"], gated["runs"]
    assert g["name"] == f"{w['name']}@{middle}" and g["points"] < w["points"], (w, g)
    print(f"run: {w['points']} points; checkpoint-{middle}: {g['points']} points", file=sys.stderr)
    report_of(run, "--cache-dir", str(cache))  # fill the cache

    rows = []
    for label, options in (
        ("--no-cache", ["--no-cache"]),
        ("warm cache", ["--cache-dir", str(cache)]),
    ):
        times: dict[str, float] = {"run": math.inf, "checkpoint": math.inf}
        for _ in range(args.repeat):  # interleaved: the machine's drift hits both alike
            for name, arg in (("run", run), ("checkpoint", checkpoint)):
                cmd = [PY, "-m", "coordlint", "check", str(arg), "-f", "json", *options]
                times[name] = min(times[name], measure(cmd)[0])
        rows.append((f"`coordlint check -f json`, {label}", times["run"], times["checkpoint"]))
    for label, where in (("no cache", "-"), ("warm cache", str(cache))):
        rows.append(
            (
                f"in process: load + every rule, {label}",
                in_process(run, where, args.repeat),
                in_process(checkpoint, where, args.repeat),
            )
        )
    print(f"\n{n} scalars, checkpoint at step {middle} of {math.ceil(n / N_TAGS) - 1}\n")
    print("| what | run (s) | checkpoint (s) | checkpoint / run |")
    print("|---|---|---|---|")
    for what, a, b in rows:
        print(f"| {what} | {a:.3f} | {b:.3f} | {b / a:.2f} |")


if __name__ == "__main__":
    main()
