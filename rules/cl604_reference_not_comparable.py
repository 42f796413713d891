"""A reference run was left out of this run's comparison: its coord config or objective differs.

## What it does
For each reference run (``check --reference FILE_OR_RUN``), compares the coord settings
CL502 compares, where both this run's config and the reference's say: the soft target
(``coord_soft_ce_w1.temperature``, ``target_sigma``, ``target_truncate``) and, unless either
run has the soft-CE loss disabled, the loss weights (``ce_weight``, ``soft_ce_weight``,
``w1_weight``, ``gate_weight``, ``text_gate_weight``); and the coord objective CL101 reports
(``mixed``, ``soft_only``, ``pure_ce``) where both are known. A reference that differs in any
of them, or that is this run itself, is left out of the envelope CL601–CL603 judge this run
with; one finding per reference left out, naming what differs. Not applicable without
references.

## Why it matters
A band learned from runs trained differently is not a band for this run: a higher
temperature raises ``soft_ce``'s floor, a loss weight scales the logged terms, another
objective moves every coord metric. Comparing against such a reference would fail a healthy
run (or pass a broken one), so it is left out, and the report says so rather than narrowing
the comparison silently.

## Data
``reference`` (its name), ``keys`` (the differing config keys, and ``objective``),
``reason``.

## Example
``cand CL604 [info] reference ref-hot is left out of this run's comparison: temperature is
2.0 there, 1.0 here``
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint

from . import _reference as r


@coordlint.rule("CL604", "reference-not-comparable", severity="info")
def reference_not_comparable(run: coordlint.Run) -> Iterator[coordlint.Finding]:
    if not run.references:
        raise coordlint.NotApplicable("no reference runs (check --reference FILE_OR_RUN)")
    kept, left = r.comparable(run)
    for out in left:
        remaining = f"{len(kept)} reference{'s' if len(kept) != 1 else ''} left"
        yield coordlint.Finding(
            f"reference {out.reference.name} is left out of this run's comparison: "
            f"{out.reason} ({remaining})",
            data={
                "reference": out.reference.name,
                "keys": ", ".join(out.keys),
                "reason": out.reason,
            },
        )
