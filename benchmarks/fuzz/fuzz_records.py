"""Campaign ``records``: CRC-valid records that are hostile as Events, built with tensorboard's
own protos, between well-formed ones.

Each case is one event file: the file_version header, then 1 to 30 records, each well-formed
(a ``simple_value`` scalar with an odd tag, step or value; a TF2 0-d tensor scalar; several
values in one summary; an Event with unknown fields; images, histograms, log messages) or
hostile (a tensor of a random dtype, shape, content or repeated values; an invalid dtype; a
garbled serialisation of a valid Event; a summary value of every kind at once), every one with
a correct CRC. Loaded with :func:`coordlint.loading.load_run`:

* no exception, no hang; no ``loader-error`` (an exception the loader caught);
* every point of every well-formed record comes back, exactly;
* every point loaded is one the reference decoder (tensorboard's ``tensor_util``) reads from
  some record of the file.

"""

from __future__ import annotations

import math
import random
import struct
import sys
from collections import Counter
from pathlib import Path

from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2

from coordlint.loading import RunSpec, load_file, load_run

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_harness import Point, Tally, Timer, frame, loaded_points, main, points_of, time_limit
from load_harness import decode_record as reference_decode

CASES = 1500
SEED = 20
TIME_LIMIT = 20.0
HOSTILE = (
    "tensor-random",
    "tensor-extra-values",
    "invalid-dtype",
    "garbled",
    "half-negative",
    "bfloat16-short",
    "metadata-kinds",
)
_TAGS = ("loss", "eval/loss", "é/ü", "", " ", "a" * 300, "x\ny", "train/lr", "t\x00z", "🙂")
_DTYPES = (1, 2, 3, 4, 5, 6, 9, 10, 14, 17, 19, 22, 23)


def _event(step: int, wall: float, values: list) -> bytes:
    summary = summary_pb2.Summary(value=values)
    return event_pb2.Event(wall_time=wall, step=step, summary=summary).SerializeToString()


def _step(rng: random.Random) -> int:
    return rng.choice((0, 1, rng.randrange(10**6), -1, -(2**63), 2**63 - 1, rng.randrange(2**40)))


def _number(rng: random.Random) -> float:
    return rng.choice((0.0, -0.0, 1.5, rng.uniform(-1e6, 1e6), math.nan, math.inf, -math.inf, 3e38))


def _wall(rng: random.Random) -> float:
    return rng.choice((1.7e9 + rng.random(), 0.0, -1.0, math.nan, math.inf, 1e300))


def _scalars_meta() -> summary_pb2.SummaryMetadata:
    meta = summary_pb2.SummaryMetadata()
    meta.plugin_data.plugin_name = "scalars"
    return meta


def _good(rng: random.Random, i: int) -> tuple[str, bytes]:
    kind = rng.choice(("scalar", "scalar", "tensor", "multi", "unknown-fields", "other"))
    tag = rng.choice(_TAGS) if rng.random() < 0.5 else f"g{i}/{rng.choice(_TAGS)}"
    step, wall = _step(rng), _wall(rng)
    if kind == "scalar":
        return kind, _event(
            step, wall, [summary_pb2.Summary.Value(tag=tag, simple_value=_number(rng))]
        )
    if kind == "tensor":
        tensor = tensor_pb2.TensorProto(dtype=rng.choice((1, 2)))
        value = _number(rng)
        if rng.random() < 0.5:
            tensor.tensor_content = struct.pack("<f" if tensor.dtype == 1 else "<d", value)
        elif tensor.dtype == 1:
            tensor.float_val.append(value)
        else:
            tensor.double_val.append(value)
        v = summary_pb2.Summary.Value(tag=f"tf2/{tag}", tensor=tensor)
        if rng.random() < 0.5:
            v.metadata.CopyFrom(_scalars_meta())
        return kind, _event(step, wall, [v])
    if kind == "multi":
        values = [
            summary_pb2.Summary.Value(tag=f"{tag}/{k}", simple_value=_number(rng))
            for k in range(rng.randrange(2, 6))
        ]
        return kind, _event(step, wall, values)
    if kind == "unknown-fields":
        data = _event(step, wall, [summary_pb2.Summary.Value(tag=tag, simple_value=1.0)])
        return kind, data + b"\xf8\x06\x01"  # field 111, varint 1: skipped by protobuf
    other = rng.choice(
        (
            event_pb2.Event(wall_time=wall, step=step, file_version="brain.Event:2"),
            event_pb2.Event(wall_time=wall, step=step, graph_def=rng.randbytes(100)),
            event_pb2.Event(
                wall_time=wall,
                log_message=event_pb2.LogMessage(level=event_pb2.LogMessage.WARN, message="x"),
            ),
            event_pb2.Event(wall_time=wall, session_log=event_pb2.SessionLog(status=1)),
            event_pb2.Event(
                wall_time=wall,
                step=step,
                summary=summary_pb2.Summary(
                    value=[
                        summary_pb2.Summary.Value(
                            tag=tag,
                            histo=summary_pb2.HistogramProto(num=3, bucket_limit=[1], bucket=[3]),
                        ),
                        summary_pb2.Summary.Value(
                            tag=tag + "/img",
                            image=summary_pb2.Summary.Image(
                                height=1, width=1, encoded_image_string=b"x"
                            ),
                        ),
                    ]
                ),
            ),
        )
    )
    return "other", other.SerializeToString()


