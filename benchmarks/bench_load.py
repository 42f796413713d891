"""Benchmark: coordlint's event loader against tbparse, as whole processes.

Run by hand (never in CI)::

    python benchmarks/bench_load.py            # 500k and 2M scalars in a temp dir
    python benchmarks/bench_load.py --dir /tmp/bench --sizes 500000

Event files are the exact bytes tensorboard's ``EventFileWriter`` writes (a test checks this
byte for byte); they are built here with ``crc32c`` because the writer's pure-Python CRC takes
minutes for two million records.
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import crc32c

_MASK_DELTA = 0xA282EAD8
_IMAGE_BYTES = 8192
TORCH_WRITER = "tensorboard.summary.writer.event_file_writer"
TF2_WRITER = "tensorflow.core.util.events_writer"


def _masked_crc(data: bytes) -> bytes:
    crc = crc32c.crc32c(data)
    return struct.pack(
        "<I", ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF
    )


def frame(data: bytes) -> bytes:
    """One TFRecord: length, masked CRC of the length, data, masked CRC of the data."""
    header = struct.pack("<Q", len(data))
    return header + _masked_crc(header) + data + _masked_crc(data)


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # proto int64: negative numbers take ten bytes
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def scalar_event_bytes(wall_time: float, step: int, tag: str, value: float) -> bytes:
    """``Event(wall_time, step, summary=[Value(tag, simple_value)])``, as protobuf writes it."""
    tag_b = tag.encode()
    val = b"\x0a" + _varint(len(tag_b)) + tag_b + b"\x15" + struct.pack("<f", value)
    summ = b"\x0a" + _varint(len(val)) + val
    step_b = b"\x10" + _varint(step) if step else b""
    return b"\x09" + struct.pack("<d", wall_time) + step_b + b"\x2a" + _varint(len(summ)) + summ


def header_event_bytes(wall_time: float, writer: str = TORCH_WRITER) -> bytes:
    """The first record an event writer writes: file_version plus source_metadata."""
    from tensorboard.compat.proto import event_pb2

    event = event_pb2.Event(
        wall_time=wall_time,
        file_version="brain.Event:2",
        source_metadata=event_pb2.SourceMetadata(writer=writer),
    )
    return event.SerializeToString()


@functools.cache
def _scalars_metadata() -> bytes:
    """``Summary.Value.metadata`` as TF2's ``tf.summary.scalar`` writes it (on every event)."""
    from tensorboard.plugins.scalar import metadata

    return metadata.create_summary_metadata(display_name=None, description=None).SerializeToString()


def tensor_scalar_event_bytes(
    wall_time: float, step: int, tag: str, value: float, *, value_field: str = "tensor_content"
) -> bytes:
    """A TF2 scalar: a 0-d DT_FLOAT tensor with the ``scalars`` metadata, as protobuf writes
    ``Event(wall_time, step, summary=[Value(tag, tensor, metadata)])``.

    ``value_field="tensor_content"`` is what TF2's C++ summary writer emits
    (``tf.summary.scalar``, Keras' TensorBoard callback, Flax/CLU:
    ``Tensor::AsProtoTensorContent``);
    ``"float_val"`` is what ``tensor_util.make_tensor_proto`` gives a scalar (tensorboard's
    ``scalar_pb``). A test checks both against tensorboard's protos byte for byte.
    """
    key = {"tensor_content": b"\x22", "float_val": b"\x2a"}[value_field]
    tensor = b"\x08\x01\x12\x00" + key + b"\x04" + struct.pack("<f", value)
    meta = _scalars_metadata()
    tag_b = tag.encode()
    val = (
        b"\x0a" + _varint(len(tag_b)) + tag_b
        + b"\x42" + _varint(len(tensor)) + tensor
        + b"\x4a" + _varint(len(meta)) + meta
    )  # fmt: skip
    summ = b"\x0a" + _varint(len(val)) + val
    step_b = b"\x10" + _varint(step) if step else b""
    return b"\x09" + struct.pack("<d", wall_time) + step_b + b"\x2a" + _varint(len(summ)) + summ


