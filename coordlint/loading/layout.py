"""Byte layouts of one-scalar records, matched column-wise with numpy (for :mod:`.fast_decode`).

Each function takes a column of positions in a buffer of records and says, per position, whether
the bytes there are the expected field, and what they hold. ``at(pos)`` reads one byte at each
position (clipped to the buffer: positions out of it belong to records that do not match).
"""

from __future__ import annotations

import numpy as np

from coordlint.loading.tensors import DT_BFLOAT16, DT_HALF

__all__ = ["F32", "tensor_layout", "values", "varint2", "view"]


# How a fast-path value is stored. A simple_value is an f32; a tensor's (value field key,
# dtype) pair names the rest, each with the exact length its one value takes.
F32, _F64, _F16, _BF16, _F16_VARINT, _BF16_VARINT = 1, 2, 3, 4, 5, 6
_WIDTHS = np.array([0, 4, 8, 2, 2, 0, 0], dtype=np.int64)  # 0: a varint of 1 to 3 bytes


def _kind_table() -> np.ndarray:
    table = np.zeros(256 * 256, dtype=np.uint8)  # [value field key * 256 + dtype]
    for key, dtype, kind in [
        (0x22, 1, F32),  # tensor_content
        (0x22, 2, _F64),
        (0x22, DT_HALF, _F16),
        (0x22, DT_BFLOAT16, _BF16),
        (0x2A, 1, F32),  # float_val (packed)
        (0x32, 2, _F64),  # double_val (packed)
        (0x6A, DT_HALF, _F16_VARINT),  # half_val (packed int32)
        (0x6A, DT_BFLOAT16, _BF16_VARINT),
    ]:
        table[key * 256 + dtype] = kind
    return table


_KINDS = _kind_table()


def _template_table() -> tuple[np.ndarray, np.ndarray]:
    """The first 8 bytes of the tensor fields TF2 writers emit (``42 TN 08 DT 12 00 KEY FL``,
    the value follows), as sorted little-endian words, and the value kind of each."""
    rows = []
    for key, dtype, kind in [
        (0x22, 1, F32),  # TF2's C++ writer: tensor_content
        (0x22, 2, _F64),
        (0x22, DT_HALF, _F16),
        (0x22, DT_BFLOAT16, _BF16),
        (0x2A, 1, F32),  # make_tensor_proto: float_val, double_val
        (0x32, 2, _F64),
    ]:
        width = int(_WIDTHS[kind])
        head = bytes([0x42, 6 + width, 0x08, dtype, 0x12, 0x00, key, width])
        rows.append((int.from_bytes(head, "little"), kind))
    rows.sort()
    return np.array([w for w, _ in rows], dtype=np.uint64), np.array([k for _, k in rows])


_TEMPLATES, _TEMPLATE_KINDS = _template_table()


def varint2(at, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


def tensor_layout(
    buf: np.ndarray, at, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For Value.tensor fields at ``v``: each one's value kind (0: not a one-value 0-d float
    tensor of a layout taken here), where its value starts, where the tensor ends, and the bit
    pattern of ``half_val`` values (0 for the others).

    TF2 writers' exact layouts are matched as one 8-byte word each; the rest byte by byte."""
    u64 = view(buf, "<u8")
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
    """:func:`tensor_layout` for any tensor field, a byte at a time (no shape, ``half_val``)."""
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


def view(buf: np.ndarray, dtype: str) -> np.ndarray:
    """A view of ``buf`` with one (unaligned) element starting at every byte offset."""
    width = np.dtype(dtype).itemsize
    return np.ndarray((max(len(buf) - width + 1, 0),), dtype=dtype, buffer=buf, strides=(1,))


def values(
    buf: np.ndarray, kind: np.ndarray, val_at: np.ndarray, half_bits: np.ndarray | None
) -> np.ndarray:
    """Each point's value as float64, read as its kind says."""
    out = np.empty(len(kind), dtype=np.float64)
    counts = np.bincount(kind, minlength=len(_WIDTHS))
    for k in np.flatnonzero(counts).tolist():
        idx = slice(None) if counts[k] == len(kind) else np.flatnonzero(kind == k)
        pos = val_at[idx]
        if k == F32:
            raw = view(buf, "<f4")[pos]
        elif k == _F64:
            raw = view(buf, "<f8")[pos]
        else:
            if k in (_F16, _BF16):
                bits = view(buf, "<u2")[pos]
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
