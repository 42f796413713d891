"""Resumed runs as one: an experiment's ms-swift version directories, linked into lineages.

ms-swift writes each invocation, a resume included, to a new ``vN-<timestamp>/`` directory
under the experiment's output directory. Sibling version directories are *one run* when one
resumes another:

- its ``args.json`` ``resume_from_checkpoint`` points into the sibling (the path may be
  relative or from another machine: it is matched by its trailing components, the sibling's
  name followed by at most a ``checkpoint-N`` directory); or, without that field,
- its first logged step continues where the sibling's last one ended: after the sibling's
  first step and no more than one logging interval after its last.

Parts are taken in training order (their timestamps, then their version numbers); a part
links to the latest lineage it continues. A resume of a part that another part already resumed
(a fork) starts a lineage of its own. A lineage is read as one run: every part in order, a step
written twice resolved latest-wins (:meth:`~coordlint.rundata.RunData.joined`), named after the
experiment directory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path, PurePath

from coordlint.execution.naming import VERSION_DIR, absolute, is_version_dir
from coordlint.loading.spec import LOGGING_JSONL, TB_SUBDIR, TRAINER_STATE
from coordlint.rundata import RunData

__all__ = ["link", "sibling_parts", "training_order"]


def training_order(path: Path) -> tuple[str, int, str]:
    """Sort key of a version directory: its timestamp, then its version number."""
    match = VERSION_DIR.match(path.name)
    if match is None:
        return ("", -1, path.name)
    return (match.group(2), int(match.group(1)), path.name)


def sibling_parts(part: Path) -> list[Path]:
    """The version directories beside ``part`` (itself included) that hold a run's logs, in
    training order; just ``[part]`` when it is not a version directory."""
    if not is_version_dir(absolute(part).name):
        return [part]
    experiment = part.parent
    try:
        names = os.listdir(experiment)
    except OSError:
        return [part]
    found = [part]
    for name in names:
        sibling = experiment / name
        if name != part.name and is_version_dir(name) and _holds_logs(sibling):
            found.append(sibling)
    return sorted(found, key=training_order)


def _holds_logs(directory: Path) -> bool:
    if (directory / LOGGING_JSONL).is_file() or (directory / TB_SUBDIR).is_dir():
        return True
    try:
        return any(
            (directory / n / TRAINER_STATE).is_file() or n == TRAINER_STATE
            for n in os.listdir(directory)
        )
    except OSError:
        return False


def _extent(run: RunData) -> tuple[int, int, float] | None:
    """First and last logged step, and the logging interval (of the densest tag)."""
    facts = [c.facts for c in run.columns.values() if len(c)]
    if not facts:
        return None
    densest = max(facts, key=lambda f: f.n)
    span = densest.last_step - densest.first_step
    interval = span / (densest.n - 1) if densest.n > 1 else 1.0
    first = min(f.first_step for f in facts)
    return first, max(f.last_step for f in facts), max(1.0, interval)


def _resumes(run: RunData, names: Sequence[str]) -> str | None:
    """The sibling ``run``'s ``resume_from_checkpoint`` points into (``""``: it resumes from
    somewhere else; ``None``: it does not say)."""
    value = run.config.get("resume_from_checkpoint") if run.config else None
    if not isinstance(value, str) or not value.strip():
        return None
    parts = PurePath(value.strip()).parts
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in names and len(parts) - i <= 2:
            return parts[i]
    return ""


def _continues(later: RunData, earlier: RunData) -> bool:
    a, b = _extent(earlier), _extent(later)
    if a is None or b is None:
        return False
    first, last, interval = a
    return first < b[0] <= last + math.ceil(interval)


def link(parts: Sequence[tuple[Path, RunData]]) -> list[list[tuple[Path, RunData]]]:
    """Group an experiment's loaded parts (in training order) into lineages."""
    names = [absolute(path).name for path, _ in parts]
    lineages: list[list[tuple[Path, RunData]]] = []
    for path, run in parts:
        tails = {absolute(lineage[-1][0]).name: lineage for lineage in lineages}
        target = _resumes(run, names)
        if target is None:
            linked = [ln for ln in lineages if _continues(run, ln[-1][1])]
            lineage = linked[-1] if linked else None
        else:
            lineage = tails.get(target)
        if lineage is None:
            lineages.append([(path, run)])
        else:
            lineage.append((path, run))
    return lineages
