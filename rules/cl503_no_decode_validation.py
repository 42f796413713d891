"""The run validates coord tokens only under teacher forcing: it logs no decode-based metric.

## What it does
For runs that log coord metrics (``coord_softce_w1/*``, ``coord_diag/*`` or a flip rate), checks
whether any tag matches one of ``patterns`` (shell-style, case-sensitive), the names decode-based
validation is usually logged under: mAP, AP50, F1, ``rollout/*``, ``*/detection/*``. Reports,
as info, when none does. Runs with no coord metrics are not coord-token runs and are skipped.

**Operating range**: any; it reads tag names. On ``benchmarks/accuracy`` precision and recall
are 1.0.

## Why it matters
Teacher-forcing diagnostics do not predict rollout quality well: in the stage-1 comparison the
three runs ended at 20.88, 20.90 and 21.37 bins of expected-bin MAE with very different COCO
mAP. Detection is scored on free autoregressive generation, where small per-token differences
compound into when the model stops emitting objects, how many it emits, and whether it stays on
the output schema. A lightweight periodic decode-based metric, even on a tiny eval slice, makes
those failure modes visible during training.

## Example
``run CL503 [info] no decode-based validation metric is logged (no tag matches *map*, *mAP*,
...): only teacher-forcing coord metrics ...``

## Options
``patterns``: the tag patterns that count as decode-based validation; extend it with the name
your trainer logs (e.g. ``"eval/bench/*"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

import coordlint

from . import _coord as m

PATTERNS = [
    "*map*",
    "*mAP*",
    "*AP50*",
    "*f1*",
    "*F1*",
    "rollout/*",
    "*/rollout/*",
    "*/detection/*",
]


@coordlint.rule("CL503", "no-decode-validation", severity="info", params={"patterns": PATTERNS})
def no_decode_validation(run: coordlint.Run, patterns: list[str]) -> Iterator[coordlint.Finding]:
    if not m.logs_coord_metrics(run):
        raise coordlint.NotApplicable("the run logs no coord metrics")
    patterns = [str(p) for p in patterns]
    if any(fnmatchcase(tag, p) for tag in run.tags for p in patterns):
        return
    shown = ", ".join(patterns[:4]) + (", ..." if len(patterns) > 4 else "")
    yield coordlint.Finding(
        f"no decode-based validation metric is logged (no tag matches {shown}): only "
        "teacher-forcing coord metrics, which predict rollout mAP poorly; add a periodic "
        "decode-based metric (e.g. mAP on a small eval slice) to stage-1 training",
        data={},
    )
