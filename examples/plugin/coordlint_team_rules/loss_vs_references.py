"""Final eval loss is more than a margin above the reference runs' (NeMo CI's 5% rule).

## What it does
Takes the last ``eval/loss`` of the run and of each reference run (``coordlint check
--reference FILE_OR_RUN``: ``run.references``), and fires when the run's is more than
``margin`` above the references' median. Not applicable without references.

## Why it matters
NeMo's CI allows a fixed 5% loss margin against a known-good run. A team that wants exactly
that rule, next to coordlint's learned bands (CL601–CL603), writes it in a few lines against
``run.references``: each reference has ``.name``, ``.config`` and ``.series(tag)`` like a run.

## Options
``margin`` (0.05).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

import coordlint


@coordlint.rule("TM004", "eval-loss-above-references", severity="warning", params={"margin": 0.05})
def eval_loss_above_references(run: coordlint.Run, margin: float) -> Iterator[coordlint.Finding]:
    if not run.references:
        raise coordlint.NotApplicable("no reference runs (check --reference FILE_OR_RUN)")
    mine = run.series("eval/loss").dropna()
    finals = {
        ref.name: float(theirs.iloc[-1])
        for ref in run.references
        if len(theirs := ref.series("eval/loss").dropna())
    }
    if mine.empty or not finals:
        return
    bar = statistics.median(finals.values()) * (1 + margin)
    final = float(mine.iloc[-1])
    if final > bar:
        yield coordlint.Finding(
            f"final eval/loss {final:.4g} is more than {margin:.0%} above the reference runs' "
            f"median {statistics.median(finals.values()):.4g} ({', '.join(sorted(finals))})",
            tag="eval/loss",
            step=int(mine.index[-1]),
            data={"final": final, "bar": bar, "references": len(finals)},
        )
