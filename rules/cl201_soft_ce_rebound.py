"""A soft-CE diagnostic improved, bottomed out, then rose and stayed up: check earlier checkpoints.

## What it does
Reads the eval curve of each metric in ``metrics`` (default: ``soft_ce``, from
``eval/coord_softce_w1/soft_ce``, else ``eval/coord_diag/soft_ce``) and fires when the curve

1. improves: its minimum is at least ``min_rise`` below where it started;
2. reaches that minimum (found on a 3-eval running median, so one lucky eval is not "the best";
   the first eval is kept as logged and left out of its neighbour's window, so a descent that
   shows in a single eval on a coarse eval grid is not smoothed away);
3. then rises at least ``min_rise`` above it, and every one of the last ``sustain`` evals stays
   that high, to the end of the run;
4. and that rise clears the eval noise: the median of the last ``sustain`` evals over the mean
   of the three evals around the best must exceed what noise alone would give, at a 1% false
   alarm rate corrected for the best being the lowest of many evals. The noise is estimated
   from the curve itself, after its initial descent, as autocorrelated (AR(1)) noise around a
   local trend (see ``coordlint/rules/_curves.py``); on a curve with under 8 evals after its
   descent, as white noise from second differences.

A curve that meets 1-3 but not 4 gets an ``info`` finding: it may have rebounded, but its evals
are too noisy to tell. The message names the best step and value, the final value and the rise,
and which checkpoint to evaluate: a kept one (``checkpoint-N/`` or a merged model beside the
logs) within one save interval (``save_steps``; 10% of the run's length when unknown) of the
best step and saved before the curve rose, the nearest when several; when checkpoints were kept
but none there, it says so and what would have kept one (``save_total_limit``,
``load_best_model_at_end``). With no kept checkpoint known, it names the nearest multiple of
``training.save_steps`` when the config gives it. Steps written twice (a resumed run) count
once, with their latest value. Gating a checkpoint judges the curve up to the checkpoint's
step: a rebound that came later is not this checkpoint's (CL204 compares it with the
checkpoints kept after it).

**Operating range** (measured by ``benchmarks/accuracy`` over 5,000 runs: rises and initial
improvements of ≥ 7.5% held over the last three evals are rebounds, under 3.3% are not): with
at least 8 evals and eval noise up to 2% (Gaussian, Student-t or AR(1) with lag-one correlation
up to 0.85), precision 0.99 and recall 0.96. At 2-3% noise only rises well above the noise
clear it (recall about 0.7); the rest get the ``info``. Under strongly autocorrelated noise
(lag-one correlation 0.8) at 2%, about 3% of long flat curves still warn: their correlation is
underestimated from a few dozen evals.

## Why it matters
Under pure CE, the model grows delta-like on coord bins as training goes on; the soft-target CE
diagnostic then improves early and worsens later (in the stage-1 pure-CE run: 8.19 at step 40,
4.19 at step 400, 4.81 at the end). Decoding is discrete and post-hoc scoring uses confidence,
so that shape change can matter at inference time even if token accuracy looks fine: the
checkpoint near the minimum may decode better. This rule reports the curve's shape; it does not
say the earlier checkpoint *is* better: evaluate it with a decode-based metric.

``soft_ce`` cannot fall below the entropy of its target (about 2.11 nats at sigma 2): compare
its shape within a run, not its level across runs with different temperature or sigma.

## Data
``tag``, ``best_step``, ``best`` (the value logged at ``best_step``), ``final`` (the last
value), ``rise`` (``final / best - 1``), ``noise`` (the estimated relative sd of the eval
noise), and ``checkpoint`` when a checkpoint was found.

## Example
``pure_ce_only CL201 [warning] eval/coord_diag/soft_ce bottomed out at 4.19 at step 400 and
ended 14.7% higher at 4.806 (step 1932): evaluate the checkpoint nearest step 400 ...``

## Options
- ``min_rise`` (default ``0.05``): the relative rise (and the initial improvement) that counts.
  Eval noise of these diagnostics is around 1% per eval; 5% is several noise widths, and the
  pure-CE rebound this rule was written for is 15%. Noisier curves need a larger rise anyway
  (step 4).
- ``sustain`` (default ``3``): how many final evals must all stay ``min_rise`` above the best,
  so that a single bad last eval does not fire.
- ``metrics`` (default ``["soft_ce"]``): coord metrics to check; add ``"w1"`` to watch W1 too.
"""

from __future__ import annotations

from collections.abc import Iterator
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

import coordlint

from . import _checkpoints as ck
from . import _coord as m
from ._curves import Noise, after_descent, eval_noise, running_median, short_noise

if TYPE_CHECKING:
    import pandas as pd


