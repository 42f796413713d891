"""A cache segment's header: the entry's state as JSON, and the checks it must pass when read.

A header whose checksum matches is still not trusted: a hand-edited entry can carry a recomputed
CRC. :func:`entry_from_header` parses it with a nesting limit and checks its structure before
anything is used: exact types (a bool is not an int), every number in its range, counts that
agree with each other (a tag's point count, its non-finite count, the problems reported against
the spans counted), steps and offsets that make sense (a point count of at least one, steps of
an increasing column that increase, every problem inside the cached bytes, the sampled blocks
where the offset puts them). Anything else raises :class:`HeaderError` and the entry is not
used: the event file is decoded again. (A tag block's own checksum, and its facts against its
arrays, are checked when it is read: :mod:`.reader`.)

What no check can catch is an edit that keeps all of that consistent (another finite value in
a block, with its checksum and the header's recomputed): the cache is then as trustworthy as
the directory it lives in, like the event files themselves.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from coordlint.columns import ColumnFacts, Problem
from coordlint.loading import json_input
from coordlint.loading.damage import MAX_RANGES, MAX_REPORTED

__all__ = ["FIELDS", "CachedTag", "HeaderError", "entry_from_header", "entry_json", "problem_json"]

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_U32_MAX = 2**32 - 1
_KIND = re.compile(r"[a-z][a-z0-9-]{0,39}")
_MAX_MESSAGE = 4000
#: An entry's fields, as its segment header holds them (and its ``tags``).
FIELDS = (
    "path",
    "size",
    "mtime_ns",
    "offset",
    "samples",
    "records",
    "header_records",
    "first_wall_time",
    "corrupt_count",
    "corrupt_summary",
    "bad_tensors",
    "plugins",
    "scan_problems",
    "decode_problems",
)
_KEYS = frozenset({*FIELDS, "tags"})


class HeaderError(ValueError):
    """A segment header that is not exactly what coordlint writes."""


@dataclass(frozen=True)
class CachedTag:
    """One tag's block in a segment: its column's facts and the block's crc32c."""

    tag: str
    facts: ColumnFacts
    crc: int


def problem_json(p: Problem) -> list:
    return [p.kind, p.message, p.offset, p.records_skipped, p.bytes_skipped, list(p.ranges)]


def entry_json(fields: dict[str, Any], tags: list[CachedTag]) -> dict[str, Any]:
    """The header of a segment holding an entry's ``fields`` and these tags."""
    out = dict(fields)
    summary = fields["corrupt_summary"]
    out["corrupt_summary"] = None if summary is None else problem_json(summary)
    out["samples"] = [list(s) for s in fields["samples"]]
    out["scan_problems"] = [problem_json(p) for p in fields["scan_problems"]]
    out["decode_problems"] = [problem_json(p) for p in fields["decode_problems"]]
    out["tags"] = [_tag_json(t) for t in tags]
    return out


def _tag_json(t: CachedTag) -> list:
    f = t.facts
    bad = list(f.first_non_finite) if f.first_non_finite is not None else None
    return [t.tag, t.crc, f.n, f.increasing, f.first_step, f.last_step, f.non_finite, bad]


# -- reading ------------------------------------------------------------------------------


