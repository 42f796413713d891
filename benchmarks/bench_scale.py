"""Benchmark at scale: a 10M-scalar run, cold / warm / appended re-check, peak memory, against
tbparse and TensorBoard's Rust data server.

Run by hand (never in CI)::

    python benchmarks/bench_scale.py                       # 10M scalars, 200 tags, temp dir
    python benchmarks/bench_scale.py --dir /tmp/bscale --skip-tbparse
    python benchmarks/bench_scale.py --scalars 2000000 --tbparse-scalars 2000000

Every number is a whole process, started from a shell the way a user starts it, best of
``--repeat``:

* ``coordlint check RUN -f json`` cold: an empty ``--cache-dir`` every time (the cold check
  writes the cache, so it pays for that too); ``--no-cache`` as well.
* warm: the same command again, the cache filled and the file unchanged.
* append: the cache filled for the file minus its last ~1% of bytes, then the whole file: the
  re-check reads only the appended bytes (restored before every repeat).
* ``load_run`` alone (in a process), cold and warm, to show the loader without the rules;
  ``load_run`` plus every rule through the engine (imports and plugin loading done before the
  clock starts): what each re-check of ``coordlint watch`` costs, and a check as a library.
* peak memory: ``ru_maxrss`` of the check process (``resource.getrusage(RUSAGE_CHILDREN)`` in a
  fresh wrapper process per measurement) minus that of a process that only imports coordlint's
  CLI, its loaders and rules (numpy, pandas, protobuf) and exits.
* tbparse: ``SummaryReader(RUN).scalars`` (``--tbparse-scalars`` to measure it on a smaller run
  and extrapolate linearly; the table says so).
* Rust data server (``tensorboard-data-server``, what TensorBoard itself runs): the binary is
  started with ``--logdir RUN --port 0 --port-file F --reload once --samples-per-plugin
  scalars=all --checksum`` (every record CRC-checked, like coordlint); the clock runs from
  process start until ``ReadScalars`` over gRPC (the ``TensorBoardDataProvider`` stub, channel
  without a message size limit, ``Downsample(num_points=2**31-1)``) returns every point of every
  tag. It loads asynchronously, so ``ListScalars`` is polled every 20 ms until every tag's
  ``max_step`` is the last step written, then all points are read back and counted (and re-read
  if the count is still short).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import write_event_run

PY = sys.executable
N_TAGS = 200
T0 = 1.7e9


#: The coord eval curves the rules read (over progress x in [0, 1]): the soft-CE diagnostic
#: bottoms out at 60% and rises again, the bin MAE converges, the vocab mass is confined.
COORD_EVALS = {
    "eval/coord_softce_w1/ce": lambda x: 0.5 + 2.0 * (1 - x),
    "eval/coord_softce_w1/soft_ce": lambda x: 3.0 - 2.5 * x if x < 0.6 else 1.5 + 1.5 * (x - 0.6),
    "eval/coord_softce_w1/w1": lambda x: 1.0 + 10.0 * (1 - x),
    "eval/coord_softce_w1/gate": lambda x: 0.1,
    "eval/coord_diag/soft_ce": lambda x: 3.1 - 2.5 * x if x < 0.6 else 1.6 + 1.5 * (x - 0.6),
    "eval/coord_diag/expected_bin_mae": lambda x: 2.0 + 30.0 * math.exp(-5 * x),
    "eval/coord_diag/coord_vocab_mass": lambda x: 1.0 - 0.5 * math.exp(-200 * x),
    "eval/coord_monitor/flip_coord_to_noncoord": lambda x: 1e-4,
    "eval/text_token_acc": lambda x: 0.5 + 0.4 * x,
    "eval/loss": lambda x: 0.3 + 2.0 * (1 - x),
}
EVAL_EVERY = 500


def write_run(run_dir: Path, n_scalars: int, n_tags: int = N_TAGS) -> Path:
    """One PyTorch-style event file of ``n_scalars`` simple_value points over ``n_tags`` tags,
    plus :data:`COORD_EVALS` every :data:`EVAL_EVERY` steps: the exact bytes tensorboard's
    EventFileWriter writes (bench_load.py's verified writer)."""
    return write_event_run(
        run_dir,
        n_scalars,
        n_tags=n_tags,
        n_histograms=0,
        t0=T0,
        evals=COORD_EVALS,
        eval_every=EVAL_EVERY,
    )


def eval_points(n_scalars: int, n_tags: int) -> int:
    """How many points :func:`write_run` adds for the coord eval tags."""
    steps = math.ceil(n_scalars / n_tags)
    return len(COORD_EVALS) * len(range(steps - 1, -1, -EVAL_EVERY))


# -- whole-process measurements -------------------------------------------------------------

_RSS_WRAPPER = """
import resource, subprocess, sys, time
t = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - t
if done.returncode not in (0, 1):
    sys.stderr.write(done.stderr.decode()[-2000:]); sys.exit(3)
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(cmd: list[str], repeat: int = 1, before=None) -> tuple[float, float]:
    """Best wall time (s) and peak RSS (MB) of ``cmd`` over ``repeat`` runs."""
    best_t, best_rss = math.inf, math.inf
    for _ in range(repeat):
        if before is not None:
            before()
        done = subprocess.run([PY, "-c", _RSS_WRAPPER, *cmd], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{cmd[:6]} failed: {done.stderr[-1500:]}")
        t, rss_kb = done.stdout.split()
        best_t = min(best_t, float(t))
        best_rss = min(best_rss, int(rss_kb) / 1024)
    return best_t, best_rss


# The in-process scripts tune the allocator as the CLI does (coordlint.cli.allocator) and import
# pandas (the decoder's factorize and the rules' Series need it) before the timer starts, as a
# `watch` re-check finds it imported.
_BASELINE = (
    "from coordlint.cli import allocator; allocator.tune();"
    " import coordlint.cli, coordlint.loading, coordlint.loading.cache, coordlint.core.engine,"
    " pandas;"
    " from coordlint.core.plugins import load_plugins; load_plugins()"
)

_LOAD = """
import sys, time
from coordlint.cli import allocator; allocator.tune()
import pandas
from coordlint.execution.discover import discover
from coordlint.loading import load_run
from coordlint.loading.cache import Cache
cache = Cache(sys.argv[2], min_size=0) if sys.argv[2] != '-' else None
t = time.perf_counter()
runs = [load_run(spec, cache=cache) for spec in discover(sys.argv[1])]
print(time.perf_counter() - t, sum(r.points for r in runs))
"""


_RECHECK = """
import sys, time
from coordlint.cli import allocator; allocator.tune()
import pandas
from coordlint.execution.discover import discover
from coordlint.loading import load_run
from coordlint.loading.cache import Cache
from coordlint.core.plugins import load_plugins
from coordlint.testing import check
cache = Cache(sys.argv[2], min_size=0) if sys.argv[2] != '-' else None
load_plugins()
t = time.perf_counter()
runs = [load_run(spec, cache=cache) for spec in discover(sys.argv[1])]
findings = check(runs)
print(time.perf_counter() - t, len(findings))
"""


def load_only(run: Path, cache_dir: str, repeat: int, before=None, script: str = _LOAD) -> float:
    best = math.inf
    for _ in range(repeat):
        if before is not None:
            before()
        out = subprocess.run(
            [PY, "-c", script, str(run), cache_dir], capture_output=True, text=True
        )
        if out.returncode:
            raise RuntimeError(out.stderr[-1500:])
        best = min(best, float(out.stdout.split()[0]))
    return best


def tbparse_time(run: Path) -> float:
    code = "import sys, tbparse; df = tbparse.SummaryReader(sys.argv[1]).scalars; print(len(df))"
    t = time.perf_counter()
    subprocess.run([PY, "-c", code, str(run)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def rust_server_time(run: Path, n_points: int, n_tags: int, last_step: int) -> float:
    """Seconds from starting TensorBoard's Rust data server to having read every point back."""
    import grpc
    import tensorboard_data_server
    from tensorboard.data.proto import data_provider_pb2 as pb
    from tensorboard.data.proto import data_provider_pb2_grpc as pb_grpc

    binary = tensorboard_data_server.server_binary()
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        start = time.perf_counter()
        proc = subprocess.Popen(
            [
                binary,
                "--logdir",
                str(run),
                "--port",
                "0",
                "--port-file",
                str(port_file),
                "--reload",
                "once",
                "--samples-per-plugin",
                "scalars=all",
                "--checksum",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while not (port_file.exists() and port_file.read_text().endswith("\n")):
                if proc.poll() is not None:
                    raise RuntimeError("data server exited")
                time.sleep(0.005)
            port = int(port_file.read_text())
            opts = [("grpc.max_receive_message_length", -1), ("grpc.max_send_message_length", -1)]
            channel = grpc.insecure_channel(f"localhost:{port}", options=opts)
            stub = pb_grpc.TensorBoardDataProviderStub(channel)
            plugin = pb.PluginFilter(plugin_name="scalars")
            while True:
                listed = stub.ListScalars(pb.ListScalarsRequest(plugin_filter=plugin))
                done = [
                    t.metadata.max_step == last_step for r in listed.runs for t in r.tags
                ].count(True)
                if done == n_tags:
                    got = stub.ReadScalars(
                        pb.ReadScalarsRequest(
                            plugin_filter=plugin, downsample=pb.Downsample(num_points=2**31 - 1)
                        )
                    )
                    points = sum(len(t.data.step) for r in got.runs for t in r.tags)
                    if points == n_points:
                        return time.perf_counter() - start
                time.sleep(0.02)
        finally:
            proc.kill()
            proc.wait()


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where to write the runs (default: a temp dir)")
    parser.add_argument("--scalars", type=int, default=10_000_000)
    parser.add_argument("--tags", type=int, default=N_TAGS)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for coordlint (3)")
    parser.add_argument("--skip-tbparse", action="store_true")
    parser.add_argument(
        "--tbparse-scalars",
        type=int,
        help="measure tbparse on a run this size and extrapolate linearly (default: full size)",
    )
    parser.add_argument("--skip-rust", action="store_true")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="coordlint-scale-"))
    n = args.scalars
    rows: list[tuple[str, float, str]] = []
    try:
        run = root / f"run_{n}_coord"
        if not run.exists():
            t = time.perf_counter()
            write_run(run, n, args.tags)
            print(f"wrote {run} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        (event_file,) = run.glob("*tfevents*")
        size = event_file.stat().st_size
        extra = f" + {eval_points(n, args.tags)} coord eval points ({len(COORD_EVALS)} tags)"
        print(
            f"{event_file}: {size / 1e6:.0f} MB, {n} scalars, {args.tags} tags{extra}",
            file=sys.stderr,
        )
        cache_dir = root / "cache"
        check = [PY, "-m", "coordlint", "check", str(run), "-f", "json"]

        def clear_cache() -> None:
            shutil.rmtree(cache_dir, ignore_errors=True)

        cold, cold_rss = measure([*check, "--cache-dir", str(cache_dir)], args.repeat, clear_cache)
        nocache, nocache_rss = measure([*check, "--no-cache"], args.repeat)
        warm, warm_rss = measure([*check, "--cache-dir", str(cache_dir)], args.repeat)
        base_t, base_rss = measure([PY, "-c", _BASELINE], 3)
        load_cold = load_only(run, str(cache_dir), args.repeat, clear_cache)
        load_nocache = load_only(run, "-", args.repeat)
        load_warm = load_only(run, str(cache_dir), args.repeat)
        recheck_cold = load_only(run, "-", args.repeat, script=_RECHECK)
        recheck_warm = load_only(run, str(cache_dir), args.repeat, script=_RECHECK)

        # Append: cache the file minus its last ~1%, then re-check the whole file.
        blob_tail = _tail_bytes(event_file, max(size // 100, 1))
        cut = size - len(blob_tail)
        append_dir = root / "append"

        def prepare_append() -> None:
            with open(event_file, "r+b") as fh:
                fh.truncate(cut)
            shutil.rmtree(append_dir, ignore_errors=True)
            subprocess.run(
                [PY, "-c", _LOAD, str(run), str(append_dir)], check=True, stdout=subprocess.DEVNULL
            )
            with open(event_file, "ab") as fh:
                fh.write(blob_tail)

        append, append_rss = measure(
            [*check, "--cache-dir", str(append_dir)], args.repeat, prepare_append
        )
        load_append = load_only(run, str(append_dir), args.repeat, prepare_append)
        assert event_file.stat().st_size == size

        rust = (
            None
            if args.skip_rust
            else rust_server_time(
                run,
                n + eval_points(n, args.tags),
                args.tags + len(COORD_EVALS),
                _last_step(n, args),
            )
        )
        tbp = tbp_note = None
        if not args.skip_tbparse:
            tn = args.tbparse_scalars or n
            if tn == n:
                tbp, tbp_note = tbparse_time(run), "measured"
            else:
                small = root / f"run_{tn}_coord"
                if not small.exists():
                    write_run(small, tn, args.tags)
                tbp = tbparse_time(small) * n / tn
                tbp_note = f"measured on {tn} scalars, x{n / tn:g} (linear)"

        rows = [
            ("coordlint check, cold (empty cache, writes it)", cold, f"{cold_rss:.0f} MB"),
            ("coordlint check --no-cache", nocache, f"{nocache_rss:.0f} MB"),
            ("coordlint check, warm (unchanged file)", warm, f"{warm_rss:.0f} MB"),
            ("coordlint check, appended 1% (reads new bytes)", append, f"{append_rss:.0f} MB"),
            ("import-only baseline process", base_t, f"{base_rss:.0f} MB"),
            ("load_run only, cold (in-process)", load_cold, ""),
            ("load_run only, --no-cache (in-process)", load_nocache, ""),
            ("load_run only, warm (in-process)", load_warm, ""),
            ("load_run only, appended 1% (in-process)", load_append, ""),
            ("load_run + every rule, no cache (in-process)", recheck_cold, ""),
            ("load_run + every rule, warm (in-process; watch)", recheck_warm, ""),
        ]
        if rust is not None:
            rows.append(("Rust data server (--checksum), start to all points", rust, ""))
        if tbp is not None:
            rows.append((f"tbparse .scalars ({tbp_note})", tbp, ""))
        print(f"\n{n} scalars, {args.tags} tags, {size / 1e6:.0f} MB event file\n")
        print(f"{'what':<54} {'seconds':>8}  {'peak RSS':>9}")
        for name, secs, rss in rows:
            print(f"{name:<54} {secs:>8.3f}  {rss:>9}")
        mem = cold_rss - base_rss
        cols = n * 16 / 1e6
        print(
            f"\npeak RSS increase, cold check: {mem:.0f} MB = {mem / cols:.2f}x the decoded "
            f"step+value columns ({cols:.0f} MB; wall times add {n * 8 / 1e6:.0f} MB)"
        )
        print(
            f"warm vs cold: check {cold / warm:.1f}x, load_run {load_cold / load_warm:.1f}x, "
            f"load_run + rules {recheck_cold / recheck_warm:.1f}x"
        )
        print(
            f"append vs cold: check {cold / append:.1f}x, load_run {load_cold / load_append:.1f}x"
        )
        if rust is not None:
            print(f"Rust data server / coordlint cold check: {rust / cold:.1f}x")
        if tbp is not None:
            print(f"tbparse / coordlint cold check: {tbp / cold:.1f}x")
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)


def _last_step(n: int, args) -> int:
    return math.ceil(n / args.tags) - 1


def _tail_bytes(path: Path, at_least: int) -> bytes:
    """The file's last whole records covering at least ``at_least`` bytes."""
    import struct

    size = path.stat().st_size
    with open(path, "rb") as fh:
        # Record starts: walk the framing (fast enough: one read of the whole file).
        blob = fh.read()
    pos, cut = 0, 0
    unpack = struct.Struct("<Q").unpack_from
    while pos < size:
        if size - pos <= at_least and cut == 0:
            cut = pos
            break
        pos += 16 + unpack(blob, pos)[0]
    return blob[cut:] if cut else b""


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
