"""Shared helpers: real writers and an independent, straightforward reference reader."""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterable
from pathlib import Path

import crc32c
import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util import tensor_util

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO / "benchmarks" / "fuzz"))


def scalar_event(step: int, tag: str, value: float, wall: float = 1.7e9) -> event_pb2.Event:
    val = summary_pb2.Summary.Value(tag=tag, simple_value=value)
    return event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[val]))


def tensor_event(step: int, tag: str, value, dtype=None, *, plugin: bool = True, wall=1.7e9):
    proto = tensor_util.make_tensor_proto(value, dtype=dtype, shape=[])
    val = summary_pb2.Summary.Value(tag=tag, tensor=proto)
    if plugin:
        val.metadata.plugin_data.plugin_name = "scalars"
    return event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[val]))


def histogram_event(step: int, tag: str = "weights") -> event_pb2.Event:
    histo = summary_pb2.HistogramProto(min=0, max=1, num=2, bucket_limit=[1.0], bucket=[2.0])
    val = summary_pb2.Summary.Value(tag=tag, histo=histo)
    return event_pb2.Event(wall_time=1.7e9, step=step, summary=summary_pb2.Summary(value=[val]))


def write_with_tensorboard(directory: Path, events: Iterable[event_pb2.Event], suffix="") -> Path:
    """Write events with tensorboard's own EventFileWriter; return the file."""
    directory.mkdir(parents=True, exist_ok=True)
    writer = EventFileWriter(str(directory), filename_suffix=suffix)
    for event in events:
        writer.add_event(event)
    writer.close()
    return Path(writer._file_name)


def reference_read(path: Path) -> tuple[dict[str, list[tuple[int, float, float]]], int]:
    """Points per raw tag (step, value, wall) read the slow, obvious way; and records read.

    Stops at the first damaged record (the loader may recover more, never fewer before it).
    """
    data = path.read_bytes()
    out: dict[str, list[tuple[int, float, float]]] = {}
    plugins: dict[str, str] = {}
    pos = records = 0

    def masked(b: bytes) -> int:
        c = crc32c.crc32c(b)
        return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF

    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        (lcrc,) = struct.unpack_from("<I", data, pos + 8)
        if masked(data[pos : pos + 8]) != lcrc or pos + 16 + length > len(data):
            break
        payload = data[pos + 12 : pos + 12 + length]
        (dcrc,) = struct.unpack_from("<I", data, pos + 12 + length)
        if masked(payload) != dcrc:
            break
        records += 1
        pos += 16 + length
        event = event_pb2.Event.FromString(payload)
        for v in event.summary.value:
            if v.HasField("metadata") and v.tag not in plugins:
                plugins[v.tag] = v.metadata.plugin_data.plugin_name
            if v.HasField("simple_value"):
                number = float(v.simple_value)
            elif v.HasField("tensor") and plugins.get(v.tag, "") in ("", "scalars"):
                if v.tensor.dtype == 7 or len(v.tensor.tensor_shape.dim):  # DT_STRING / not 0-d
                    continue
                number = float(np.asarray(tensor_util.make_ndarray(v.tensor)).item())
            else:
                continue
            out.setdefault(v.tag, []).append((event.step, number, event.wall_time))
    return out, records


def tf2_scalar_event(
    step: int,
    tag: str,
    value: float,
    *,
    dtype: str = "float32",
    field: str = "tensor_content",
    metadata: bool = True,
    description: str | None = None,
    wall: float = 1.7e9,
) -> event_pb2.Event:
    """A scalar as TF2 writes it: a 0-d tensor with the ``scalars`` metadata (on every event).

    ``field="tensor_content"`` is TF2's C++ writer (``tf.summary.scalar``, Keras, Flax: the
    value's bytes, an empty ``tensor_shape``); ``"val"`` is ``make_tensor_proto`` (tensorboard's
    ``scalar_pb``: ``float_val``/``double_val``/``half_val``); ``"torch"`` is PyTorch's
    ``add_scalar(new_style=True)`` (``float_val``/``double_val`` and no shape at all). bfloat16
    has no numpy dtype: its bits are a float32's top half.
    """
    from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2
    from tensorboard.plugins.scalar import metadata as scalar_metadata

    if dtype == "bfloat16":
        bits = int(np.array([value], dtype=np.float32).view(np.uint32)[0] >> 16)
        raw, enum = struct.pack("<H", bits), 14
    else:
        array = _cast(value, dtype)
        raw, enum = array.tobytes(), {"float32": 1, "float64": 2, "float16": 19}[dtype]
    if field == "tensor_content":
        shape = tensor_shape_pb2.TensorShapeProto()
        tensor = tensor_pb2.TensorProto(dtype=enum, tensor_shape=shape, tensor_content=raw)
    elif field == "val" and dtype != "bfloat16":
        tensor = tensor_util.make_tensor_proto(_cast(value, dtype))
    elif field == "val":
        shape = tensor_shape_pb2.TensorShapeProto()
        tensor = tensor_pb2.TensorProto(dtype=14, tensor_shape=shape, half_val=[bits])
    else:
        assert field == "torch" and dtype in ("float32", "float64")
        tensor = (
            tensor_pb2.TensorProto(dtype=1, float_val=[value])
            if dtype == "float32"
            else tensor_pb2.TensorProto(dtype=2, double_val=[value])
        )
    val = summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if metadata:
        val.metadata.CopyFrom(scalar_metadata.create_summary_metadata(None, description))
    return event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=[val]))


def _cast(value: float, dtype: str) -> np.ndarray:
    with np.errstate(over="ignore"):  # a float32 too big for a half is inf
        return np.array(value, dtype=dtype)


def records(blob: bytes) -> list[bytes]:
    """The data of every record of an intact event file."""
    out, pos = [], 0
    while pos < len(blob):
        (length,) = struct.unpack_from("<Q", blob, pos)
        out.append(blob[pos + 12 : pos + 12 + length])
        pos += 16 + length
    return out
