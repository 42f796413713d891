"""The learning rate never warmed up.

## What it does
Checks that ``train/learning_rate`` starts below ``max_start_fraction`` of its peak.

## Why it matters
Starting large-model fine-tuning at the peak learning rate often spikes the loss in the first
hundred steps; a missing warmup is usually a config typo (``warmup_ratio`` vs ``warmup_steps``).

## Options
``max_start_fraction`` (0.5).
"""

from __future__ import annotations

from collections.abc import Iterator

import coordlint


@coordlint.rule("TM003", "lr-never-warmed-up", severity="info", params={"max_start_fraction": 0.5})
def lr_never_warmed_up(
    run: coordlint.Run, max_start_fraction: float
) -> Iterator[coordlint.Finding]:
    lr = run.series("train/learning_rate")
    if len(lr) < 2 or lr.max() <= 0:
        return
    start, peak = float(lr.iloc[0]), float(lr.max())
    if start >= max_start_fraction * peak:
        yield coordlint.Finding(
            f"learning rate starts at {start:.3g}, {start / peak:.0%} of its peak {peak:.3g}: "
            "no warmup",
            tag="train/learning_rate",
            step=int(lr.index[0]),
            data={"start": start, "peak": peak},
        )
