"""A kept checkpoint fits the soft target clearly better than the gated one: ship that one?

## What it does
Applies to a gated checkpoint (a checkpoint directory given as a RUN, or ``--step``) and reads
the *whole* run, since the question is "is there a better checkpoint to ship?": the evals after
the checkpoint count. For each metric in ``metrics`` (default ``soft_ce``, from
``eval/coord_softce_w1/soft_ce``, else ``eval/coord_diag/soft_ce``), a checkpoint saved at step
N is judged by the eval at N, or the last one before it. Fires when

- the gated checkpoint's value is at least ``min_rise`` (relative) worse than a kept
  checkpoint's (``checkpoint-N/`` or a merged model beside the logs): it names the best kept
  one, with both values and steps; or
- no kept checkpoint is that much better, but the best eval of the run is, and no checkpoint
  was kept within one save interval of it (``save_steps``; 10% of the run's length when
  unknown): it says so, and what would have kept one (``save_total_limit``,
  ``load_best_model_at_end`` with ``metric_for_best_model``), instead of naming a far-away
  checkpoint.

## Why it matters
Under pure CE the soft-CE diagnostic improves early and worsens later (CL201): the last
checkpoint, the one a merge script picks by default, may be a worse candidate than an earlier
one. Like CL201 this compares a teacher-forced diagnostic, not decode quality: evaluate the
named checkpoint with a decode-based metric before shipping it instead.

## Data
``tag``, ``step`` (the gated step), ``value`` (its eval), ``eval_step`` (the eval it is judged
by); when a kept checkpoint is better: ``better`` (its directory name), ``better_step``,
``better_value``; else ``best_step``, ``best_value`` (the run's best eval), ``rise``.

## Example
``run@1800 CL204 [warning] eval/coord_diag/soft_ce at this checkpoint (step 1800) is 4.72,
12.7% worse than 4.19 at checkpoint-400 (step 400), a kept checkpoint: evaluate
checkpoint-400 before shipping this one``

## Options
- ``min_rise`` (default ``0.05``): the relative difference that counts, as in CL201 (eval
  noise of these diagnostics is around 1%).
- ``metrics`` (default ``["soft_ce"]``): coord metrics to compare (lower is better).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

import coordlint

from . import _checkpoints as ck
from . import _coord as m
from ._curves import running_median

NOT_A_CHECKPOINT = "not a checkpoint: gate one by naming its directory, or pass --step N"


@coordlint.rule(
    "CL204",
    "checkpoint-not-best",
    severity="warning",
    params={"min_rise": 0.05, "metrics": ["soft_ce"]},
    whole_run=True,
)
def checkpoint_not_best(
    run: coordlint.Run, min_rise: float, metrics: list[str]
) -> Iterator[coordlint.Finding]:
    gated = run.checkpoint
    if gated is None:
        raise coordlint.NotApplicable(NOT_A_CHECKPOINT)
    for metric in metrics:
        tag, series = m.coord_series(run, str(metric))
        own = ck.value_at(series, gated.step) if tag is not None else None
        if tag is None or own is None:
            continue
        eval_step, value = own
        data: dict[str, object] = {
            "tag": tag,
            "step": gated.step,
            "value": value,
            "eval_step": eval_step,
        }
        kept = ck.by_step(run)
        judged = {s: v for s in kept if s != gated.step and (v := ck.value_at(series, s))}
        if judged:
            best_step = min(judged, key=lambda s: (judged[s][1], s))
            better = judged[best_step][1]
            if better > 0 and value >= better * (1 + min_rise):
                name = ck.name(kept[best_step])
                data |= {"better": name, "better_step": best_step, "better_value": better}
                yield coordlint.Finding(
                    f"{tag} at this checkpoint (step {gated.step}) is {value:.4g}, "
                    f"{value / better - 1:.1%} worse than {better:.4g} at {name} (step "
                    f"{best_step}), a kept checkpoint: evaluate {name} before shipping this one",
                    tag=tag,
                    step=best_step,
                    data=data,
                    series=series,
                )
                continue
        yield from _best_not_kept(run, tag, series, value, min_rise, data)


def _best_not_kept(
    run: coordlint.Run, tag: str, series, value: float, min_rise: float, data: dict
) -> Iterator[coordlint.Finding]:
    # the best eval as CL201 finds it: on a 3-eval running median, so one lucky eval is not it
    values = series.to_numpy()
    smooth = running_median(series, 3, keep_ends=False).to_numpy()
    i = int(np.argmin(smooth))
    if smooth[i] <= 0 or value < smooth[i] * (1 + min_rise):
        return
    lo = max(0, i - 1)
    i = lo + int(np.argmin(values[lo : i + 2]))
    best_step, best = int(series.index[i]), float(values[i])
    within, how_far = ck.save_interval(run, int(series.index[-1]))
    if ck.kept_near(run, best_step, within) is not None:
        return  # a checkpoint near the best was kept, and it is not clearly better: no news
    data |= {"best_step": best_step, "best_value": best, "rise": value / best - 1}
    yield coordlint.Finding(
        f"{tag} at this checkpoint (step {data['step']}) is {value:.4g}, {value / best - 1:.1%} "
        f"worse than the run's best eval ({best:.4g} at step {best_step}), but no checkpoint "
        f"within {how_far} of step {best_step} was kept: {ck.keep_advice(run, tag)}",
        tag=tag,
        step=best_step,
        data=data,
        series=series,
    )
