"""What a scalar tensor is worth: the value of a 0-d numeric TensorProto, or why it has none.

A 0-d numeric tensor holds its one value in ``tensor_content`` (exactly one element's bytes) or
in its dtype's value field (exactly one element, within the dtype's range), never in both or
elsewhere; one with no value at all is 0 (TensorFlow's encoding of an all-zero tensor). Anything
else (content of the wrong size, several values, a ``uint8`` of 300 in ``int_val``, a negative
``half_val``) is not a value but a ``bad-tensor`` problem for its record. Decoding one never
raises.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

import numpy as np

__all__ = ["DT_BFLOAT16", "DT_HALF", "SCALAR_PLUGINS", "tensor_scalar"]

#: The plugins under which a tag's tensors are scalars ("": no metadata seen).
SCALAR_PLUGINS = ("", "scalars")


class _Dtype(NamedTuple):
    """A numeric TensorFlow dtype a scalar tensor may have (types.proto numbering)."""

    name: str
    content: str  # numpy dtype of its tensor_content
    field: str  # the value field holding it without tensor_content
    lo: int | None = None  # range of a value (for ints stored in a wider field)
    hi: int | None = None


DT_BFLOAT16, DT_HALF = 14, 19
_SCALAR_DTYPES = {
    1: _Dtype("DT_FLOAT", "<f4", "float_val"),
    2: _Dtype("DT_DOUBLE", "<f8", "double_val"),
    3: _Dtype("DT_INT32", "<i4", "int_val"),
    4: _Dtype("DT_UINT8", "u1", "int_val", 0, 0xFF),
    5: _Dtype("DT_INT16", "<i2", "int_val", -(2**15), 2**15 - 1),
    6: _Dtype("DT_INT8", "i1", "int_val", -(2**7), 2**7 - 1),
    9: _Dtype("DT_INT64", "<i8", "int64_val"),
    10: _Dtype("DT_BOOL", "u1", "bool_val", 0, 1),
    DT_BFLOAT16: _Dtype("DT_BFLOAT16", "<u2", "half_val", 0, 0xFFFF),  # bit patterns
    17: _Dtype("DT_UINT16", "<u2", "int_val", 0, 0xFFFF),
    DT_HALF: _Dtype("DT_HALF", "<u2", "half_val", 0, 0xFFFF),
    22: _Dtype("DT_UINT32", "<u4", "uint32_val"),
    23: _Dtype("DT_UINT64", "<u8", "uint64_val"),
}
#: TensorProto fields that say nothing about its values.
_NOT_VALUES = frozenset({"dtype", "tensor_shape", "version_number"})


def _bits_value(bits: int, dtype: int) -> float:
    """The value of a 16-bit half (IEEE binary16) or bfloat16 (a float32's top half) pattern."""
    if dtype == DT_HALF:
        return struct.unpack("<e", struct.pack("<H", bits))[0]
    return struct.unpack("<f", struct.pack("<I", bits << 16))[0]


def tensor_scalar(tensor) -> tuple[float | None, str | None]:
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