def entry_from_header(header: bytes, samples_for: Any) -> tuple[dict[str, Any], list[CachedTag]]:
    """The entry's fields and its tags from a segment header; raises :class:`HeaderError`.

    ``samples_for(offset)`` gives the (position, length) blocks an entry at ``offset`` samples.
    """
    try:
        d = json_input.parse(header)
    except json_input.JsonError as exc:
        raise HeaderError(f"not JSON: {exc}") from None
    if type(d) is not dict or set(d) != _KEYS:
        raise HeaderError("not an entry header")
    path = _str(d["path"], "path")
    size = _int(d["size"], 0, _INT64_MAX, "size")
    offset = _int(d["offset"], 1, size, "offset")
    samples = [_sample(s) for s in _list(d["samples"], "samples")]
    if [(p, n) for p, n, _ in samples] != samples_for(offset):
        raise HeaderError("samples do not match the offset")
    records = _int(d["records"], 1, offset // 16, "records")
    wall = d["first_wall_time"]
    if wall is not None and type(wall) is not float:
        raise HeaderError("first_wall_time")
    plugins = d["plugins"]
    if type(plugins) is not dict or not all(type(v) is str for v in plugins.values()):
        raise HeaderError("plugins")
    spans = _int(d["corrupt_count"], 0, offset, "corrupt_count")
    scan = [_problem(path, p, offset) for p in _list(d["scan_problems"], "scan_problems")]
    if len(scan) != min(spans, MAX_REPORTED):
        raise HeaderError("scan problems disagree with the spans counted")
    summary = d["corrupt_summary"]
    if (summary is None) != (spans <= MAX_REPORTED):
        raise HeaderError("corrupt summary disagrees with the spans counted")
    fields = {
        "path": path,
        "size": size,
        "mtime_ns": _int(d["mtime_ns"], _INT64_MIN, _INT64_MAX, "mtime_ns"),
        "offset": offset,
        "samples": samples,
        "records": records,
        "header_records": _int(d["header_records"], 0, records, "header_records"),
        "first_wall_time": wall,
        "corrupt_count": spans,
        "corrupt_summary": None if summary is None else _problem(path, summary, offset),
        "bad_tensors": _int(d["bad_tensors"], 0, records, "bad_tensors"),
        "plugins": plugins,
        "scan_problems": scan,
        "decode_problems": [
            _problem(path, p, offset) for p in _list(d["decode_problems"], "decode_problems")
        ],
    }
    tags = [_tag_from(t) for t in _list(d["tags"], "tags")]
    if len({t.tag for t in tags}) != len(tags):
        raise HeaderError("a tag twice")
    return fields, tags


def _str(value: Any, what: str) -> str:
    if type(value) is not str:
        raise HeaderError(what)
    return value


def _list(value: Any, what: str) -> list:
    if type(value) is not list:
        raise HeaderError(what)
    return value


def _int(value: Any, lo: int, hi: int, what: str) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise HeaderError(f"{what}: expected an int in [{lo}, {hi}]")
    return value


def _sample(raw: Any) -> tuple[int, int, int]:
    if type(raw) is not list or len(raw) != 3:
        raise HeaderError("sample")
    pos, length, crc = raw
    return (
        _int(pos, 0, _INT64_MAX, "sample"),
        _int(length, 1, _INT64_MAX, "sample"),
        _int(crc, 0, _U32_MAX, "sample"),
    )


def _problem(file: str, raw: Any, offset: int) -> Problem:
    """A cached problem: every byte offset it names lies before the cached ``offset``."""
    if type(raw) is not list or len(raw) != 6:
        raise HeaderError("problem")
    kind, message, at, records, nbytes, ranges = raw
    if type(kind) is not str or not _KIND.fullmatch(kind):
        raise HeaderError("problem kind")
    if type(message) is not str or len(message) > _MAX_MESSAGE:
        raise HeaderError("problem message")
    if at is not None:
        _int(at, 0, offset, "problem offset")
    _int(records, 0, offset, "records skipped")
    _int(nbytes, 0, offset, "bytes skipped")
    if type(ranges) is not list or len(ranges) > MAX_RANGES:
        raise HeaderError("problem ranges")
    spans = []
    for r in ranges:
        if type(r) is not list or len(r) != 2:
            raise HeaderError("problem range")
        a = _int(r[0], 0, offset, "range")
        spans.append((a, _int(r[1], a, offset, "range")))
    return Problem(file, kind, message, at, records, nbytes, tuple(spans))


def _tag_from(raw: Any) -> CachedTag:
    if type(raw) is not list or len(raw) != 8:
        raise HeaderError("tag")
    tag, crc, n, increasing, first, last, non_finite, bad = raw
    tag = _str(tag, "tag")
    if type(increasing) is not bool:
        raise HeaderError(f"tag {tag!r}: increasing")
    _int(crc, 0, _U32_MAX, "block crc")
    _int(n, 1, _INT64_MAX, "point count")
    _int(first, _INT64_MIN, _INT64_MAX, "first step")
    _int(last, _INT64_MIN, _INT64_MAX, "last step")
    _int(non_finite, 0, n, "non-finite count")
    if n == 1 and (first != last or not increasing):
        raise HeaderError(f"tag {tag!r}: one point, two steps")
    if increasing and n > 1 and not first + n - 1 <= last:
        raise HeaderError(f"tag {tag!r}: steps cannot increase from {first} to {last}")
    first_bad = None
    if bad is not None:
        if type(bad) is not list or len(bad) != 2:
            raise HeaderError(f"tag {tag!r}: first non-finite")
        step, value = bad
        _int(step, _INT64_MIN, _INT64_MAX, "first non-finite step")
        if type(value) is not float or math.isfinite(value):
            raise HeaderError(f"tag {tag!r}: a first non-finite value that is finite")
        if increasing and not first <= step <= last:
            raise HeaderError(f"tag {tag!r}: first non-finite step out of range")
        first_bad = (step, value)
    if (non_finite > 0) != (first_bad is not None):
        raise HeaderError(f"tag {tag!r}: non-finite facts disagree")
    return CachedTag(tag, ColumnFacts(n, increasing, first, last, non_finite, first_bad), crc)
