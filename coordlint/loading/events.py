"""Decode the scalar points of an event file's records, column-wise where the layout allows.

Almost every record a training writes is one scalar, serialised by protobuf as::

    09 <wall_time f64>  [10 <step varint>]  2a L1  0a L2  0a TL <tag>  <value>  [4a ML <metadata>]

where ``<value>`` is either a ``simple_value`` (PyTorch, tensorboardX, HF: ``15 <f32>``) or a
0-d tensor (``42 TN 08 <dtype> [12 00] <field> FL <bytes>``) holding one DT_FLOAT, DT_DOUBLE,
DT_HALF or DT_BFLOAT16 value in ``tensor_content`` (TF2's C++ writer: ``tf.summary.scalar``,
Keras, Flax) or in its value field (``float_val``/``double_val``/``half_val``:
``make_tensor_proto``, PyTorch's ``new_style``), and ``<metadata>`` the summary metadata TF2
writers repeat on every event (its plugin name decides whether a tensor is a scalar; each
distinct metadata blob is parsed once by protobuf). Every record is checked against that layout
with numpy, byte for byte, including that the lengths add up to the record's length; the
matching ones are decoded with a handful of array operations. Every other record (the
file_version header, summaries with several values, histograms, images, text, other dtypes,
anything malformed...) is decoded by tensorboard's protobuf classes, one record at a time. Tests
check that both paths give exactly what a full protobuf decode gives, damaged files included.

A 0-d numeric tensor that does not hold exactly one valid value of its dtype (content of the
wrong size, several values, a value out of the dtype's range, values in another dtype's field)
is not read as a value: it is a ``bad-tensor`` problem (CL901) for its record. Only records
that pass every check take the fast path, so both paths agree on this too.
"""

from __future__ import annotations

import dataclasses
import struct
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from coordlint.columns import Problem, ScalarColumns

__all__ = ["DecodeState", "FileScalars", "bad_tensor_summary", "decode_records"]


class _Dtype(NamedTuple):
    """A numeric TensorFlow dtype a scalar tensor may have (types.proto numbering)."""

    name: str
    content: str  # numpy dtype of its tensor_content
    field: str  # the value field holding it without tensor_content
    lo: int | None = None  # range of a value (for ints stored in a wider field)
    hi: int | None = None


_DT_BFLOAT16, _DT_HALF = 14, 19
_SCALAR_DTYPES = {
    1: _Dtype("DT_FLOAT", "<f4", "float_val"),
    2: _Dtype("DT_DOUBLE", "<f8", "double_val"),
    3: _Dtype("DT_INT32", "<i4", "int_val"),
    4: _Dtype("DT_UINT8", "u1", "int_val", 0, 0xFF),
    5: _Dtype("DT_INT16", "<i2", "int_val", -(2**15), 2**15 - 1),
    6: _Dtype("DT_INT8", "i1", "int_val", -(2**7), 2**7 - 1),
    9: _Dtype("DT_INT64", "<i8", "int64_val"),
    10: _Dtype("DT_BOOL", "u1", "bool_val", 0, 1),
    _DT_BFLOAT16: _Dtype("DT_BFLOAT16", "<u2", "half_val", 0, 0xFFFF),  # bit patterns
    17: _Dtype("DT_UINT16", "<u2", "int_val", 0, 0xFFFF),
    _DT_HALF: _Dtype("DT_HALF", "<u2", "half_val", 0, 0xFFFF),
    22: _Dtype("DT_UINT32", "<u4", "uint32_val"),
    23: _Dtype("DT_UINT64", "<u8", "uint64_val"),
}
#: TensorProto fields that say nothing about its values.
_NOT_VALUES = frozenset({"dtype", "tensor_shape", "version_number"})
_SCALAR_PLUGINS = ("", "scalars")
#: Bad-tensor problems reported one by one per file; the rest are counted in one summary.
_MAX_REPORTED = 20
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

    #: Each tag's plugin, from its first value with metadata (TF2 repeats the metadata on every
    #: event; TF1-style writers write it only once).
    plugins: dict[str, str] = field(default_factory=dict)
    records: int = 0
    header_records: int = 0
    first_wall_time: float | None = None
    #: Scalar tensors rejected so far (the first ``_MAX_REPORTED`` are reported one by one).
    bad_tensors: int = 0