def _checkpoint_hint(
    run: coordlint.Run, step: int, series: pd.Series, min_rise: float
) -> tuple[str, str | None]:
    """Which checkpoint to evaluate: a kept one within one save interval of the best ``step``
    and before the curve rose ``min_rise`` above its best; else say none near it was kept."""
    kept = ck.by_step(run)
    if kept:
        best = float(series.loc[step])
        after = series[series.index > step]
        risen = after[after >= best * (1 + min_rise)]
        within, how_far = ck.save_interval(run, int(series.index[-1]))
        before = int(risen.index[0]) if len(risen) else None
        found = ck.kept_near(run, step, within, before=before)
        if found is None:
            advice = ck.keep_advice(run, str(series.name))
            return f"no checkpoint within {how_far} of step {step} was kept ({advice})", None
        name = ck.name(found)
        return f"evaluate {name} (a kept checkpoint within {how_far} of step {step})", name
    save_steps = m.config_value(run, m.CFG_SAVE_STEPS)
    if isinstance(save_steps, (int, float)) and save_steps >= 1:  # below 1: a ratio of the run
        nearest = max(int(save_steps), int(round(step / save_steps) * save_steps))
        return (
            f"evaluate the checkpoint nearest step {step} (save_steps={int(save_steps)}: "
            f"checkpoint-{nearest}, if it was kept)",
            None,
        )
    return f"evaluate the checkpoint nearest step {step} with a decode-based metric", None


#: Two-sided share of flat noisy curves allowed to "rise" past the noise bar, before the
#: correction for picking the lowest of many evals as the best.
FALSE_ALARM = 0.01


def _rise_noise(
    values: np.ndarray, smooth: np.ndarray, best_i: int, sustain: int
) -> tuple[float, Noise | None, int]:
    """(sd of log(tail mean / best level), noise, candidates) under the curve's eval noise.

    The noise is estimated on the curve after its descent (the part a flat or rising curve is
    judged on), as AR(1) noise when that part has MIN_WINDOW evals, else as white noise.
    ``candidates`` counts the evals the best could have been picked from.
    """
    logs = np.log(values)
    settled = after_descent(smooth)
    after = logs[settled:]
    noise = eval_noise(after, len(after) // 2) or short_noise(logs)
    lo, hi = max(0, best_i - 1), min(len(values), best_i + 2)
    weights = np.zeros(len(values) - lo)
    weights[: hi - lo] -= 1.0 / (hi - lo)
    weights[-sustain:] += 1.0 / sustain
    sd = noise.contrast_sd(weights) if noise is not None else 0.0
    return sd, noise, max(1, len(values) - sustain - settled)


@coordlint.rule(
    "CL201",
    "soft-ce-rebound",
    severity="warning",
    params={"min_rise": 0.05, "sustain": 3, "metrics": ["soft_ce"]},
)
def soft_ce_rebound(
    run: coordlint.Run, min_rise: float, sustain: int, metrics: list[str]
) -> Iterator[coordlint.Finding]:
    sustain = max(1, sustain)
    for metric in metrics:
        tag, series = m.coord_series(run, str(metric))
        if tag is None or len(series) < sustain + 2:
            continue
        values = series.to_numpy(dtype=float)
        if (values <= 0).any():
            continue  # a cross-entropy or distance is positive; these are not its values
        # The first eval usually sits on the steep initial descent: it is kept as logged and
        # left out of its neighbour's window, so a descent seen in one eval is not smoothed away.
        smooth = np.concatenate([values[:1], running_median(series.iloc[1:], 3).to_numpy()])
        best_i = int(np.argmin(smooth))
        best_s = float(smooth[best_i])
        if best_i == 0 or len(values) - 1 - best_i < sustain:
            continue  # never improved, or too few evals after the minimum to call it sustained
        if float(smooth[:best_i].max()) < best_s * (1 + min_rise):
            continue  # no real improvement before the minimum
        tail = values[-sustain:]
        if float(tail.min()) < best_s * (1 + min_rise):
            continue
        sd, noise, candidates = _rise_noise(values, smooth, best_i, sustain)
        lo, hi = max(0, best_i - 1), min(len(values), best_i + 2)
        margin = float(np.log(np.median(tail) / values[lo:hi].mean()))
        widths = NormalDist().inv_cdf(1 - FALSE_ALARM / 2 / candidates)
        # Report the logged minimum next to the smoothed one (the median shifts it by an eval).
        best_i = lo + int(np.argmin(values[lo:hi]))
        best_step = int(series.index[best_i])
        best = float(values[best_i])
        final = float(values[-1])
        final_step = int(series.index[-1])
        rise = final / best - 1
        data: dict[str, object] = {
            "tag": tag,
            "best_step": best_step,
            "best": best,
            "final": final,
            "rise": rise,
            "noise": noise.sd if noise is not None else 0.0,
        }
        shape = (
            f"{tag} bottomed out at {best:.4g} at step {best_step} and ended {rise:.1%} higher "
            f"at {final:.4g} (step {final_step}), above its best for the last {sustain} evals"
        )
        if margin <= widths * sd:
            yield coordlint.Finding(
                f"{shape}, but its evals are too noisy to call that a rebound (eval noise "
                f"±{data['noise']:.1%}; the rise would need to clear ±{widths * sd:.1%}): "
                "cannot tell; compare the checkpoints around both steps if it matters",
                tag=tag,
                step=best_step,
                data=data,
                severity=coordlint.Severity.INFO,
                series=series,
            )
            continue
        hint, checkpoint = _checkpoint_hint(run, best_step, series, min_rise)
        if checkpoint is not None:
            data["checkpoint"] = checkpoint
        yield coordlint.Finding(
            f"{shape}: {hint}; the later checkpoints fit the soft target worse",
            tag=tag,
            step=best_step,
            data=data,
            series=series,
        )
