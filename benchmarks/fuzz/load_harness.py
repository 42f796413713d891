"""What the loading campaigns share (``fuzz_events``, ``fuzz_records``, ``fuzz_json``,
``fuzz_cache``): tallies, a per-case time limit, a reference decoder, framing, and ``main``.

The reference decoder is deliberately independent of coordlint: tensorboard's own protobuf
classes and ``tensor_util``, one record at a time, the obvious way.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import struct
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import crc32c
import numpy as np

#: The public event files the campaigns mutate: ``../shared/realruns`` beside the repository.
REALRUNS = Path(__file__).resolve().parents[3] / "shared" / "realruns"

Point = tuple[str, int, int, int]  # tag, step, value bits, wall-time bits (NaN-exact)


class Hang(Exception):
    """A case ran over its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread after ``seconds`` (SIGALRM; POSIX only)."""

    def expired(signum, frame):
        raise Hang(f"over {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass
class Tally:
    """What one campaign found."""

    name: str
    seed: int
    cases: int = 0
    crashes: int = 0
    hangs: int = 0
    loader_errors: int = 0
    wrong_values: int = 0
    lost_points: int = 0
    #: Checks a campaign makes beyond those (a cached result differing from a fresh one...).
    other_failures: int = 0
    points_expected: int = 0
    points_kept: int = 0
    records_intact: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    examples: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return (
            self.crashes
            + self.hangs
            + self.loader_errors
            + self.wrong_values
            + self.lost_points
            + self.other_failures
        )

    def fail(self, what: str, detail: str, count: int = 1) -> None:
        """Count ``count`` failures of kind ``what`` (a field), keeping the first examples."""
        setattr(self, what, getattr(self, what) + count)
        if len(self.examples) < 10:
            self.examples.append(f"{what}: {detail}")

    def crash(self, case: str, exc: BaseException) -> None:
        if isinstance(exc, Hang):
            self.fail("hangs", f"{case}: {exc}")
        else:
            tb = traceback.format_exception(exc)[-3:]
            self.fail("crashes", f"{case}: {''.join(tb).strip()}")

    def row(self) -> str:
        return (
            f"{self.name:<10} seed {self.seed:<6} {self.cases:>7} cases  {self.crashes} crashes"
            f"  {self.hangs} hangs  {self.loader_errors} loader errors  {self.wrong_values} wrong"
            f"  {self.lost_points} lost  {self.other_failures} other   points kept"
            f" {self.points_kept}/{self.points_expected}  {self.seconds:.1f} s"
            f" (slowest case {self.slowest:.2f} s)"
        )


class Timer:
    """Times cases into a tally."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    @contextlib.contextmanager
    def case(self) -> Iterator[None]:
        t = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - t
            self.tally.seconds += took
            self.tally.slowest = max(self.tally.slowest, took)
            self.tally.cases += 1


def masked_crc(data: bytes) -> int:
    crc = crc32c.crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """One TFRecord around ``data``."""
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked_crc(head)) + data + struct.pack("<I", masked_crc(data))


def records_of(blob: bytes) -> list[tuple[int, int]]:
    """(start, end) of each record of an intact file, walked the obvious way; stops at the
    first record that does not check out."""
    out, pos = [], 0
    while pos + 12 <= len(blob):
        (length,) = struct.unpack_from("<Q", blob, pos)
        end = pos + 16 + length
        if end > len(blob) or struct.unpack_from("<I", blob, pos + 8)[0] != masked_crc(
            blob[pos : pos + 8]
        ):
            break
        if struct.unpack_from("<I", blob, end - 4)[0] != masked_crc(blob[pos + 12 : end - 4]):
            break
        out.append((pos, end))
        pos = end
    return out


#: TensorFlow's real and integer dtypes (float, double, int32, uint8, int16, int8, int64, bool,
#: bfloat16, uint16, half, uint32, uint64).
NUMERIC_DTYPES = frozenset({1, 2, 3, 4, 5, 6, 9, 10, 14, 17, 19, 22, 23})
_NOT_VALUES = frozenset({"dtype", "tensor_shape", "version_number"})


def _bits(x: float) -> int:
    return int(np.array(x, dtype=np.float64).view(np.int64))