def _hostile(rng: random.Random, i: int) -> tuple[str, bytes]:
    kind = rng.choice((*HOSTILE, "tensor-random"))  # random tensors twice as often
    tag = f"h{i}"
    tensor = tensor_pb2.TensorProto()
    if kind == "tensor-random":
        tensor.dtype = rng.choice(_DTYPES)
        if rng.random() < 0.3:
            tensor.tensor_shape.CopyFrom(
                tensor_shape_pb2.TensorShapeProto(
                    dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=rng.choice((-1, 0, 1, 2**40)))]
                )
            )
        if rng.random() < 0.2:
            tensor.tensor_shape.unknown_rank = True
        # The value field of the dtype, or content, with exactly one in-range value.
        tensor.tensor_content = rng.randbytes(
            {1: 4, 2: 8, 3: 4, 4: 1, 5: 2, 6: 1, 9: 8, 10: 1, 14: 2, 17: 2, 19: 2, 22: 4, 23: 8}[
                tensor.dtype
            ]
        )
    elif kind == "tensor-extra-values":
        tensor.dtype = rng.choice(_DTYPES)
        tensor.tensor_content = rng.randbytes(rng.randrange(0, 40))
        tensor.int_val.extend([rng.randrange(-(2**31), 2**31) for _ in range(rng.randrange(3))])
        tensor.float_val.extend([_number(rng) for _ in range(rng.randrange(3))])
    elif kind == "invalid-dtype":
        tensor.dtype = rng.choice((0, 7, 8, 18, 20, 21, 99, 120))
        tensor.tensor_content = rng.randbytes(rng.randrange(0, 16))
    elif kind == "half-negative":
        tensor.dtype = rng.choice((14, 19))
        tensor.half_val.append(-rng.randrange(1, 2**31))
    elif kind == "bfloat16-short":
        tensor.dtype = 14
        tensor.tensor_content = rng.randbytes(1)
    elif kind == "metadata-kinds":
        v = summary_pb2.Summary.Value(tag=tag, simple_value=_number(rng))
        v.metadata.plugin_data.plugin_name = rng.choice(("scalars", "histograms", "", "x" * 1000))
        v.metadata.plugin_data.content = rng.randbytes(20)
        return kind, _event(_step(rng), _wall(rng), [v])
    else:  # garbled: a valid Event's bytes, damaged, then framed with a correct CRC
        data = bytearray(_good(rng, i)[1])
        for _ in range(rng.randrange(1, 4)):
            if data and rng.random() < 0.7:
                data[rng.randrange(len(data))] ^= rng.randrange(1, 256)
            else:
                data = data[: rng.randrange(len(data) + 1)] + rng.randbytes(rng.randrange(8))
        return kind, bytes(data)
    v = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if rng.random() < 0.5:
        v.metadata.CopyFrom(_scalars_meta())
    return kind, _event(_step(rng), _wall(rng), [v])


def make_case(seed: int, case: int, header: bytes) -> tuple[list[tuple[str, bytes]], int]:
    """Case ``case`` of ``seed``: its records (kind, Event bytes) and the window size to
    read it with."""
    rng = random.Random(f"{seed}:{case}")
    made = [("header", header)]
    for i in range(rng.randrange(1, 31)):
        made.append(_hostile(rng, i) if rng.random() < 0.4 else _good(rng, i))
    return made, rng.choice((4096, 61))


def _reference(payloads: list[bytes]) -> list[list[Point] | None]:
    """Each record's points as the reference reads them, None where it cannot."""
    plugins: dict[str, str] = {}
    out: list[list[Point] | None] = []
    for data in payloads:
        try:
            out.append(points_of(reference_decode(data), plugins))
        except Exception:
            out.append(None)
    return out


def run(cases: int, seed: int, workdir: Path, realruns: Path | None = None) -> Tally:
    del realruns
    tally = Tally("records", seed)
    timer = Timer(tally)
    run_dir = workdir / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "events.out.tfevents.1.fuzz"
    header = event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()
    for case in range(cases):
        made, chunk = make_case(seed, case, header)
        path.write_bytes(b"".join(frame(data) for _, data in made))
        reference = _reference([data for _, data in made])
        good: Counter = Counter()
        possible: Counter = Counter()
        for (kind, _), points in zip(made, reference, strict=True):
            if points is None:
                continue
            possible.update(points)
            if kind not in HOSTILE:
                good.update(points)
        with timer.case():
            try:
                with time_limit(TIME_LIMIT):
                    run = load_run(RunSpec("fuzz", run_dir, (path,)))
                    errors = [p for p in run.problems if p.kind == "loader-error"]
                    got = None if errors else load_file(path, chunk_size=chunk)
            except Exception as exc:
                tally.crash(f"case {case}", exc)
                continue
        failures = Counter()
        if got is None:
            failures["loader_errors"] += 1
            failures["lost_points"] += sum(good.values())
        else:
            loaded = loaded_points(got.columns)
            failures["lost_points"] += sum((good - loaded).values())
            failures["wrong_values"] += sum((loaded - possible).values())
        tally.points_expected += sum(good.values())
        tally.points_kept += sum(good.values()) - failures["lost_points"]
        for what, count in failures.items():
            if count:
                kinds = [k for k, _ in made]
                tally.fail(what, f"case {case}: {count} {what} ({kinds})", count)
    return tally


if __name__ == "__main__":
    sys.exit(main(run, CASES, SEED, __doc__))
