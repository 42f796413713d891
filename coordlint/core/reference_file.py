"""The reference file (``coordlint-reference.json``): write it, read it back, validate every field.

A small, versioned JSON document meant to be committed next to the CI config::

    {"format": "coordlint-reference", "version": 1, "coordlint": "0.1.0", "binned_to": 500,
     "arrays": "steps: base64 of zlib of little-endian int64 step differences; values: ...",
     "runs": [{"name": "stage1/run-a",
               "config": {"coord_soft_ce_w1.temperature": 1.0, ...},
               "curves": [{"tag": "eval/loss", "points": 46, "binned": false}, ...],
               "steps": "eJzt...", "values": "AAAAoJmZ...", "binned_values": "zczMPw..."}]}

``version`` is the format's version: a file from a newer coordlint is refused with a message
that says so, never half-read. A run's curves are listed in order (tag, point count, whether
its points are bin medians); their points are base64 arrays, each curve's after the previous
one's: the steps of every curve (zlib'd differences: an eval grid's repeat, so steps cost next
to nothing), the values of the exact curves as float64 (as loaded, NaN kept) and the bin
medians as float32 (what TensorBoard logs them as). As JSON numbers, a file of ten 100-tag runs
took a third of a second to parse; plain base64 of int64 steps and float64 values, 50 ms; this
way (2.8 MB), about 20 ms. ``coordlint reference show FILE`` prints what a file holds.

Reading validates everything before any rule sees it: a broken, truncated or hostile file is one
:class:`ReferenceFileError` (exit 2) naming the file and the field, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coordlint.errors import InputError
from coordlint.reference import Curve, Reference

__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "VERSION",
    "ReferenceFile",
    "ReferenceFileError",
    "read_reference_file",
    "write_reference_file",
]

FORMAT = "coordlint-reference"
VERSION = 1
ARRAYS = (
    "steps: base64 of zlib of little-endian int64 step differences; values: base64 of "
    "little-endian float64; binned_values: base64 of little-endian float32"
)
#: A reference file larger than this is refused unread (ten 100-tag runs take ~10 MB).
MAX_BYTES = 512 * 1024 * 1024
_MAX_TEXT = 4096  # the longest run name, tag or config key accepted
_STEPS = np.dtype("<i8")
_VALUES = np.dtype("<f8")
_BINNED = np.dtype("<f4")


class ReferenceFileError(InputError):
    """A reference file that cannot be used: unreadable, not one, newer, or malformed."""


@dataclass(frozen=True)
class ReferenceFile:
    """What a reference file holds: its references and the header it was written with."""

    references: list[Reference]
    coordlint: str = ""
    binned_to: int = 0


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _encode_steps(steps: np.ndarray) -> str:
    """Every curve's steps, one after the other, as zlib'd differences: an eval grid's
    differences repeat, so steps cost next to nothing (half the file, as plain base64)."""
    differences = np.diff(steps.astype(_STEPS), prepend=np.int64(0)).astype(_STEPS)
    return _b64(zlib.compress(differences.tobytes(), 6))


def _encode_values(values: np.ndarray, dtype: np.dtype[Any]) -> str:
    return _b64(np.ascontiguousarray(values, dtype=dtype).tobytes())


def _joined(arrays: list[np.ndarray], dtype: np.dtype[Any]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)


def _config_value(value: Any) -> Any:
    """A config value as JSON keeps it: scalars and lists of scalars; anything else as text,
    and so a float JSON cannot spell (NaN, infinities)."""
    if isinstance(value, (list, tuple)) and all(_json_scalar(v) for v in value):
        return [_config_value(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value if _json_scalar(value) else str(value)


def write_reference_file(
    path: Path, references: Sequence[Reference], coordlint: str, binned_to: int
) -> int:
    """Write ``references`` to ``path`` (atomically: a reader never sees half a file); returns
    the number of bytes written. Raises :class:`ReferenceFileError` when it cannot be written."""
    runs = []
    for ref in references:
        curves = [ref.curve(tag) for tag in ref.tags]
        index = [
            {"tag": tag, "points": len(curve), "binned": curve.binned}
            for tag, curve in zip(ref.tags, curves, strict=True)
        ]
        config = {key: _config_value(ref.config[key]) for key in ref.config}
        runs.append(
            {
                "name": ref.name,
                "config": config,
                "curves": index,
                "steps": _encode_steps(_joined([c.steps for c in curves], _STEPS)),
                "values": _encode_values(
                    _joined([c.values for c in curves if not c.binned], _VALUES), _VALUES
                ),
                "binned_values": _encode_values(
                    _joined([c.values for c in curves if c.binned], _BINNED), _BINNED
                ),
            }
        )
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "coordlint": coordlint,
        "binned_to": binned_to,
        "arrays": ARRAYS,
        "runs": runs,
    }
    text = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    data = text.encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # created with the umask's mode
    try:
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise ReferenceFileError(
            f"cannot write reference file {path}: {exc.strerror or exc}"
        ) from exc
    return len(data)


def read_reference_file(path: Path) -> ReferenceFile:
    """Read and validate the reference file at ``path`` (raises :class:`ReferenceFileError`)."""
    where = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ReferenceFileError(
                f"reference file {where} is {size / 1e6:.0f} MB, more than a reference file "
                f"holds (at most {MAX_BYTES // (1024 * 1024)} MB)"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ReferenceFileError(
            f"cannot read reference file {where}: {exc.strerror or exc}"
        ) from exc
    try:
        doc = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, bad UTF-8, deep nesting
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReferenceFileError(f"reference file {where} is not valid JSON: {problem}") from None
    return _parse(doc, where)


def _fail(where: str, field: str, problem: str) -> ReferenceFileError:
    return ReferenceFileError(f"reference file {where}: {field}: {problem}")


def _parse(doc: Any, where: str) -> ReferenceFile:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ReferenceFileError(
            f'{where} is not a coordlint reference file (no "format": "{FORMAT}"; '
            "write one with `coordlint reference build`)"
        )
    version = doc.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise _fail(where, "version", f"must be a whole number, got {version!r}")
    if version > VERSION:
        raise ReferenceFileError(
            f"reference file {where} has format version {version}, written by a newer "
            f"coordlint ({_text(doc.get('coordlint'), 'unknown')}); this coordlint reads "
            f"version {VERSION}: upgrade coordlint or rebuild the file"
        )
    if version < 1:
        raise _fail(where, "version", f"must be 1 or more, got {version}")
    if doc.get("arrays", ARRAYS) != ARRAYS:
        raise _fail(where, "arrays", f"must be {ARRAYS!r}, got {doc.get('arrays')!r}")
    runs = doc.get("runs")
    if not isinstance(runs, list) or not runs:
        raise _fail(where, "runs", "must be a non-empty list of reference runs")
    references = []
    names: set[str] = set()
    for i, entry in enumerate(runs):
        ref = _reference(entry, f"runs[{i}]", where)
        if ref.name in names:
            raise _fail(where, f"runs[{i}].name", f"{ref.name!r} names two reference runs")
        names.add(ref.name)
        references.append(ref)
    binned_to = doc.get("binned_to", 0)
    if isinstance(binned_to, bool) or not isinstance(binned_to, int) or binned_to < 0:
        raise _fail(where, "binned_to", f"must be a whole number, got {binned_to!r}")
    return ReferenceFile(references, _text(doc.get("coordlint"), ""), binned_to)


def _text(value: Any, default: str) -> str:
    return value if isinstance(value, str) and len(value) <= _MAX_TEXT else default


def _name(value: Any, field: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        raise _fail(where, field, f"must be a non-empty string, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reference(entry: Any, field: str, where: str) -> Reference:
    if not isinstance(entry, dict):
        raise _fail(where, field, f"must be an object, got {type(entry).__name__}")
    name = _name(entry.get("name"), f"{field}.name", where)
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise _fail(where, f"{field}.config", "must be an object of config keys")
    for key, value in config.items():
        _name(key, f"{field}.config key", where)
        if not _json_scalar(value) and not (
            isinstance(value, list) and all(_json_scalar(v) for v in value)
        ):
            raise _fail(where, f"{field}.config.{key}", f"must be a value, got {_short(value)}")
    index = _index(entry.get("curves"), f"{field}.curves", where)
    total = sum(points for _, points, _ in index)
    steps = _steps(entry.get("steps"), total, f"{field}.steps", where)
    exact = sum(points for _, points, binned in index if not binned)
    values = _values(entry.get("values"), exact, _VALUES, f"{field}.values", where)
    medians = _values(
        entry.get("binned_values", ""), total - exact, _BINNED, f"{field}.binned_values", where
    )
    ends = np.cumsum([points for _, points, _ in index], dtype=np.int64)
    rising = np.diff(steps) > 0
    joints = ends[:-1][(ends[:-1] > 0) & (ends[:-1] < total)]
    rising[joints - 1] = True  # where one curve ends and the next begins
    if not rising.all():
        first = int(np.argmin(rising))
        tag = index[int(np.searchsorted(ends, first, side="right"))][0]
        raise _fail(where, f"{field}.curves[{tag!r}]", "steps must be strictly increasing")
    curves = {}
    taken = {False: 0, True: 0}  # how many points of each values array earlier curves took
    for (tag, points, binned), end in zip(index, ends.tolist(), strict=True):
        start = taken[binned]
        taken[binned] += points
        own = (medians if binned else values)[start : start + points]
        curves[tag] = Curve(steps[end - points : end], own, binned)
    return Reference(name, curves, config, origin=where)


def _index(doc: Any, field: str, where: str) -> list[tuple[str, int, bool]]:
    """The curves' ``[{"tag", "points", "binned"}]`` as (tag, points, binned), validated."""
    if not isinstance(doc, list):
        raise _fail(where, field, "must be a list of curves (tag, points, binned)")
    index: list[tuple[str, int, bool]] = []
    seen: set[str] = set()
    for i, item in enumerate(doc):
        if not isinstance(item, dict):
            raise _fail(where, f"{field}[{i}]", f"must be an object, got {type(item).__name__}")
        tag = _name(item.get("tag"), f"{field}[{i}].tag", where)
        if tag in seen:
            raise _fail(where, f"{field}[{i}].tag", f"{tag!r} is listed twice")
        seen.add(tag)
        points = item.get("points")
        if isinstance(points, bool) or not isinstance(points, int) or points < 0:
            raise _fail(
                where, f"{field}[{i}].points", f"must be a whole number, got {_short(points)}"
            )
        binned = item.get("binned", False)
        if not isinstance(binned, bool):
            raise _fail(
                where, f"{field}[{i}].binned", f"must be true or false, got {_short(binned)}"
            )
        index.append((tag, points, binned))
    return index


