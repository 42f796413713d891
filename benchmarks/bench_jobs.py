"""Benchmark: ``coordlint check --jobs N`` on a sweep, serial against N worker processes.

Run by hand (never in CI)::

    python benchmarks/bench_jobs.py                        # 200 runs x 100k scalars, jobs 1 and 2
    python benchmarks/bench_jobs.py --runs 50 --jobs 1 2 4 --repeat 3

Each run is a hard link to one PyTorch-style event file written by ``bench_load.py``'s writer
(same bytes as tensorboard's), so the sweep costs no extra disk; every run is still read and
decoded on its own. Times whole ``python -m coordlint check SWEEP -f json`` processes, best of
``--repeat`` (the repeats interleave the ``--jobs`` values), and checks that every ``--jobs``
gives the same report as the first. ``--cache none`` (default) checks with ``--no-cache``;
``--cache cold`` empties a cache directory before each check (a first check as users run it);
``--cache warm`` re-checks unchanged runs.

With N > 1 among ``--jobs``, it also times the ceiling N cores of this machine allow: N separate
``--jobs 1`` processes at once, each checking 1/N of the runs (nothing shared, no pool; start-up
paid N times in parallel). ``--jobs N`` cannot beat that; how close it comes is its overhead.

``--pin`` confines ``--jobs N`` to N cores (CPU affinity, as ``taskset`` does), so ``--jobs 1``
is the serial time on one core and the ratio is the speed-up N cores bring. Unpinned, the
serial check already uses a second core (its decode thread), so its ratio is smaller.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import write_event_run


def make_sweep(root: Path, runs: int, scalars: int) -> Path:
    source = write_event_run(root / "_source", scalars)
    sweep = root / "sweep"
    for i in range(runs):
        run_dir = sweep / f"lr{i % 10}" / f"seed{i:03d}"
        run_dir.mkdir(parents=True, exist_ok=True)
        target = run_dir / source.name
        if target.exists():  # a sweep from an earlier --dir run: same bytes
            target.unlink()
        os.link(source, target)
    return sweep


def make_parts(root: Path, sweep: Path, parts: int) -> list[Path]:
    """The sweep's runs dealt into ``parts`` directories (hard links): the input of the
    independent-processes reference."""
    runs = sorted(p.parent for p in sweep.rglob("*tfevents*"))
    dirs = [root / f"part{k}of{parts}" for k in range(parts)]
    for directory in dirs:  # parts from an earlier --dir run
        shutil.rmtree(directory, ignore_errors=True)
    for i, run in enumerate(runs):
        target = dirs[i % parts] / run.relative_to(sweep)
        target.mkdir(parents=True, exist_ok=True)
        for file in run.iterdir():
            os.link(file, target / file.name)
    return dirs


def time_independent(parts: list[Path], cache: str) -> float:
    """``len(parts)`` separate ``coordlint check --jobs 1`` processes at once, one a part:
    how far N cores of this machine take N copies of the serial check, with nothing shared."""
    procs = []
    start = time.perf_counter()
    for k, part in enumerate(parts):
        cmd = [sys.executable, "-m", "coordlint", "check", str(part), "--isolated"]
        cmd += ["-f", "json", "--exit-zero", "--jobs", "1"]
        cache_dir = part.parent / f"_cache_part{k}"
        if cache == "cold":
            shutil.rmtree(cache_dir, ignore_errors=True)
        cmd += ["--no-cache"] if cache == "none" else ["--cache-dir", str(cache_dir)]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL))
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"independent check exited {proc.returncode}")
    return time.perf_counter() - start


def time_check(sweep: Path, jobs: int, cache: str, pin: bool = False) -> tuple[float, bytes]:
    """One whole ``coordlint check`` process: seconds and its report."""
    cmd = [sys.executable, "-m", "coordlint", "check", str(sweep), "--isolated"]
    cmd += ["-f", "json", "--exit-zero", "--jobs", str(jobs)]
    cache_dir = sweep.parent / f"_cache_{jobs}"
    if cache == "cold":
        shutil.rmtree(cache_dir, ignore_errors=True)
    cmd += ["--no-cache"] if cache == "none" else ["--cache-dir", str(cache_dir)]
    cores = sorted(os.sched_getaffinity(0))[:jobs] if pin else None
    start = time.perf_counter()
    out = subprocess.run(
        cmd,
        check=True,
        capture_output=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None,
    ).stdout
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where to write the sweep (default: temp dir)")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--scalars", type=int, default=100_000, help="scalars per run")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1, help="best of N (default 1)")
    parser.add_argument(
        "--cache",
        choices=["none", "cold", "warm"],
        default="none",
        help="none: --no-cache, every file decoded (default); cold: an empty cache directory "
        "before each check (a first check as users run it: decode and write the cache); "
        "warm: a filled cache, every file unchanged",
    )
    parser.add_argument(
        "--pin", action="store_true", help="confine --jobs N to N cores (serial = one core)"
    )
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="coordlint-bench-jobs-"))
    try:
        start = time.perf_counter()
        sweep = make_sweep(root, args.runs, args.scalars)
        print(
            f"sweep: {args.runs} runs x {args.scalars} scalars in {sweep} "
            f"({time.perf_counter() - start:.1f} s to write); {os.cpu_count()} cores"
        )
        most = max(args.jobs)
        parts = make_parts(root, sweep, most) if most > 1 else []
        if args.cache == "warm":
            for jobs in args.jobs:
                time_check(sweep, jobs, "warm")  # fill it
            if parts:
                time_independent(parts, "warm")
        # Repeats interleave the --jobs values, so a drift of the machine's speed (a shared
        # VM's can be a third) hits them alike; each keeps its best.
        best: dict[int, tuple[float, bytes]] = {}
        independent = float("inf")
        for _ in range(args.repeat):
            for jobs in args.jobs:
                seconds, out = time_check(sweep, jobs, args.cache, args.pin)
                if jobs not in best or seconds < best[jobs][0]:
                    best[jobs] = (seconds, out)
            if parts:
                independent = min(independent, time_independent(parts, args.cache))
        first = args.jobs[0]
        for jobs in args.jobs:
            seconds, out = best[jobs]
            same = "same report" if out == best[first][1] else "REPORT DIFFERS"
            speedup = best[first][0] / seconds
            where = f" on {jobs} core{'s' if jobs > 1 else ''}" if args.pin else ""
            print(
                f"--jobs {jobs}{where}: {seconds:6.2f} s  "
                f"({speedup:.2f}x vs --jobs {first}; {same})"
            )
        if parts:
            print(
                f"{most} independent --jobs 1 processes, 1/{most} of the runs each: "
                f"{independent:6.2f} s  ({best[first][0] / independent:.2f}x vs --jobs {first}; "
                "the machine's ceiling)"
            )
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
