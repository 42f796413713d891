"""Benchmark: reference runs (CL601–CL604): false alarms on healthy runs, and what they cost.

Run by hand (never in CI)::

    python benchmarks/bench_reference.py false-alarms --sets 10 --candidates 25
    python benchmarks/bench_reference.py cost --repeat 5

``false-alarms`` draws ``--sets`` reference sets of ``--references`` healthy coord runs and
``--candidates`` healthy candidates per set, every one with its own seed and one of four eval
grids (every 40, 50, 60 or 80 steps), like the tests' references
(``tests/reference/_coord_runs.py``: a run's final levels vary by ~1% with a factor shared by
its metrics, its speed by ~10%, its evals by 0.5%). Each set's references go through
``coordlint reference build``, its candidates through one ``coordlint check CANDIDATES
--reference FILE --select CL601,CL602,CL603 -f json``; a candidate with any finding is a
false alarm. ``--faults N`` also plants, per set, N candidates of each acceptance fault (bin
MAE settling 20% higher, confinement 4x later, soft-CE ending 15% higher) and counts how many
the rules catch.

``cost`` writes ``bench_load.py``'s 500k-scalar run (100 train tags, 5,000 steps) plus the coord
eval tags every 100 steps, and ten reference runs like it (other seeds), builds their reference
file, and times ``coordlint check RUN -f json`` with and without ``--reference FILE``, whole
processes, interleaved, best of ``--repeat``: with ``--no-cache`` and with a warm cache.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "reference"))

from _coord_runs import Draw, coord_curves, healthy_grid, write_coord_run
from bench_load import write_event_run

from coordlint.testing import write_events

PY = sys.executable
FAULTS = {
    "bin MAE +20%": {"bin_mae_scale": 1.2},
    "confinement 4x later": {"confine_delay": 4.0},
    "soft-CE ends +15%": {"soft_ce_end_rise": 0.15},
}


def coordlint(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([PY, "-m", "coordlint", *args], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"coordlint {' '.join(args[:3])} failed: {done.stderr[-1500:]}")
    return done


def judged(candidates: Path, refs: Path) -> tuple[dict[str, set[str]], Counter[tuple[str, str]]]:
    """Each candidate's name -> the codes CL601–CL603 found on it; and findings by (code, tag)."""
    out = coordlint(
        "check", str(candidates), "--reference", str(refs), "--isolated",
        "--select", "CL601,CL602,CL603", "-f", "json", "--no-cache",
    )  # fmt: skip
    report = json.loads(out.stdout)
    found: dict[str, set[str]] = {r["name"]: set() for r in report["runs"]}
    for f in report["findings"]:
        found[f["run"]].add(f["code"])
    return found, Counter((f["code"], f["tag"]) for f in report["findings"])


def false_alarms(args: argparse.Namespace) -> None:
    root = Path(args.dir or tempfile.mkdtemp(prefix="coordlint-refbench-"))
    fired, total, per_set = 0, 0, []
    tags: Counter[tuple[str, str]] = Counter()
    caught: Counter[str] = Counter()
    try:
        for k in range(args.sets):
            base = root / f"set-{k}"
            refs = [
                write_coord_run(
                    base / "refs" / f"ref-{i}",
                    Draw(seed=10_000 + 100 * k + i, eval_every=healthy_grid(i)),
                )
                for i in range(args.references)
            ]
            ref_file = base / "coordlint-reference.json"
            coordlint("reference", "build", *map(str, refs), "-o", str(ref_file), "--isolated")
            for j in range(args.candidates):
                draw = Draw(seed=900_000 + 1000 * k + j, eval_every=healthy_grid(j + k))
                write_coord_run(base / "healthy" / f"c{j}", draw)
                for f, change in enumerate(FAULTS.values()):
                    if j < args.faults:
                        faulty = replace(draw, seed=draw.seed + 500 + f, **change)
                        write_coord_run(base / f"fault-{f}" / f"c{j}", faulty)
            found, by_tag = judged(base / "healthy", ref_file)
            tags += by_tag
            alarms = sum(1 for codes in found.values() if codes)
            fired, total = fired + alarms, total + len(found)
            per_set.append(alarms)
            for f, fault in enumerate(FAULTS if args.faults else ()):
                for codes in judged(base / f"fault-{f}", ref_file)[0].values():
                    caught[fault] += bool(codes)
                    for code in sorted(codes):
                        caught[f"{fault}, by {code}"] += 1
            print(f"set {k}: {alarms}/{len(found)} healthy candidates fired", flush=True)
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nfalse alarms: {fired}/{total} = {fired / total:.2%} of healthy candidates")
    print(f"per set (of {args.candidates}): {per_set}")
    for (code, tag), n in tags.most_common():
        print(f"  {code} {tag}: {n}")
    for fault, n in caught.items():
        planted = args.faults * args.sets
        print(f"caught {fault}: {n}/{planted} = {n / planted:.0%}")