def bad_tensor_summary(state: DecodeState, file: str) -> list[Problem]:
    """The one problem summarising bad scalar tensors beyond those reported one by one."""
    if state.bad_tensors <= _MAX_REPORTED:
        return []
    extra = state.bad_tensors - _MAX_REPORTED
    msg = f"{extra} more scalar tensors that hold no valid value skipped"
    return [Problem(file, "bad-tensor", msg, None, 0)]


def _event_pb2():  # imported lazily: most files never need it beyond the header
    from tensorboard.compat.proto import event_pb2

    return event_pb2


def _bits_value(bits: int, dtype: int) -> float:
    """The value of a 16-bit half (IEEE binary16) or bfloat16 (a float32's top half) pattern."""
    if dtype == _DT_HALF:
        return struct.unpack("<e", struct.pack("<H", bits))[0]
    return struct.unpack("<f", struct.pack("<I", bits << 16))[0]


def _tensor_scalar(tensor) -> tuple[float | None, str | None]:
    """``(value, None)`` for a 0-d numeric tensor holding one valid value; ``(None, why)`` for a
    0-d numeric tensor that does not; ``(None, None)`` for any other tensor (not a scalar).

    Never raises. A tensor with no value at all is 0 (TensorFlow's encoding of an all-zero
    tensor); the value lives in ``tensor_content`` (exactly one element's bytes) or in the
    dtype's value field (exactly one element, within the dtype's range), never in both or
    elsewhere.
    """
    if len(tensor.tensor_shape.dim) or tensor.tensor_shape.unknown_rank:
        return None, None
    dtype = tensor.dtype
    spec = _SCALAR_DTYPES.get(dtype)
    if spec is None:
        return None, None  # strings, complex, resources, variants...
    present = sorted(f.name for f, _ in tensor.ListFields() if f.name not in _NOT_VALUES)
    if not present:
        return 0.0, None
    if len(present) > 1:
        return None, f"a {spec.name} holds values in {' and '.join(present)}"
    where = present[0]
    if where == "tensor_content":
        content = tensor.tensor_content
        width = np.dtype(spec.content).itemsize
        if len(content) != width:
            return None, f"a {spec.name} is {width} bytes, its tensor_content {len(content)}"
        number = np.frombuffer(content, dtype=spec.content)[0].item()
    elif where != spec.field:
        return None, f"a {spec.name} holds its value in {where}, not {spec.field}"
    else:
        values = getattr(tensor, where)
        if len(values) != 1:
            return None, f"a 0-d tensor holds one value, its {where} {len(values)}"
        number = values[0]
    if (spec.lo is not None and number < spec.lo) or (spec.hi is not None and number > spec.hi):
        return None, f"{where} holds {number}, out of range for a {spec.name}"
    if spec.field == "half_val":
        return _bits_value(int(number), dtype), None
    return float(number), None


