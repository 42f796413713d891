"""Baselines: accept today's findings, fail only on new ones.

A baseline records findings by (run, code, tag) with a count, never by message text, so a
reworded message or a moved number does not make an old finding look new.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from coordlint.errors import InputError
from coordlint.rule import Finding

Key = tuple[str, str, str]  # run, code, tag ("" when the finding has none)
FORMAT_VERSION = 1


def key(finding: Finding) -> Key:
    return (finding.run or "", finding.code, finding.tag or "")


def write_baseline(path: Path, findings: Iterable[Finding], version: str) -> int:
    """Record ``findings``; return how many entries were written."""
    counts = Counter(key(f) for f in findings)
    entries = [
        {"run": run, "code": code, "tag": tag or None, "count": n}
        for (run, code, tag), n in sorted(counts.items())
    ]
    doc = {"coordlint": version, "baseline": FORMAT_VERSION, "findings": entries}
    try:
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write baseline {path}: {exc.strerror or exc}") from exc
    return len(entries)


def read_baseline(path: Path) -> Counter[Key]:
    """The baseline's entries with their counts; an unreadable baseline is an input error."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = doc["findings"]
        return Counter(
            {
                (str(e["run"]), str(e["code"]), str(e.get("tag") or "")): int(e["count"])
                for e in entries
            }
        )
    except OSError as exc:
        raise InputError(f"cannot read baseline {path}: {exc.strerror or exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a coordlint baseline ({type(exc).__name__}: {exc})") from exc


class BaselineFilter:
    """Matches findings against a baseline, each entry up to its count, and remembers what was
    never matched (baseline entries that no longer occur)."""

    def __init__(self, entries: Counter[Key]):
        self.remaining = Counter(entries)
        self.matched = 0

    def __call__(self, finding: Finding) -> str | None:
        k = key(finding)
        if self.remaining[k] > 0:
            self.remaining[k] -= 1
            self.matched += 1
            return "baseline"
        return None

    @property
    def stale(self) -> list[Key]:
        """Baseline entries (with multiplicity) that matched no finding."""
        return sorted(k for k, n in self.remaining.items() for _ in range(n))
