"""Benchmark per scalar encoding: PyTorch ``simple_value`` against TF2 tensors, each file against
TensorBoard's Rust data server and tbparse, as whole processes.

Run by hand (never in CI)::

    python benchmarks/bench_encodings.py --dir /tmp/benc                      # 2M and 10M
    python benchmarks/bench_encodings.py --dir /tmp/benc --sizes 2000000 --repeat 5
    python benchmarks/bench_encodings.py --dir /tmp/benc --tbparse-max 2000000

For each size and each encoding of :data:`bench_load.ENCODINGS` it writes one event file
(``--tags`` tags, plus 10 histograms and 10 64x64 images, TF2-style tensors in the TF2 files):

* ``torch``: ``simple_value`` (PyTorch, tensorboardX, HF);
* ``tf2-content``: a 0-d DT_FLOAT tensor in ``tensor_content`` with the ``scalars`` metadata on
  every event, as TF2's C++ writer emits it (``tf.summary.scalar``, Keras, Flax/CLU);
* ``tf2-floatval``: the same tensor with its value in ``float_val`` (``make_tensor_proto``);
* ``mixed``: the three alternate per tag.

Then it times, all cold and verifying every CRC, the repeats of each measurement interleaved
over the encodings (this shared machine drifts), and reports medians with their spread:

* ``coordlint check RUN -f json --no-cache`` (``--repeat`` times per file): wall time, CPU time
  (user + system: less sensitive to other processes on a shared machine) and the peak RSS of
  the process (``ru_maxrss``) above that of a process that only imports coordlint's CLI,
  loaders and rules;
* TensorBoard's Rust data server (``--rust-repeat``): start to every point read back over gRPC
  with ``--checksum`` (:func:`bench_scale.rust_server_time`);
* tbparse (``--tbparse-repeat``): ``SummaryReader(RUN).scalars`` for ``torch`` and ``.tensors``
  for the TF2 files (``.scalars`` and ``.tensors`` both for ``mixed``), on files up to
  ``--tbparse-max`` scalars; bigger sizes are extrapolated linearly from the largest measured
  size (the table says so).
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import ENCODINGS, write_event_run
from bench_scale import _BASELINE, PY, measure, rust_server_time

_WRAPPER = """
import resource, subprocess, sys, time
t = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - t
if done.returncode not in (0, 1):
    sys.stderr.write(done.stderr.decode()[-2000:]); sys.exit(3)
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(elapsed, use.ru_utime + use.ru_stime, use.ru_maxrss)
"""


def check_once(run: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one cold check."""
    cmd = [PY, "-m", "coordlint", "check", str(run), "-f", "json", "--no-cache"]
    done = subprocess.run([PY, "-c", _WRAPPER, *cmd], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{cmd[:6]} failed: {done.stderr[-1500:]}")
    wall, cpu, rss_kb = done.stdout.split()
    return float(wall), float(cpu), int(rss_kb) / 1024


_TBPARSE = """
import sys, tbparse
reader = tbparse.SummaryReader(sys.argv[1])
n = 0
if sys.argv[2] in ('torch', 'mixed'):
    n += len(reader.scalars)
if sys.argv[2] != 'torch':  # the TF2 histograms and images are tensors too
    tensors = reader.tensors
    n += int((~tensors.tag.isin(['weights/hist', 'samples/image'])).sum())
print(n)
"""


def run_dir(root: Path, n: int, encoding: str, n_tags: int) -> Path:
    path = root / f"{encoding}_{n}"
    if not path.exists():
        t = time.perf_counter()
        write_event_run(path, n, n_tags=n_tags, encoding=encoding, n_images=10)
        print(f"wrote {path} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return path


def tbparse_time(run: Path, encoding: str, n: int) -> float:
    t = time.perf_counter()
    done = subprocess.run(
        [PY, "-c", _TBPARSE, str(run), encoding], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - t
    if int(done.stdout) != n:
        raise RuntimeError(f"tbparse read {done.stdout.strip()} points of {run}, not {n}")
    return elapsed


def spread(xs: list[float]) -> str:
    med = statistics.median(xs)
    if len(xs) < 2:
        return f"{med:.2f}"
    return f"{med:.2f} ({min(xs):.2f}-{max(xs):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where to write the runs (default: a temp dir)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2_000_000, 10_000_000])
    parser.add_argument("--tags", type=int, default=100)
    parser.add_argument("--encodings", nargs="+", default=list(ENCODINGS), choices=ENCODINGS)
    parser.add_argument("--repeat", type=int, default=5, help="coordlint checks per file")
    parser.add_argument("--rust-repeat", type=int, default=3)
    parser.add_argument("--tbparse-repeat", type=int, default=1)
    parser.add_argument("--tbparse-max", type=int, default=2_000_000)
    parser.add_argument("--skip-rust", action="store_true")
    parser.add_argument("--skip-tbparse", action="store_true")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="coordlint-enc-"))
    _, base_rss = measure([PY, "-c", _BASELINE], 3)
    tbparse_per_point: dict[str, float] = {}
    lines = []
    for n in args.sizes:
        runs = {e: run_dir(root, n, e, args.tags) for e in args.encodings}
        last_step = math.ceil(n / args.tags) - 1
        ours: dict[str, list[float]] = {e: [] for e in runs}
        cpu: dict[str, list[float]] = {e: [] for e in runs}
        rss: dict[str, list[float]] = {e: [] for e in runs}
        rust: dict[str, list[float]] = {e: [] for e in runs}
        tbp: dict[str, list[float]] = {e: [] for e in runs}
        for _ in range(args.repeat):
            for e, run in runs.items():
                t, c, r = check_once(run)
                ours[e].append(t)
                cpu[e].append(c)
                rss[e].append(r - base_rss)
        for _ in range(0 if args.skip_rust else args.rust_repeat):
            for e, run in runs.items():
                rust[e].append(rust_server_time(run, n, args.tags, last_step))
        tbp_note = "measured"
        if not args.skip_tbparse and n <= args.tbparse_max:
            for _ in range(args.tbparse_repeat):
                for e, run in runs.items():
                    tbp[e].append(tbparse_time(run, e, n))
            for e in runs:
                tbparse_per_point[e] = statistics.median(tbp[e]) / n
        elif tbparse_per_point:
            tbp = {e: [tbparse_per_point[e] * n] for e in runs if e in tbparse_per_point}
            tbp_note = "extrapolated linearly"
        torch = statistics.median(ours["torch"]) if "torch" in ours else None
        torch_cpu = statistics.median(cpu["torch"]) if "torch" in cpu else None
        lines.append(f"\n{n:,} scalars, {args.tags} tags, cold (--no-cache), median (min-max)")
        lines.append(
            "| encoding | file MB | coordlint check s | / torch | CPU s | / torch"
            " | peak RSS MB above imports"
            " | Rust data server s | Rust / coordlint"
            f" | tbparse s ({tbp_note}) | tbparse / coordlint |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for e, run in runs.items():
            (event_file,) = run.glob("*tfevents*")
            med = statistics.median(ours[e])
            rel = f"{med / torch:.2f}x" if torch else "-"
            med_cpu = statistics.median(cpu[e])
            rel_cpu = f"{med_cpu / torch_cpu:.2f}x" if torch_cpu else "-"
            mem = statistics.median(rss[e])
            rust_s = spread(rust[e]) if rust[e] else "-"
            rust_r = f"{statistics.median(rust[e]) / med:.1f}x" if rust[e] else "-"
            tbp_s = spread(tbp[e]) if tbp.get(e) else "-"
            tbp_r = f"{statistics.median(tbp[e]) / med:.0f}x" if tbp.get(e) else "-"
            lines.append(
                f"| {e} | {event_file.stat().st_size / 1e6:.0f} | {spread(ours[e])} | {rel}"
                f" | {spread(cpu[e])} | {rel_cpu}"
                f" | {mem:.0f} ({mem / (n * 16 / 1e6):.2f}x"
                f" the step+value columns) | {rust_s} | {rust_r} | {tbp_s} | {tbp_r} |"
            )
        print("\n".join(lines[-(len(runs) + 3) :]), flush=True)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