class _SlowPoints:
    """Points decoded one record at a time by protobuf."""

    def __init__(self, state: DecodeState) -> None:
        self.by_tag: dict[str, tuple[list[int], list[int], list[float], list[float]]] = {}
        self.state = state
        # A tag's plugin comes from its first value with metadata: shared by a file's chunks.
        self.plugins = state.plugins
        #: Record index at which each tag's plugin was set in this chunk.
        self.plugin_set_at: dict[str, int] = {}
        self.header_records = 0
        self.first_wall_time: float | None = None
        self.first_record_index: int | None = None

    def set_plugin(self, index: int, tag: str, plugin: str) -> None:
        if tag not in self.plugins:
            self.plugins[tag] = plugin
            self.plugin_set_at[tag] = index

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
                self.set_plugin(index, tag, value.metadata.plugin_data.plugin_name)
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                number = value.simple_value
            elif kind == "tensor":
                if plugins.get(tag, "") not in _SCALAR_PLUGINS:
                    continue
                number, why = _tensor_scalar(value.tensor)
                if why is not None:
                    self._bad_tensor(tag, why, offset, file, problems)
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

    def _bad_tensor(self, tag: str, why: str, offset: int, file: str, problems: list[Problem]):
        self.state.bad_tensors += 1
        if self.state.bad_tensors <= _MAX_REPORTED:
            msg = f"scalar tensor of tag {tag!r} in the record at byte {offset}: {why}; skipped"
            problems.append(Problem(file, "bad-tensor", msg, offset, 0))


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
    slow = _SlowPoints(state)
    if fast and n:
        fast_cols, slow_idx = _decode_fast(buf, starts + 12, lengths)
    else:
        fast_cols, slow_idx = None, np.arange(n)
    # A tag's plugin is set by its first value with metadata, whichever path decodes it: the
    # fast path's first ones are applied in record order between the slow records.
    settings = fast_cols.plugin_settings(state.plugins) if fast_cols is not None else []
    k = 0
    for i in slow_idx.tolist():
        while k < len(settings) and settings[k][0] < i:
            slow.set_plugin(*settings[k])
            k += 1
        a = int(starts[i]) + 12
        slow.add(i, bytes(buf[a : a + int(lengths[i])]), base + a - 12, file, result.problems)
    for setting in settings[k:]:
        slow.set_plugin(*setting)
    # The header (record 0) is usually decoded slowly; else take the fast path's wall time.
    if fast_cols is not None and fast_cols.first_index is not None:
        if slow.first_record_index is None or fast_cols.first_index < slow.first_record_index:
            slow.first_wall_time = fast_cols.first_wall
        fast_cols = fast_cols.scalar_points(slow.plugins, slow.plugin_set_at)
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
    #: Per point: whether its value is a tensor (counted only under a scalar plugin).
    tensor: np.ndarray
    #: Per point: the index of its metadata's plugin name in ``plugins``, or -1 (no metadata).
    plugin: np.ndarray
    plugins: list[str]

    def plugin_settings(self, known: dict[str, str]) -> list[tuple[int, str, str]]:
        """``(record index, tag, plugin)`` of each tag's first point with metadata, in record
        order, for the tags whose plugin is not ``known`` yet."""
        unknown = np.array([tag not in known for tag in self.tags], dtype=bool)
        if not unknown.any():
            return []
        with_meta = np.flatnonzero((self.plugin >= 0) & unknown[self.codes])
        if not len(with_meta):
            return []
        _, first = _factorize(self.codes[with_meta])
        at = with_meta[first]
        return [
            (i, self.tags[c], self.plugins[p])
            for i, c, p in zip(
                self.index[at].tolist(),
                self.codes[at].tolist(),
                self.plugin[at].tolist(),
                strict=True,
            )
        ]

    def scalar_points(self, plugins: dict[str, str], set_at: dict[str, int]) -> _FastColumns:
        """Without the tensor points of tags whose plugin (when the point was written) is not
        a scalar plugin: what the protobuf path keeps."""
        if not self.tensor.any():
            return self
        # Per tag: from which record index on its plugin holds, and whether it is a scalar one.
        never = np.iinfo(np.int64).max
        since = np.array(
            [set_at.get(t, -1 if t in plugins else never) for t in self.tags], dtype=np.int64
        )
        scalar = np.array([plugins.get(t, "") in _SCALAR_PLUGINS for t in self.tags], dtype=bool)
        if scalar.all():
            return self
        drop = self.tensor & ~scalar[self.codes] & (self.index >= since[self.codes])
        if not drop.any():
            return self
        keep = np.flatnonzero(~drop)
        return dataclasses.replace(
            self,
            codes=self.codes[keep],
            index=self.index[keep],
            steps=self.steps[keep],
            values=self.values[keep],
            walls=self.walls[keep],
            tensor=self.tensor[keep],
            plugin=self.plugin[keep],
        )


