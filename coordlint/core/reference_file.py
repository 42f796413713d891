"""The reference file (``coordlint-reference.json``): write it, read it back, validate every field.

A small, versioned JSON document meant to be committed next to the CI config::

    {"format": "coordlint-reference", "version": 1, "coordlint": "0.1.0", "binned_to": 500,
     "arrays": "base64 of little-endian int64 steps and float64 values",
     "runs": [{"name": "stage1/run-a",
               "config": {"coord_soft_ce_w1.temperature": 1.0, ...},
               "curves": {"eval/loss": {"points": 46, "binned": false,
                                        "steps": "KAAAAAAAAAA...", "values": "AAAAoJmZ..."}}}]}

``version`` is the format's version: a file from a newer coordlint is refused with a message
that says so, never half-read. Curves are base64 arrays, not JSON numbers: exact (float64, as
loaded, NaN kept), and a file of ten 100-tag runs reads in milliseconds instead of the third of
a second a million JSON numbers take. ``coordlint reference show FILE`` prints what a file holds.

Reading validates everything before any rule sees it: a broken, truncated or hostile file is one
:class:`ReferenceFileError` (exit 2) naming the file and the field, never a traceback.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import os
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
ARRAYS = "base64 of little-endian int64 steps and float64 values"
#: A reference file larger than this is refused unread (ten 100-tag runs take ~10 MB).
MAX_BYTES = 512 * 1024 * 1024
_MAX_TEXT = 4096  # the longest run name, tag or config key accepted
_STEPS = np.dtype("<i8")
_VALUES = np.dtype("<f8")


class ReferenceFileError(InputError):
    """A reference file that cannot be used: unreadable, not one, newer, or malformed."""


@dataclass(frozen=True)
class ReferenceFile:
    """What a reference file holds: its references and the header it was written with."""

    references: list[Reference]
    coordlint: str = ""
    binned_to: int = 0


def _encode(array: np.ndarray, dtype: np.dtype[Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=dtype).tobytes()).decode("ascii")


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
        curves = {}
        for tag in ref.tags:
            curve = ref.curve(tag)
            curves[tag] = {
                "points": len(curve),
                "binned": curve.binned,
                "steps": _encode(curve.steps, _STEPS),
                "values": _encode(curve.values, _VALUES),
            }
        config = {key: _config_value(ref.config[key]) for key in ref.config}
        runs.append({"name": ref.name, "config": config, "curves": curves})
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
    curves = entry.get("curves")
    if not isinstance(curves, dict):
        raise _fail(where, f"{field}.curves", "must be an object of curves by tag")
    parsed = {}
    for tag, curve in curves.items():
        _name(tag, f"{field}.curves key", where)
        parsed[tag] = _curve(curve, f"{field}.curves[{tag!r}]", where)
    return Reference(name, parsed, config, origin=where)


def _json_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _curve(doc: Any, field: str, where: str) -> Curve:
    if not isinstance(doc, dict):
        raise _fail(where, field, f"must be an object, got {type(doc).__name__}")
    points = doc.get("points")
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise _fail(where, f"{field}.points", f"must be a whole number, got {_short(points)}")
    binned = doc.get("binned", False)
    if not isinstance(binned, bool):
        raise _fail(where, f"{field}.binned", f"must be true or false, got {_short(binned)}")
    steps = _array(doc.get("steps"), _STEPS, points, f"{field}.steps", where)
    values = _array(doc.get("values"), _VALUES, points, f"{field}.values", where)
    if points > 1 and not bool(np.all(steps[1:] > steps[:-1])):
        raise _fail(where, f"{field}.steps", "must be strictly increasing")
    return Curve(steps, values, binned)


def _array(text: Any, dtype: np.dtype[Any], points: int, field: str, where: str) -> np.ndarray:
    if not isinstance(text, str):
        raise _fail(where, field, f"must be a base64 string, got {type(text).__name__}")
    if len(text) != 4 * math.ceil(points * dtype.itemsize / 3):
        raise _fail(where, field, f"does not hold {points} points (wrong length)")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _fail(where, field, f"is not base64: {exc}") from None
    if len(raw) != points * dtype.itemsize:  # padding in the middle ends the data early
        raise _fail(where, field, f"does not hold {points} points")
    array = np.frombuffer(raw, dtype=dtype)
    array.flags.writeable = False
    return array