def histogram_event_bytes(wall_time: float, step: int, tag: str, seed: int) -> bytes:
    """A histogram as PyTorch writes it (``HistogramProto``)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    histo = summary_pb2.HistogramProto(
        min=-1.0,
        max=1.0,
        num=100,
        sum=float(seed),
        sum_squares=1.0,
        bucket_limit=[-0.5, 0.0, 0.5, 1.0],
        bucket=[10.0, 40.0, 40.0, 10.0],
    )
    event = event_pb2.Event(
        wall_time=wall_time,
        step=step,
        summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, histo=histo)]),
    )
    return event.SerializeToString()


def image_event_bytes(wall_time: float, step: int, tag: str, seed: int) -> bytes:
    """A 64x64 image as PyTorch writes it (``Summary.Image``; the PNG bytes are random)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2

    png = random.Random(seed).randbytes(_IMAGE_BYTES)
    image = summary_pb2.Summary.Image(height=64, width=64, colorspace=3, encoded_image_string=png)
    event = event_pb2.Event(
        wall_time=wall_time,
        step=step,
        summary=summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=image)]),
    )
    return event.SerializeToString()


def tf2_histogram_event_bytes(wall_time: float, step: int, tag: str, seed: int) -> bytes:
    """A histogram as TF2 writes it: a [30, 3] DT_DOUBLE tensor with the histograms metadata
    (tensorboard's ``histogram_pb``, the same proto ``tf.summary.histogram`` writes)."""
    import numpy as np
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.histogram import summary_v2

    data = np.random.default_rng(seed).normal(size=1000)
    summary = summary_v2.histogram_pb(tag, data)
    return event_pb2.Event(wall_time=wall_time, step=step, summary=summary).SerializeToString()


