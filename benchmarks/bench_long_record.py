"""Benchmark: one long record, read in windows, must cost time linear in its length.

Run by hand (never in CI)::

    python benchmarks/bench_long_record.py                  # 32, 64, 128 and 256 MiB
    python benchmarks/bench_long_record.py --sizes 256 --repeat 3

Each file is the file_version header, one record of N MiB of ``0x09`` bytes (each byte looks
like the start of an Event, so every offset is a record candidate: the worst case for the
framing scan), then ten scalars. Every number is one ``load_file`` in a fresh process, timed
after the imports (default windows of 4 MiB), best of ``--repeat``, and the seconds per MiB,
which must stay flat as N grows. Before the windowed reader asked for a long record whole,
every 4 MiB window re-copied and re-scanned the record so far: 256 MiB took 187 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import frame, header_event_bytes, scalar_event_bytes

_LOAD = """
import sys, time
import pandas  # the decoder imports these lazily: not part of the load
from tensorboard.compat.proto import event_pb2
from coordlint.loading import load_file
t = time.perf_counter()
got = load_file(sys.argv[1])
took = time.perf_counter() - t
assert got.columns["after"].steps.tolist() == list(range(10)), got.problems
print(took)
"""


def write(path: Path, mib: int) -> None:
    with open(path, "wb") as fh:
        fh.write(frame(header_event_bytes(1.7e9)))
        fh.write(frame(b"\x09" * (mib << 20)))
        for i in range(10):
            fh.write(frame(scalar_event_bytes(1.7e9 + i, i, "after", float(i))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128, 256])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coordlint-long-") as tmp:
        print(f"{'record':>10} {'load_file s':>12} {'s per MiB':>10}")
        for mib in args.sizes:
            path = Path(tmp) / f"events.out.tfevents.{mib}.long"
            write(path, mib)
            best = min(
                float(
                    subprocess.run(
                        [sys.executable, "-c", _LOAD, str(path)],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                )
                for _ in range(args.repeat)
            )
            print(f"{mib:>6} MiB {best:>12.2f} {best / mib:>10.4f}", flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
