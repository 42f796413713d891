"""Decode the scalar points of an event file's records, column-wise where the layout allows.

Most records PyTorch / tensorboardX / HF write are one scalar each, serialised by protobuf as::

    09 <wall_time f64>  [10 <step varint>]  2a L1  0a L2  0a TL <tag>  15 <value f32>

(proto3 leaves out ``step`` when it is 0). Every record is checked against that layout with
numpy, byte for byte, including that the lengths add up to the record's length; the matching
ones are decoded with a handful of array operations. Every other record (the file_version
header, summaries with metadata or several values, TF2 tensors, histograms, images...) is
decoded by tensorboard's protobuf classes, one record at a time. A test checks that both paths
give exactly what a full protobuf decode gives.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from coordlint.columns import Problem, ScalarColumns

__all__ = ["DecodeState", "FileScalars", "decode_records"]

# TensorFlow DataType enum values (tensorboard/compat/proto/types.proto).
_DT_FLOAT, _DT_DOUBLE, _DT_INT32, _DT_UINT8, _DT_INT16, _DT_INT8 = 1, 2, 3, 4, 5, 6
_DT_INT64, _DT_BOOL, _DT_BFLOAT16, _DT_UINT16, _DT_HALF, _DT_UINT32, _DT_UINT64 = (
    9,
    10,
    14,
    17,
    19,
    22,
    23,
)
_CONTENT_DTYPES = {
    _DT_FLOAT: "<f4",
    _DT_DOUBLE: "<f8",
    _DT_INT32: "<i4",
    _DT_UINT8: "u1",
    _DT_INT16: "<i2",
    _DT_INT8: "i1",
    _DT_INT64: "<i8",
    _DT_BOOL: "?",
    _DT_UINT16: "<u2",
    _DT_HALF: "<f2",
    _DT_UINT32: "<u4",
    _DT_UINT64: "<u8",
}
_SCALAR_PLUGINS = ("", "scalars")
_WORD_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class FileScalars:
    """The scalar points of one file, per tag (raw, not normalised), in record order."""

    columns: dict[str, ScalarColumns] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    records: int = 0
    header_only: bool = False
    first_wall_time: float | None = None
    #: Bytes of the event file read to get this result (not counting the cache's sampled
    #: blocks): the whole file cold, only the bytes past the cached offset when cached.
    bytes_read: int = 0
    #: ``off`` (no cache), ``miss``, ``hit`` (nothing new), ``append`` (cached + new bytes), or
    #: ``stale:REASON`` / ``corrupt:REASON`` (entry discarded, file re-read from the start).
    cache_status: str = "off"


@dataclass
class DecodeState:
    """What decoding carries from one chunk of a file to the next."""

    #: Each tag's plugin, from the first value with metadata (TF2 writes it only once).
    plugins: dict[str, str] = field(default_factory=dict)
    records: int = 0
    header_records: int = 0
    first_wall_time: float | None = None


def _event_pb2():  # imported lazily: most files never need it beyond the header
    from tensorboard.compat.proto import event_pb2

    return event_pb2


#: The repeated field holding a tensor's values when it has no tensor_content; int32, int16,
#: int8, uint8 and uint16 live in ``int_val``.
_VALUE_FIELDS = {
    _DT_FLOAT: "float_val",
    _DT_DOUBLE: "double_val",
    _DT_INT64: "int64_val",
    _DT_BOOL: "bool_val",
    _DT_UINT32: "uint32_val",
    _DT_UINT64: "uint64_val",
}


def _half_bits(tensor) -> np.ndarray | None:
    """The first 16-bit pattern of a half or bfloat16 tensor (``half_val`` holds it as an int)."""
    if tensor.tensor_content:
        return np.frombuffer(tensor.tensor_content[:2], dtype="<u2")
    if tensor.half_val:
        return np.array(tensor.half_val[:1], dtype=np.uint32).astype(np.uint16)
    return None


def _tensor_scalar(tensor) -> float | None:
    """The value of a 0-d numeric tensor, or None if the tensor is anything else."""
    if len(tensor.tensor_shape.dim) or tensor.tensor_shape.unknown_rank:
        return None
    dtype = tensor.dtype
    if dtype == _DT_BFLOAT16:  # the top 16 bits of a float32
        bits = _half_bits(tensor)
        return (
            0.0
            if bits is None
            else float((bits.astype(np.uint32) << np.uint32(16)).view(np.float32)[0])
        )
    np_dtype = _CONTENT_DTYPES.get(dtype)
    if np_dtype is None:
        return None  # strings, complex, resources, variants...
    content = tensor.tensor_content
    if content:
        width = np.dtype(np_dtype).itemsize
        if len(content) < width:
            return None
        return float(np.frombuffer(content[:width], dtype=np_dtype)[0])
    if dtype == _DT_HALF:
        bits = _half_bits(tensor)
        return 0.0 if bits is None else float(bits.view("<f2")[0])
    vals = getattr(tensor, _VALUE_FIELDS.get(dtype, "int_val"))
    return float(vals[0]) if len(vals) else 0.0


class _SlowPoints:
    """Points decoded one record at a time by protobuf."""

    def __init__(self, plugins: dict[str, str] | None = None) -> None:
        self.by_tag: dict[str, tuple[list[int], list[int], list[float], list[float]]] = {}
        # TF2 writes a tag's metadata only on its first value: shared across a file's chunks.
        self.plugins: dict[str, str] = {} if plugins is None else plugins
        self.header_records = 0
        self.first_wall_time: float | None = None
        self.first_record_index: int | None = None

    def add(self, index: int, data: bytes, offset: int, file: str, problems: list[Problem]) -> None:
        event_pb2 = _event_pb2()
        try:
            event = event_pb2.Event.FromString(data)
        except Exception as exc:  # protobuf raises DecodeError (or RuntimeError from upb)
            problems.append(
                Problem(
                    file,
                    "corrupt",
                    f"record at byte {offset} passes its checksum but is not a valid Event"
                    f" ({type(exc).__name__}); skipped",
                    offset,
                    1,
                )
            )
            return
        if self.first_record_index is None or index < self.first_record_index:
            self.first_record_index = index
            self.first_wall_time = event.wall_time
        what = event.WhichOneof("what")
        if what == "file_version":
            self.header_records += 1
            return
        if what != "summary":
            return
        step, wall = event.step, event.wall_time
        plugins = self.plugins
        for value in event.summary.value:
            tag = value.tag
            if value.HasField("metadata"):
                plugin = value.metadata.plugin_data.plugin_name
                plugins.setdefault(tag, plugin)
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                number = value.simple_value
            elif kind == "tensor":
                if plugins.get(tag, "") not in _SCALAR_PLUGINS:
                    continue
                number = _tensor_scalar(value.tensor)
                if number is None:
                    continue
            else:
                continue
            cols = self.by_tag.get(tag)
            if cols is None:
                cols = self.by_tag[tag] = ([], [], [], [])
            cols[0].append(index)
            cols[1].append(step)
            cols[2].append(number)
            cols[3].append(wall)


def decode_records(
    buf: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    file: str,
    *,
    fast: bool = True,
    state: DecodeState | None = None,
    base: int = 0,
) -> FileScalars:
    """Decode the records at ``starts`` (data at ``starts + 12``) into per-tag columns.

    ``fast=False`` decodes every record with protobuf (the reference the fast path must match).
    A chunk of a file passes the file's ``state`` and its offset ``base`` (for problem offsets);
    ``header_only`` and ``first_wall_time`` then describe the file so far.
    """
    n = len(starts)
    if state is None:
        state = DecodeState()
    result = FileScalars(records=n)
    slow = _SlowPoints(state.plugins)
    if fast and n:
        fast_cols, slow_idx = _decode_fast(buf, starts + 12, lengths)
    else:
        fast_cols, slow_idx = None, np.arange(n)
    for i in slow_idx.tolist():
        a = int(starts[i]) + 12
        slow.add(i, bytes(buf[a : a + int(lengths[i])]), base + a - 12, file, result.problems)
    # The header (record 0) is usually decoded slowly; else take the fast path's wall time.
    if fast_cols is not None and fast_cols.first_index is not None:
        if slow.first_record_index is None or fast_cols.first_index < slow.first_record_index:
            slow.first_wall_time = fast_cols.first_wall
    if state.first_wall_time is None:
        state.first_wall_time = slow.first_wall_time
    state.records += n
    state.header_records += slow.header_records
    result.first_wall_time = state.first_wall_time
    result.header_only = state.records == 1 and state.header_records == 1
    result.columns = _merge(fast_cols, slow)
    return result


@dataclass
class _FastColumns:
    tags: list[str]
    codes: np.ndarray  # per point: index into tags
    index: np.ndarray  # per point: record index
    steps: np.ndarray
    values: np.ndarray
    walls: np.ndarray
    first_index: int | None
    first_wall: float | None


def _decode_fast(
    buf: np.ndarray, data: np.ndarray, lengths: np.ndarray
) -> tuple[_FastColumns | None, np.ndarray]:
    """Decode the records with the one-scalar layout; return them and the other records' indexes."""
    size = len(buf)
    n = len(data)
    end = data + lengths

    def at(pos: np.ndarray) -> np.ndarray:
        return buf.take(pos, mode="clip")  # out-of-range only for records that do not match

    ok = (lengths >= 20) & (at(data) == 0x09)
    p = data + 9
    has_step = at(p) == 0x10
    # The step varint (1..10 bytes), decoded a byte position at a time over the records left.
    step = np.zeros(n, dtype=np.uint64)
    vlen = np.zeros(n, dtype=np.int64)
    sub = np.flatnonzero(has_step)
    q = p + 1
    for k in range(10):
        if not len(sub):
            break
        byte = at(q[sub] + k)
        step[sub] |= (byte & 0x7F).astype(np.uint64) << np.uint64(7 * k)
        vlen[sub] = k + 1
        sub = sub[byte >= 0x80]
    if len(sub):  # varints longer than 10 bytes: let protobuf judge
        ok[sub] = False
    r = np.where(has_step, q + vlen, p)
    l1 = at(r + 1).astype(np.int64)
    l2 = at(r + 3).astype(np.int64)
    tl = at(r + 5).astype(np.int64)
    ok &= at(r) == 0x2A
    ok &= at(r + 2) == 0x0A
    ok &= at(r + 4) == 0x0A
    ok &= l1 < 0x80
    ok &= l2 == l1 - 2
    ok &= l2 == tl + 7
    ok &= end == r + 2 + l1
    tag_at = r + 6
    ok &= at(tag_at + tl) == 0x15

    good = np.flatnonzero(ok)
    if len(good) == 0:
        return None, np.arange(n)
    if len(good) < n:
        data, tl, tag_at, r = data[good], tl[good], tag_at[good], r[good]
        step = step[good]
    # Tags: hash the tag bytes eight at a time, factorise, then check every point's bytes
    # against its tag's first occurrence so a hash collision cannot merge two tags.
    u64 = np.ndarray((max(size - 7, 0),), dtype="<u8", buffer=buf, strides=(1,))
    words = []
    h = tl.astype(np.uint64)
    max_tl = int(tl.max())
    for k in range(0, max_tl, 8):
        take = np.clip(tl - k, 0, 8)
        word = u64[np.minimum(tag_at + k, size - 8)] & _WORD_MASKS[take]
        words.append(word)
        h = (h * _HASH_MUL) ^ word
    h ^= h >> np.uint64(29)
    codes, first = _factorize(h)
    rep = first[codes]
    same = tl == tl[rep]
    for word in words:
        same &= word == word[rep]
    tags: list[str] = []
    bad_codes = []
    for c, i in enumerate(first.tolist()):
        a = int(tag_at[i])
        try:
            tags.append(bytes(buf[a : a + int(tl[i])]).decode("utf-8"))
        except UnicodeDecodeError:  # protobuf rejects it: let the slow path report it
            tags.append("")
            bad_codes.append(c)
    if bad_codes:
        same &= ~np.isin(codes, bad_codes)
    if not same.all():
        keep = np.flatnonzero(same)
        ok[good[~same]] = False
        good, codes, data, tl, tag_at, step = (
            good[keep],
            codes[keep],
            data[keep],
            tl[keep],
            tag_at[keep],
            step[keep],
        )
    f32 = np.ndarray((max(size - 3, 0),), dtype="<f4", buffer=buf, strides=(1,))
    f64 = np.ndarray((max(size - 7, 0),), dtype="<f8", buffer=buf, strides=(1,))
    values = f32[tag_at + tl + 1].astype(np.float64)
    walls = f64[data + 1]
    cols = _FastColumns(
        tags=tags,
        codes=codes,
        index=good,
        steps=step.view(np.int64),
        values=values,
        walls=walls,
        first_index=int(good[0]) if len(good) else None,
        first_wall=float(walls[0]) if len(good) else None,
    )
    return cols, np.flatnonzero(~ok)