def tf2_image_event_bytes(wall_time: float, step: int, tag: str, seed: int) -> bytes:
    """An image as TF2 writes it: a DT_STRING [3] tensor (width, height, PNG bytes) with the
    images metadata (the PNG bytes are random)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, tensor_shape_pb2
    from tensorboard.plugins.image import metadata

    png = random.Random(seed).randbytes(_IMAGE_BYTES)
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=3)])
    tensor = tensor_pb2.TensorProto(dtype=7, tensor_shape=shape, string_val=[b"64", b"64", png])
    value = summary_pb2.Summary.Value(
        tag=tag, tensor=tensor, metadata=metadata.create_summary_metadata("", "")
    )
    summary = summary_pb2.Summary(value=[value])
    return event_pb2.Event(wall_time=wall_time, step=step, summary=summary).SerializeToString()


#: How each benchmark encoding writes tag number ``i``'s scalars, and its irregular records.
ENCODINGS = ("torch", "tf2-content", "tf2-floatval", "mixed")


def _scalar_writer(encoding: str, i: int) -> Callable[[float, int, str, float], bytes]:
    if encoding == "mixed":  # the encodings alternate per tag
        encoding = ENCODINGS[i % 3]
    if encoding == "torch":
        return scalar_event_bytes
    field = {"tf2-content": "tensor_content", "tf2-floatval": "float_val"}[encoding]
    return lambda w, s, t, v: tensor_scalar_event_bytes(w, s, t, v, value_field=field)


def write_event_run(
    run_dir: Path,
    n_scalars: int,
    n_tags: int = 100,
    n_histograms: int = 10,
    t0: float = 1.7e9,
    evals: Mapping[str, Callable[[float], float]] | None = None,
    eval_every: int = 500,
    encoding: str = "torch",
    n_images: int = 0,
) -> Path:
    """Write one event file: ``n_scalars`` scalar points over ``n_tags`` tags in ``encoding``
    (see :data:`ENCODINGS`), plus ``n_histograms`` histograms and ``n_images`` images spread over
    the steps (TF2-style tensors for the ``tf2-*`` encodings, PyTorch-style protos otherwise).

    ``evals`` adds eval tags, each logged every ``eval_every`` steps (the last at the last
    step) with the value its function gives for the run's progress in [0, 1]: the curves the
    coord rules read, on top of ``n_scalars``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    tf2 = encoding.startswith("tf2")
    suffix = ".v2" if tf2 else ""
    path = run_dir / f"events.out.tfevents.{int(t0)}.benchhost.1234.0{suffix}"
    tags = [f"train/metric_{i:03d}" if i % 3 else f"loss/{i}" for i in range(n_tags)]
    writers = [_scalar_writer(encoding, i) for i in range(n_tags)]
    eval_writer = _scalar_writer(encoding, 1)
    histogram = tf2_histogram_event_bytes if tf2 else histogram_event_bytes
    image = tf2_image_event_bytes if tf2 else image_event_bytes
    steps = math.ceil(n_scalars / n_tags)
    hist_every = max(1, steps // max(1, n_histograms))
    image_every = max(1, steps // max(1, n_images))
    written = 0
    with open(path, "wb") as fh:
        parts = [frame(header_event_bytes(t0, TF2_WRITER if tf2 else TORCH_WRITER))]
        for step in range(steps):
            wall = t0 + step * 0.01
            for i, tag in enumerate(tags):
                if written == n_scalars:
                    break
                value = math.sin(step * 0.001 + i) * (1 + i)
                parts.append(frame(writers[i](wall, step, tag, value)))
                written += 1
            if evals and (steps - 1 - step) % eval_every == 0:
                for tag, curve in evals.items():
                    value = curve(step / max(steps - 1, 1))
                    parts.append(frame(eval_writer(wall, step, tag, value)))
            if n_histograms and step % hist_every == 0:
                parts.append(frame(histogram(wall, step, "weights/hist", step)))
            if n_images and step % image_every == 0:
                parts.append(frame(image(wall, step, "samples/image", step)))
            if len(parts) > 10000:
                fh.write(b"".join(parts))
                parts = []
        fh.write(b"".join(parts))
    return path


_FRAMING_ONLY = """
import struct, sys
from pathlib import Path
unpack = struct.Struct('<Q').unpack_from
n = 0
for f in sorted(Path(sys.argv[1]).glob('*tfevents*')):
    buf = f.read_bytes(); pos = 0; end = len(buf)
    while pos + 12 <= end:
        pos += unpack(buf, pos)[0] + 16; n += 1
print(n)
"""


def _time(cmd: list[str], repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode not in (0, 1):  # 1 = findings, a normal lint result
            raise RuntimeError(f"{cmd[:4]} failed: {done.stderr.decode()[-500:]}")
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="where to write the runs (default: a temp dir)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[500_000, 2_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="best of N (default 3)")
    parser.add_argument("--tbparse-repeat", type=int, default=1, help="tbparse is slow")
    args = parser.parse_args()
    root = args.dir or Path(tempfile.mkdtemp(prefix="coordlint-bench-"))
    py = sys.executable
    has_cli = (Path(__file__).resolve().parents[1] / "coordlint" / "__main__.py").is_file()
    rows = []
    try:
        for size in args.sizes:
            run = root / f"run_{size}"
            if not run.exists():
                t = time.perf_counter()
                write_event_run(run, size)
                print(f"wrote {run} in {time.perf_counter() - t:.1f} s", file=sys.stderr)
            r = str(run)
            timings = {}
            if has_cli:
                timings["coordlint check (json)"] = _time(
                    [py, "-m", "coordlint", "check", r, "--output-format", "json"], args.repeat
                )
            load = (
                "from coordlint.execution.collect import load_path; "
                "load_path(__import__('sys').argv[1])"
            )
            timings["coordlint load_path"] = _time([py, "-c", load, r], args.repeat)
            timings["framing only (py loop)"] = _time([py, "-c", _FRAMING_ONLY, r], args.repeat)
            tbp = "import sys, tbparse; tbparse.SummaryReader(sys.argv[1]).scalars"
            timings["tbparse .scalars"] = _time([py, "-c", tbp, r], args.tbparse_repeat)
            rows.append((size, timings))
    finally:
        if args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"{'scalars':>10}  {'command':<26} {'seconds':>8}  {'tbparse / this':>14}")
    for size, timings in rows:
        base = timings["tbparse .scalars"]
        for name, seconds in timings.items():
            print(f"{size:>10}  {name:<26} {seconds:>8.3f}  {base / seconds:>13.1f}x")


if __name__ == "__main__":
    main()