def write_big_run(run_dir: Path, seed: int) -> Path:
    """500k train scalars (bench_load.py's run) plus coord eval tags every 100 steps."""
    write_event_run(run_dir, 500_000, n_histograms=0, t0=1.7e9 + seed)
    curves = coord_curves(Draw(seed=seed, eval_every=100, last_step=5000, train_every=5000))
    evals = {tag: points for tag, points in curves.items() if tag.startswith("eval/")}
    write_events(run_dir, evals, start_time=1.8e9 + seed)
    return run_dir


def timed(cmd: list[str], timings: list[float]) -> None:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr[-1500:])
    timings.append(time.perf_counter() - start)


_IN_PROCESS = """
import sys, time
import pandas
from pathlib import Path
from coordlint.core.session import Session, Setup
from coordlint.execution.collect import LoadOptions, collect_runs
run, refs, cache, repeat = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
options = LoadOptions(cache_dir=cache)
plain, ref = [], []
for _ in range(repeat):
    for with_refs, times in ((False, plain), (True, ref)):
        session = Session.open(Setup(isolated=True))
        t = time.perf_counter()
        if with_refs:
            session.use_references([refs], options)
        session.check(collect_runs([run], options, executor=None))
        times.append(time.perf_counter() - t)
print(min(plain), min(ref))
"""


def in_process(run: Path, refs: Path, cache: Path, repeat: int) -> tuple[float, float]:
    """Best of ``repeat``: loading the run (warm cache) and every rule, without and with
    reading the reference file, in one process after the imports."""
    cmd = [PY, "-c", _IN_PROCESS, str(run), str(refs), str(cache), str(repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def cost(args: argparse.Namespace) -> None:
    root = Path(args.dir or tempfile.mkdtemp(prefix="coordlint-refcost-"))
    try:
        run = root / "run"
        if not run.exists():
            write_big_run(run, seed=1)
        refs = [root / "refs" / f"ref-{i}" for i in range(10)]
        for i, ref in enumerate(refs):
            if not ref.exists():
                write_big_run(ref, seed=100 + i)
        ref_file = root / "coordlint-reference.json"
        start = time.perf_counter()
        coordlint("reference", "build", *map(str, refs), "-o", str(ref_file), "--no-cache")
        built = time.perf_counter() - start
        size = ref_file.stat().st_size
        print(f"reference file: 10 runs, {size / 1e6:.1f} MB, built in {built:.1f} s")
        cache = root / "cache"
        base = [PY, "-m", "coordlint", "check", str(run), "-f", "json", "--isolated"]
        with_ref = ["--reference", str(ref_file)]
        rows = []
        for label, extra in (
            ("--no-cache", ["--no-cache"]),
            ("warm cache", ["--cache-dir", str(cache)]),
        ):
            subprocess.run([*base, *extra], capture_output=True)  # fills the cache
            plain: list[float] = []
            ref: list[float] = []
            for _ in range(args.repeat):  # interleaved: this machine's speed drifts
                timed([*base, *extra], plain)
                timed([*base, *extra, *with_ref], ref)
            rows.append((label, min(plain), min(ref)))
        plain, ref = in_process(run, ref_file, cache, args.repeat)
        rows.append(("in one process, warm cache, after the imports", plain, ref))
        print("\n| check of the 500k-scalar run | without | with --reference (10 runs) | ratio |")
        print("|---|---|---|---|")
        for label, a, b in rows:
            what = label if label.startswith("in one") else f"`coordlint check -f json`, {label}"
            print(f"| {what} | {a:.3f} s | {b:.3f} s | {b / a:.3f} |")
        report = json.loads(
            subprocess.run([*base, *with_ref], capture_output=True, text=True).stdout
        )
        codes = Counter(f["code"] for f in report["findings"] if f["code"].startswith("CL6"))
        print(f"\nCL60x findings on the run: {dict(codes) or 'none'}")
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    fa = sub.add_parser("false-alarms", help="healthy candidates that CL601-CL603 fire on")
    fa.add_argument("--sets", type=int, default=10)
    fa.add_argument("--references", type=int, default=5)
    fa.add_argument("--candidates", type=int, default=25)
    fa.add_argument("--faults", type=int, default=0, help="planted faults per kind and set")
    fa.add_argument("--dir", type=Path, help="keep the runs here (default: a temp dir)")
    co = sub.add_parser("cost", help="a check with a 10-run reference file against without")
    co.add_argument("--repeat", type=int, default=3)
    co.add_argument("--dir", type=Path, help="keep the runs here (default: a temp dir)")
    args = parser.parse_args()
    if args.what == "false-alarms":
        false_alarms(args)
    else:
        cost(args)


if __name__ == "__main__":
    main()