# How a fast-path value is stored. A simple_value is an f32; a tensor's (value field key,
# dtype) pair names the rest, each with the exact length its one value takes.
_F32, _F64, _F16, _BF16, _F16_VARINT, _BF16_VARINT = 1, 2, 3, 4, 5, 6
_WIDTHS = np.array([0, 4, 8, 2, 2, 0, 0], dtype=np.int64)  # 0: a varint of 1 to 3 bytes


def _kind_table() -> np.ndarray:
    table = np.zeros(256 * 256, dtype=np.uint8)  # [value field key * 256 + dtype]
    for key, dtype, kind in [
        (0x22, 1, _F32),  # tensor_content
        (0x22, 2, _F64),
        (0x22, _DT_HALF, _F16),
        (0x22, _DT_BFLOAT16, _BF16),
        (0x2A, 1, _F32),  # float_val (packed)
        (0x32, 2, _F64),  # double_val (packed)
        (0x6A, _DT_HALF, _F16_VARINT),  # half_val (packed int32)
        (0x6A, _DT_BFLOAT16, _BF16_VARINT),
    ]:
        table[key * 256 + dtype] = kind
    return table


_KINDS = _kind_table()


def _template_table() -> tuple[np.ndarray, np.ndarray]:
    """The first 8 bytes of the tensor fields TF2 writers emit (``42 TN 08 DT 12 00 KEY FL``,
    the value follows), as sorted little-endian words, and the value kind of each."""
    rows = []
    for key, dtype, kind in [
        (0x22, 1, _F32),  # TF2's C++ writer: tensor_content
        (0x22, 2, _F64),
        (0x22, _DT_HALF, _F16),
        (0x22, _DT_BFLOAT16, _BF16),
        (0x2A, 1, _F32),  # make_tensor_proto: float_val, double_val
        (0x32, 2, _F64),
    ]:
        width = int(_WIDTHS[kind])
        head = bytes([0x42, 6 + width, 0x08, dtype, 0x12, 0x00, key, width])
        rows.append((int.from_bytes(head, "little"), kind))
    rows.sort()
    return np.array([w for w, _ in rows], dtype=np.uint64), np.array([k for _, k in rows])


_TEMPLATES, _TEMPLATE_KINDS = _template_table()