def _json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _decode(text: Any, field: str, where: str) -> bytes:
    if not isinstance(text, str):
        raise _fail(where, field, f"must be a base64 string, got {type(text).__name__}")
    try:
        if sys.version_info >= (3, 11):  # strict: no padding mid-string, nothing after it
            return binascii.a2b_base64(text, strict_mode=True)
        return base64.b64decode(text, validate=True)  # pragma: no cover - 3.10 only
    except (binascii.Error, ValueError) as exc:
        raise _fail(where, field, f"is not base64: {exc}") from None


def _values(text: Any, points: int, dtype: np.dtype[Any], field: str, where: str) -> np.ndarray:
    """Float values as float64 (bin medians are stored as float32)."""
    if isinstance(text, str) and len(text) != 4 * math.ceil(points * dtype.itemsize / 3):
        raise _fail(where, field, f"does not hold {points} points (wrong length)")
    raw = _decode(text, field, where)
    if len(raw) != points * dtype.itemsize:
        raise _fail(where, field, f"does not hold {points} points")
    array = np.frombuffer(raw, dtype=dtype)
    return _read_only(array if dtype == _VALUES else array.astype(np.float64))


def _steps(text: Any, points: int, field: str, where: str) -> np.ndarray:
    """The zlib'd step differences, inflated to no more than ``points`` of them (a hostile
    file cannot make it inflate more) and summed back into steps."""
    expected = points * _STEPS.itemsize
    inflate = zlib.decompressobj()
    try:
        raw = inflate.decompress(_decode(text, field, where), expected)
    except zlib.error as exc:
        raise _fail(where, field, f"is not zlib data: {exc}") from None
    if len(raw) != expected or not inflate.eof or inflate.unconsumed_tail:
        raise _fail(where, field, f"does not hold {points} points")
    with np.errstate(over="ignore"):  # wrapped sums of hostile differences fail the rise check
        return _read_only(np.cumsum(np.frombuffer(raw, dtype=_STEPS)))


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