#: One record decoded: its step, wall-time bits, and per summary value (tag, plugin named by
#: its metadata or None, value bits: a simple_value, or a 0-d numeric tensor's; None otherwise,
#: and whether the value is a tensor).
Decoded = tuple[int, int, list[tuple[str, str | None, int | None, bool]]]


def decode_record(data: bytes) -> Decoded:
    """One record's Event, the obvious way (raises on a record that is not an Event)."""
    from tensorboard.compat.proto import event_pb2
    from tensorboard.util import tensor_util

    event = event_pb2.Event.FromString(data)
    values = []
    for v in event.summary.value:
        plugin = v.metadata.plugin_data.plugin_name if v.HasField("metadata") else None
        number, tensor = None, False
        if v.HasField("simple_value"):
            number = _bits(float(v.simple_value))
        elif v.HasField("tensor"):
            tensor = True
            t = v.tensor
            valued = {f.name for f, _ in t.ListFields()} - _NOT_VALUES
            if len(t.tensor_shape.dim) or t.tensor_shape.unknown_rank:
                pass  # not 0-d
            elif t.dtype in NUMERIC_DTYPES and not valued:
                number = _bits(0.0)  # no value at all: TensorFlow's encoding of a zero tensor
            elif t.dtype == 14:  # bfloat16 (tensor_util has no numpy type for it)
                number = _bfloat16(t)
            elif t.dtype in NUMERIC_DTYPES:
                number = _bits(float(np.asarray(tensor_util.make_ndarray(t)).reshape(-1)[0]))
        values.append((v.tag, plugin, number, tensor))
    return event.step, _bits(event.wall_time), values


def _bfloat16(t) -> int | None:
    """A 0-d bfloat16's value: the top half of a float32, from two bytes or one half_val."""
    if t.tensor_content:
        if len(t.tensor_content) != 2:
            return None
        (half,) = struct.unpack("<H", t.tensor_content)
    elif len(t.half_val) == 1 and 0 <= t.half_val[0] < 1 << 16:
        half = t.half_val[0]
    else:
        return None
    return _bits(float(np.array([half << 16], dtype=np.uint32).view(np.float32)[0]))


def points_of(decoded: Decoded, plugins: dict[str, str]) -> list[Point]:
    """A decoded record's scalar points, given each tag's plugin so far (updated in place:
    the first value with metadata names it, as TF2 writes it only once)."""
    step, wall, values = decoded
    out = []
    for tag, plugin, number, tensor in values:
        if plugin is not None:
            plugins.setdefault(tag, plugin)
        if number is None or (tensor and plugins.get(tag, "") not in ("", "scalars")):
            continue
        out.append((tag, step, number, wall))
    return out


def loaded_points(columns) -> Counter[Point]:
    """Every point of a load, as a multiset."""
    out: Counter[Point] = Counter()
    for tag, cols in columns.items():
        steps = cols.steps.tolist()
        values = np.asarray(cols.values, dtype=np.float64).view(np.int64).tolist()
        walls = np.asarray(cols.wall_times, dtype=np.float64).view(np.int64).tolist()
        out.update(zip([tag] * len(steps), steps, values, walls, strict=True))
    return out


def ordered(columns) -> dict[str, list[tuple[int, int, int]]]:
    """Each tag's points in record order."""
    out = {}
    for tag, cols in columns.items():
        values = np.asarray(cols.values, dtype=np.float64).view(np.int64).tolist()
        walls = np.asarray(cols.wall_times, dtype=np.float64).view(np.int64).tolist()
        out[tag] = list(zip(cols.steps.tolist(), values, walls, strict=True))
    return out


def main(run: Callable[..., Tally], cases: int, seed: int, description: str) -> int:
    """A campaign as a script: ``--cases N --seed S --realruns DIR``; prints its row and first
    failures, returns 1 if it found any."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--cases", type=int, default=cases)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--realruns", type=Path, default=REALRUNS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coordlint-fuzz-") as tmp:
        tally = run(args.cases, args.seed, Path(tmp), args.realruns)
    print(tally.row(), flush=True)
    for example in tally.examples:
        print(f"    {example}")
    return 1 if tally.failures else 0