def _factorize(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes numbering distinct keys by first appearance, and each code's first index."""
    import pandas as pd

    codes, _ = pd.factorize(keys)
    if len(codes) == 0:
        return codes, codes
    running_max = np.maximum.accumulate(codes)
    first = np.flatnonzero(np.concatenate(([True], running_max[1:] > running_max[:-1])))
    return codes, first


def _merge(fast: _FastColumns | None, slow: _SlowPoints) -> dict[str, ScalarColumns]:
    """Per-tag columns in record order, from both decoders."""
    out: dict[str, ScalarColumns] = {}
    if fast is not None and len(fast.codes):
        ntags = len(fast.tags)
        code_dtype = np.int16 if ntags < 2**15 else np.int64
        order = np.argsort(fast.codes.astype(code_dtype), kind="stable")
        bounds = np.concatenate(([0], np.cumsum(np.bincount(fast.codes, minlength=ntags))))
        steps, values, walls = fast.steps[order], fast.values[order], fast.walls[order]
        index = fast.index[order] if slow.by_tag else None
        for c, tag in enumerate(fast.tags):
            a, b = int(bounds[c]), int(bounds[c + 1])
            if a == b:
                continue
            cols = ScalarColumns(steps[a:b], values[a:b], walls[a:b])
            extra = slow.by_tag.pop(tag, None)
            if extra is not None:
                assert index is not None
                cols = _merge_in_order(index[a:b], cols, extra)
            if tag in out:  # cannot happen (codes are distinct tags); keep it safe
                out[tag] = ScalarColumns.concat([out[tag], cols])
            else:
                out[tag] = cols
    for tag, (_idx, steps_l, values_l, walls_l) in slow.by_tag.items():
        out[tag] = ScalarColumns(
            np.array(steps_l, dtype=np.int64),
            np.array(values_l, dtype=np.float64),
            np.array(walls_l, dtype=np.float64),
        )
    return out


def _merge_in_order(
    index: np.ndarray,
    cols: ScalarColumns,
    extra: tuple[list[int], list[int], list[float], list[float]],
) -> ScalarColumns:
    idx = np.concatenate((index, np.array(extra[0], dtype=np.int64)))
    order = np.argsort(idx, kind="stable")
    return ScalarColumns(
        np.concatenate((cols.steps, np.array(extra[1], dtype=np.int64)))[order],
        np.concatenate((cols.values, np.array(extra[2], dtype=np.float64)))[order],
        np.concatenate((cols.wall_times, np.array(extra[3], dtype=np.float64)))[order],
    )
