"""Checkpoint helpers shared by the coord rules (not a rule: no module-level Rule here).

Which saved models a run kept (``run.kept_checkpoints``), which of them is near a step, how far
"near" is (one save interval), the value of a curve at a checkpoint's step, and what would have
kept a checkpoint that is missing.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING

import numpy as np

import coordlint

from . import _coord as m

if TYPE_CHECKING:
    import pandas as pd

#: Without a known save interval, "near" is this share of the run's length.
NEAR_SHARE = 0.1


def name(checkpoint: coordlint.Checkpoint) -> str:
    """The checkpoint's directory name (``checkpoint-400``)."""
    return PurePath(checkpoint.path).name


def by_step(run: coordlint.Run) -> dict[int, coordlint.Checkpoint]:
    """The run's kept checkpoints by step; a checkpoint directory rather than its merged copy."""
    found: dict[int, coordlint.Checkpoint] = {}
    for checkpoint in run.kept_checkpoints:
        if checkpoint.step not in found or found[checkpoint.step].merged > checkpoint.merged:
            found[checkpoint.step] = checkpoint
    return found


def save_interval(run: coordlint.Run, length: int) -> tuple[float, str]:
    """How far from a step a checkpoint is still "near" it: one save interval (the config's
    ``save_steps``), else :data:`NEAR_SHARE` of the run's ``length``; and how to say it."""
    save_steps = m.config_value(run, m.CFG_SAVE_STEPS)
    if isinstance(save_steps, (int, float)) and not isinstance(save_steps, bool) and save_steps > 0:
        return float(save_steps), f"one save interval (save_steps={int(save_steps)})"
    within = max(1.0, NEAR_SHARE * length)
    return within, f"{within:.0f} steps ({NEAR_SHARE:.0%} of the run; save_steps unknown)"


def kept_near(
    run: coordlint.Run, step: int, within: float, before: int | None = None
) -> coordlint.Checkpoint | None:
    """The kept checkpoint nearest ``step`` no more than ``within`` steps away (and, with
    ``before``, saved before that step); the earlier one on a tie."""
    near = [
        (abs(s - step), s, c)
        for s, c in by_step(run).items()
        if abs(s - step) <= within and (before is None or s < before)
    ]
    return min(near, key=lambda item: item[:2])[2] if near else None


def value_at(series: pd.Series, step: int) -> tuple[int, float] | None:
    """The eval a checkpoint saved at ``step`` is judged by: the one at ``step``, else the last
    one before it; ``None`` when there is none."""
    steps = series.index.to_numpy()
    i = int(np.searchsorted(steps, step, side="right")) - 1
    return None if i < 0 else (int(steps[i]), float(series.iloc[i]))


def keep_advice(run: coordlint.Run, tag: str) -> str:
    """What would have kept a checkpoint near the best eval: the trainer's settings."""
    limit = run.config.get("save_total_limit")
    metric = tag.removeprefix("eval/")
    kept = f"save_total_limit={limit} kept only the last {limit}" if limit else "none was kept"
    return (
        f"{kept}; raise save_total_limit, or set load_best_model_at_end with "
        f"metric_for_best_model={metric} (greater_is_better false) to keep the best one"
    )
