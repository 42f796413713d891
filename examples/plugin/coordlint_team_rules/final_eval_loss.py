"""Final eval loss is above the team's bar.

## What it does
Compares the last ``eval/loss`` of the run with ``max_loss``.

## Why it matters
A merged checkpoint whose eval loss never came down to the level the team ships at should not be
promoted without a look.

## Options
``max_loss`` (1.0): the bar.
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint


@coordlint.rule("TM001", "final-eval-loss-high", severity="warning", params={"max_loss": 1.0})
def final_eval_loss_high(run: coordlint.Run, max_loss: float) -> Iterator[coordlint.Finding]:
    s = run.series("eval/loss")
    if len(s) and s.iloc[-1] > max_loss:
        yield coordlint.Finding(
            f"final eval/loss {s.iloc[-1]:.3f} is above the bar of {max_loss}",
            tag="eval/loss",
            step=int(s.index[-1]),
            data={"final": float(s.iloc[-1]), "max_loss": max_loss},
        )