def _varint2(at, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode a varint of 1 or 2 bytes at every ``pos``: its value, the position after it, and
    whether it has at most 2 bytes (longer ones go to protobuf)."""
    b0 = at(pos).astype(np.int64)
    value = b0 & 0x7F
    after = pos + 1
    ok = np.ones(len(pos), dtype=bool)
    two = np.flatnonzero(b0 >= 0x80)
    if len(two):
        b1 = at(pos[two] + 1).astype(np.int64)
        value[two] |= (b1 & 0x7F) << 7
        after[two] += 1
        ok[two] = b1 < 0x80
    return value, after, ok


def _tensor_layout(
    buf: np.ndarray, at, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For Value.tensor fields at ``v``: each one's value kind (0: not a one-value 0-d float
    tensor of a layout taken here), where its value starts, where the tensor ends, and the bit
    pattern of ``half_val`` values (0 for the others).

    TF2 writers' exact layouts are matched as one 8-byte word each; the rest byte by byte."""
    u64 = _view(buf, "<u8")
    last = len(u64) - 1
    head = u64[np.minimum(v, last)]
    slot = np.minimum(np.searchsorted(_TEMPLATES, head), len(_TEMPLATES) - 1)
    kind = np.where((_TEMPLATES[slot] == head) & (v <= last), _TEMPLATE_KINDS[slot], 0)
    kind = kind.astype(np.uint8)
    val_at = v + 8
    tend = val_at + _WIDTHS[kind]
    bits = np.zeros(len(v), dtype=np.uint32)
    rest = np.flatnonzero(kind == 0)
    if len(rest):
        kind[rest], val_at[rest], tend[rest], bits[rest] = _tensor_bytes(at, v[rest])
    return kind, val_at, tend, bits


def _tensor_bytes(at, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_tensor_layout` for any tensor field, a byte at a time (no shape, ``half_val``)."""
    tlen = at(v + 1).astype(np.int64)
    t = v + 2
    tend = t + tlen
    dtype = at(t + 1).astype(np.int64)
    shaped = (at(t + 2) == 0x12) & (at(t + 3) == 0x00)  # an empty tensor_shape, or none
    s = t + 2 + 2 * shaped.astype(np.int64)
    key = at(s).astype(np.int64)
    flen = at(s + 1).astype(np.int64)
    val_at = s + 2
    kind = _KINDS[key * 256 + dtype]
    width = _WIDTHS[kind]
    ok = (tlen < 0x80) & (at(t) == 0x08) & (val_at + flen == tend) & (kind > 0)
    ok &= (flen == width) | ((width == 0) & (flen >= 1) & (flen <= 3))
    bits = np.zeros(len(v), dtype=np.uint32)
    var = np.flatnonzero(ok & (width == 0))
    if len(var):
        bits[var], ok[var] = _half_varint(at, val_at[var], flen[var])
    return np.where(ok, kind, 0).astype(np.uint8), val_at, tend, bits


def _half_varint(at, pos: np.ndarray, flen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The one ``half_val`` varint of ``flen`` (1 to 3) bytes at each ``pos``, and whether it
    is exactly that long and a 16-bit pattern (anything else is for protobuf to judge)."""
    b = [at(pos + k).astype(np.int64) for k in range(3)]
    value = b[0] & 0x7F
    ok = (flen == 1) & (b[0] < 0x80)
    value += np.where(flen >= 2, (b[1] & 0x7F) << 7, 0)
    ok |= (flen == 2) & (b[0] >= 0x80) & (b[1] < 0x80)
    value += np.where(flen == 3, (b[2] & 0x7F) << 14, 0)
    ok |= (flen == 3) & (b[0] >= 0x80) & (b[1] >= 0x80) & (b[2] < 0x80)
    return value.astype(np.uint32), ok & (value <= 0xFFFF)


def _decode_fast(
    buf: np.ndarray, data: np.ndarray, lengths: np.ndarray
) -> tuple[_FastColumns | None, np.ndarray]:
    """Decode the records with a one-scalar layout; return them and the other records' indexes."""
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
    ok &= at(r) == 0x2A  # Event.summary
    l1, p1, ok1 = _varint2(at, r + 1)
    ok &= ok1 & (p1 + l1 == end) & (at(p1) == 0x0A)  # Summary.value: the only one
    l2, p2, ok2 = _varint2(at, p1 + 1)
    ok &= ok2 & (p2 + l2 == end) & (at(p2) == 0x0A)  # Value.tag
    tl, tag_at, ok3 = _varint2(at, p2 + 1)
    ok &= ok3
    v = tag_at + tl
    key = at(v)
    simple = key == 0x15  # Value.simple_value
    ok &= simple | (key == 0x42)  # Value.tensor
    kind = np.where(simple, _F32, 0).astype(np.uint8)
    val_at = v + 1
    val_end = v + 5
    half_bits = None
    tens = np.flatnonzero(ok & ~simple)
    if len(tens):
        half_bits = np.zeros(n, dtype=np.uint32)
        kind[tens], val_at[tens], val_end[tens], half_bits[tens] = _tensor_layout(buf, at, v[tens])
        ok[tens] = kind[tens] > 0
    # Then the Value ends, or its metadata (Value.metadata) runs to its end.
    plugin, plugins = _metadata(buf, at, val_end, end, ok)

    good = np.flatnonzero(ok)
    if len(good) == 0:
        return None, np.arange(n)
    cols = {
        "data": data,
        "tl": tl,
        "tag_at": tag_at,
        "step": step,
        "kind": kind,
        "val_at": val_at,
        "simple": simple,
        "plugin": plugin,
    }
    if half_bits is not None:
        cols["half_bits"] = half_bits
    if len(good) < n:
        cols = {name: col[good] for name, col in cols.items()}
    # Tags: factorised by their bytes; a tag that is not valid UTF-8 goes to protobuf.
    tag_at, tl = cols["tag_at"], cols["tl"]
    codes, first, same = _blob_codes(buf, tag_at, tl)
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
        good, codes = good[keep], codes[keep]
        cols = {name: col[keep] for name, col in cols.items()}
    walls = _view(buf, "<f8")[cols["data"] + 1]
    values = _values(buf, cols["kind"], cols["val_at"], cols.get("half_bits"))
    fast = _FastColumns(
        tags=tags,
        codes=codes,
        index=good,
        steps=cols["step"].view(np.int64),
        values=values,
        walls=walls,
        first_index=int(good[0]) if len(good) else None,
        first_wall=float(walls[0]) if len(good) else None,
        tensor=~cols["simple"],
        plugin=cols["plugin"],
        plugins=plugins,
    )
    return fast, np.flatnonzero(~ok)


def _metadata(
    buf: np.ndarray, at, val_end: np.ndarray, end: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """Each record's metadata plugin: an index into the returned names, or -1 where the Value
    ends at ``val_end`` (no metadata). A record whose bytes from ``val_end`` on are not one
    Value.metadata field that protobuf parses is taken off ``ok`` (in place).

    Each distinct metadata blob is parsed once. The first record's metadata field (TF2 writes
    the same one on every event) is matched as two 8-byte words; the others are hashed."""
    plugin = np.full(len(end), -1, dtype=np.int64)
    plugins: list[str] = []
    hm = np.flatnonzero(ok & (val_end != end))
    if not len(hm):
        return plugin, plugins
    u64 = _view(buf, "<u8")
    last = len(u64) - 1
    first_at, first_end = int(val_end[hm[0]]), int(end[hm[0]])
    size = first_end - first_at
    name = _plugin_name(buf, first_at + 2, size - 2) if 8 <= size <= 16 else None
    if name is not None and buf[first_at] == 0x4A and buf[first_at + 1] == size - 2:
        at0, at1 = val_end[hm], end[hm] - 8
        match = (end[hm] - at0 == size) & (u64[np.minimum(at0, last)] == u64[first_at])
        match &= u64[np.minimum(at1, last)] == u64[first_end - 8]
        plugins.append(name)
        plugin[hm[match]] = 0
        hm = hm[~match]
        if not len(hm):
            return plugin, plugins
    # Any other metadata: its length varint, then one protobuf parse per distinct blob.
    meta_len, meta_at, fine = _varint2(at, val_end[hm] + 1)
    fine &= (at(val_end[hm]) == 0x4A) & (meta_at + meta_len == end[hm])
    ok[hm[~fine]] = False
    hm, meta_at, meta_len = hm[fine], meta_at[fine], meta_len[fine]
    if not len(hm):
        return plugin, plugins
    codes, first, same = _blob_codes(buf, meta_at, meta_len)
    names = [_plugin_name(buf, int(meta_at[i]), int(meta_len[i])) for i in first.tolist()]
    number = np.array([-1 if x is None else _index(plugins, x) for x in names], dtype=np.int64)[
        codes
    ]
    ok[hm] = same & (number >= 0)  # unparsable: protobuf reports it
    plugin[hm] = number
    return plugin, plugins


def _index(names: list[str], name: str) -> int:
    """``name``'s index in ``names``, appended if new."""
    if name not in names:
        names.append(name)
    return names.index(name)


def _view(buf: np.ndarray, dtype: str) -> np.ndarray:
    """A view of ``buf`` with one (unaligned) element starting at every byte offset."""
    width = np.dtype(dtype).itemsize
    return np.ndarray((max(len(buf) - width + 1, 0),), dtype=dtype, buffer=buf, strides=(1,))


def _values(
    buf: np.ndarray, kind: np.ndarray, val_at: np.ndarray, half_bits: np.ndarray | None
) -> np.ndarray:
    """Each point's value as float64, read as its kind says."""
    out = np.empty(len(kind), dtype=np.float64)
    counts = np.bincount(kind, minlength=len(_WIDTHS))
    for k in np.flatnonzero(counts).tolist():
        idx = slice(None) if counts[k] == len(kind) else np.flatnonzero(kind == k)
        pos = val_at[idx]
        if k == _F32:
            raw = _view(buf, "<f4")[pos]
        elif k == _F64:
            raw = _view(buf, "<f8")[pos]
        else:
            if k in (_F16, _BF16):
                bits = _view(buf, "<u2")[pos]
            else:
                assert half_bits is not None  # set wherever tensors were read
                bits = half_bits[idx]
            if k in (_F16, _F16_VARINT):
                raw = bits.astype(np.uint16).view(np.float16)
            else:
                raw = (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)
        with np.errstate(invalid="ignore"):  # a signalling NaN becomes a quiet one
            out[idx] = raw
    return out


def _blob_codes(
    buf: np.ndarray, pos: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Number the distinct byte strings ``buf[pos:pos + length]`` by first appearance: each
    one's code, each code's first index, and per string whether its bytes equal those of its
    code's first string (a hash collision cannot merge two strings: those are False).

    Strings are hashed 8 bytes at a time, only as far as each one goes."""
    u64 = _view(buf, "<u8")
    h = length.astype(np.uint64)
    words: list[tuple[np.ndarray | None, np.ndarray]] = []
    live: np.ndarray | None = None  # the strings longer than k (None: all of them)
    max_len = int(length.max()) if len(length) else 0
    if max_len <= 16 and (length == max_len).all():
        # One string repeated (TF2's metadata on every event, one tag): no hashing needed.
        ks = range(0, max_len, 8)
        if all((w == w[0]).all() for w in (_word(buf, u64, pos, length, k, None) for k in ks)):
            zeros = np.zeros(len(pos), dtype=np.int64)
            return zeros, zeros[:1], np.ones(len(pos), dtype=bool)
    for k in range(0, max_len, 8):
        if k:
            more = length[live] > k if live is not None else length > k
            if live is not None or not more.all():
                live = np.flatnonzero(more) if live is None else live[more]
        word = _word(buf, u64, pos, length, k, live)
        if live is None:
            h = (h * _HASH_MUL) ^ word
        else:
            h[live] = (h[live] * _HASH_MUL) ^ word
        words.append((live, word))
    h ^= h >> np.uint64(29)
    codes, first = _factorize(h)
    rep = first[codes]
    same = length == length[rep]
    slot = np.zeros(len(pos), dtype=np.int64)  # where each string's word is in a live subset
    for live, word in words:
        if live is None:
            same &= word == word[rep]
        else:  # a string of the same length as its first one is live as long as it is
            slot[live] = np.arange(len(live))
            same[live] &= word == word.take(slot[rep[live]], mode="clip")
    return codes, first, same


def _word(
    buf: np.ndarray,
    u64: np.ndarray,
    pos: np.ndarray,
    length: np.ndarray,
    k: int,
    live: np.ndarray | None,
) -> np.ndarray:
    """Bytes ``k`` to ``k + 8`` of each string (of those ``live``), zero-padded past its end."""
    if live is not None:
        pos, length = pos[live], length[live]
    at = pos + k
    take = np.minimum(length - k, 8)
    last = len(u64) - 1
    word = u64[np.minimum(at, last)] & _WORD_MASKS[take]
    for i in np.flatnonzero(at > last).tolist():  # within 8 bytes of the buffer's end
        a = int(at[i])
        word[i] = int.from_bytes(bytes(buf[a : a + int(take[i])]), "little")
    return word


def _plugin_name(buf: np.ndarray, at: int, length: int) -> str | None:
    """The plugin name in a serialised SummaryMetadata, or None if protobuf rejects it."""
    from tensorboard.compat.proto import summary_pb2

    try:
        meta = summary_pb2.SummaryMetadata.FromString(bytes(buf[at : at + length]))
    except Exception:  # DecodeError, or RuntimeError from upb: the slow path reports it
        return None
    return meta.plugin_data.plugin_name


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
