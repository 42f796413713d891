"""Expected-bin MAE is still moving over the last quarter of the run: training has not converged.

## What it does
Reads ``expected_bin_mae`` (``eval/coord_softce_w1/expected_bin_mae``, else
``eval/coord_diag/expected_bin_mae``): the mean ``|sum_i i*p_i - t|`` in bins (0..999; 21 bins
is about 2% of the image side). Fits a quadratic to the last half of the evals (on the log
scale, robust to outlying evals: Tukey bisquare) and reads off ``change``, the fitted change
over the last quarter of the run's steps. The quadratic lets the curve bend, so a curve that
fell fast and has flattened is not mistaken for one still falling, while using twice the evals
of a line through the last quarter alone. Fires when ``|change|`` is more than ``rel_tol`` of
the final value *and* more than 2.5 times its own noise. Steps written twice (a resumed run)
count once, with their latest value.

**The eval noise** is estimated from the curve itself as autocorrelated (AR(1)) noise:
consecutive checkpoints are similar models, so their evals wander together and a flat curve
can drift like a trend. Its level and lag-one correlation ``phi`` are fitted by restricted
maximum likelihood to what quadratics leave over windows of the curve: the last half, and
earlier windows as far back as a quadratic can follow the curve (the steep early descent is
left out; see ``coordlint/rules/_reml.py``). A few dozen evals pin ``phi`` down only roughly,
and a ``phi`` guessed too low makes a wander look like a trend, so the change is judged against
the noisiest noise the evals plausibly allow: every ``phi`` within a likelihood interval
whose width is calibrated by simulation (``PHI_INTERVALS``, from
``benchmarks/accuracy/calibrate_cl401.py``). With the fewest evals (a noise estimate on 14
degrees of freedom or fewer, about 20 evals) every ``phi`` up to 0.9 is plausible and the bar
is widened by 1.1-1.3 as well.

**What that buys: at most 1% false alarms at eval noise up to 2%, whatever the correlation.**
On converged curves, flat from the first eval (a fine-tune, a resumed run checked alone) or
after a steep or a slow descent, with 16 to 256 evals and 2% eval noise, white or AR(1) with
``phi`` up to 0.85, it warns on at most 1% of runs for every ``phi`` (calibrated on 252,000
simulated curves; on another 252,000, the highest rate of any ``phi`` and eval count was
1.07%). Less noise, fewer warnings: ``rel_tol`` silences more. The earlier noise estimate
leaned on the early descent and warned on 2.5% of flat white-noise runs and 6-10% of flat
autocorrelated ones at 2% noise.

**What it costs: a run with few evals must move more to be called.** A change of this size
over the last quarter is caught on 90% of runs (simulated, falling curves):

| evals | 0.5% white | 1% white | 2% white | 1% AR(1), phi 0.5 | 1% AR(1), phi 0.8 |
|---|---|---|---|---|---|
| 20 | 8% | 12% | over 12% | 12% | 8% |
| 50 | 8% | 8% | 12% | 12% | 8% |
| 100 | 5% | 5% | 8% | 8% | 8% |
| 200 | 5% | 5% | 5% | 5% | 8% |

Below that the rule says at ``info`` that the evals cannot tell, why, and the change it would
take to call a trend on this run (``needed``): either the change is within even the best-fit
eval noise, or it is beyond that but not beyond the noisiest noise the evals allow. The second
is the price of the guarantee: twenty evals of 1% noise cannot tell white noise, under which a
5% fall is plain, from correlated noise, under which it is an ordinary wander, and the rule
must allow for both. That is the reason for most of the positives it misses on the benchmark
(at least 16 evals, noise up to 2%, seeds 0-4: 41 of 67 misses; 24 within even the best-fit
noise, 2 silent): told the noise's true ``phi``, the same fit and plain bar catch 0.95 of the
positives instead of 0.75, but warn on up to 2.5% of flat plateaus at 2% noise, where CL401
warns on 0.2% (``benchmarks/accuracy/cl401_noise.py``). More evals narrow what the evals
allow.

**Operating range** (``benchmarks/accuracy``, 1,000-run seeds; positives move ≥ 4% over the
last quarter, negatives < 1%): with at least 16 evals and eval noise up to 1%, precision 1.0
and recall 0.93 (0.91 on held-out seeds), and with at least 48 evals 0.97 (0.97); at noise up
to 2%, recall 0.75 (0.80), precision 0.995, and with at least 64 evals 0.93 (0.93); no false
alarm on healthy runs, fine-tunes included, at noise up to 1%. With fewer evals the misses
are runs it says it cannot tell. No detector with the same guarantee that does not know the
curve's shape can pass about 0.90 at noise up to 2% (0.97 at up to 1%): a Neyman-Pearson
bound, ``benchmarks/accuracy/bound_cl401.py --shape-unknown``. CL401 trails it most with 16-63
evals.

A run with fewer than ``min_points`` evals cannot separate a trend from eval noise: when its
last quarter moved more than ``rel_tol`` the rule says so at ``info`` and does not warn.

## Why it matters
A falling MAE at the end means more steps would still sharpen the coordinates; a rising one
means the coordinates are getting worse. Either way the final checkpoint is not a settled
point, and comparing it with another run's end is premature. Note that this teacher-forced
metric does not predict rollout quality well: the stage-1 runs ended at 20.88, 20.90 and 21.37
bins with very different COCO mAP. Use it to judge convergence, not to rank runs.

## Data
``final`` (the last value), ``change`` (the fitted change over the last quarter, in bins;
negative when still improving), ``noise`` and ``phi`` (the relative sd and lag-one correlation
of the eval noise the change was judged against: the noisiest the evals plausibly allow, not
the best fit); when it cannot tell, also ``needed`` (the smallest relative change in the same
direction it would call) and ``best_noise``, ``best_phi`` (the best-fit noise); on a short run,
``evals`` instead of the noise.

## Example
``run CL401 [warning] eval/coord_diag/expected_bin_mae is still falling: -2.9 bins (-12.0%)
over the last quarter (steps 1500–2000; eval noise ±0.8%), final 24.1: train longer ...``

``run CL401 [info] eval/coord_diag/expected_bin_mae moved -1.04 bins (-5.0%) over the last
quarter (steps 1500–2000), beyond its best-fit eval noise but not the noisiest the evals allow
(±1.1% at its best fit, up to ±3.9% with consecutive evals correlated up to 0.90, which 20
evals cannot rule out): it takes a change of 9.2% to call a trend, so the evals cannot tell
whether it has converged (more evals would); final 20.65``

## Options
- ``rel_tol`` (default ``0.02``): 2% of the final value, i.e. about 0.4 bins at the ~21-bin
  level converged runs reach; the calibration runs moved far less than that over their last
  quarter.
- ``min_points`` (default ``16``): the fewest evals the trend is judged on (the noise estimate
  needs a quadratic's residuals over 8 evals in each half); shorter runs get at most an
  ``info`` finding.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

import coordlint

from . import _coord as m
from ._curves import MIN_WINDOW, Noise, quadratic_fit
from ._reml import NoiseProfile, noise_profile

NOISE_WIDTHS = 2.5  # the fitted change must stand this many of its own noise sds above zero
# By the degrees of freedom the eval noise is estimated from (at most this many; past the last
# edge, the last row): how far below its best the -2 log-likelihood of the noise may drop (the
# change is judged against the noisiest of those noises: a likelihood interval for ``phi``),
# and the factor NOISE_WIDTHS is widened by. The fewer the evals, the less they pin ``phi``
# down; with the fewest, every ``phi`` up to 0.9 is plausible. Calibrated by
# ``benchmarks/accuracy/calibrate_cl401.py`` so that healthy curves (flat from the start, or
# after a steep or a slow descent) at 2% eval noise get at most 1% warnings for every ``phi``
# from 0 to 0.85; rerun it after changing the fit, the noise model or NOISE_WIDTHS, and paste
# what it prints.
PHI_INTERVALS: tuple[tuple[int, float, float], ...] = (
    (10, math.inf, 1.3),
    (14, math.inf, 1.1),
    (18, 6.0, 1.0),
    (24, 6.0, 1.0),
    (32, 6.0, 1.0),
    (44, 3.0, 1.0),
    (60, 2.0, 1.0),
    (80, 1.5, 1.0),
    (100, 1.0, 1.0),
    (130, 1.0, 1.0),
    (1_000_000, 1.0, 1.0),
)


def judged_at(dof: int) -> tuple[float, float]:
    """(likelihood drop, bar factor) for eval noise estimated from ``dof``: the first row whose
    edge is at least ``dof``, the last row past every edge."""
    _, drop, factor = PHI_INTERVALS[bisect_left([row[0] for row in PHI_INTERVALS[:-1]], dof)]
    return drop, factor


@dataclass(frozen=True)
class Trend:
    """The last quarter's fitted change of a curve, and what its noise is judged from."""

    log_change: float  # the fitted change of log(MAE) over the last quarter
    weights: np.ndarray  # log_change = weights · log(the last half's evals)
    profile: NoiseProfile | None

    def noise(self) -> tuple[Noise, float] | None:
        """The noise the change is judged against and the bar's factor (see PHI_INTERVALS);
        ``None`` when the evals show no scatter at all."""
        if self.profile is None:
            return None
        drop, factor = judged_at(self.profile.dof)
        return self.profile.widest(self.weights, drop), factor


def last_quarter_trend(steps: np.ndarray, values: np.ndarray) -> Trend:
    """A quadratic through the last half of ``log(values)``, its change over the last quarter
    of the steps, and the eval noise profiled over the whole curve."""
    logs = np.log(values)
    half = len(values) // 2
    x = steps[-half:]
    coef, solve = quadratic_fit(x, logs[-half:])
    u = max(0.0, (0.75 * steps[-1] - x[0]) / (x[-1] - x[0]))
    contrast = np.array([0.0, 1.0 - u, 1.0 - u * u])
    return Trend(float(contrast @ coef), contrast @ solve, noise_profile(logs, half))


def _cannot_tell(
    tag: str,
    mae: object,
    trend: Trend,
    moved: str,
    judged: Noise,
    bar: float,
    data: dict[str, object],
    evals: int,
    last: int,
) -> coordlint.Finding:
    """The info finding for a change above ``rel_tol`` that does not clear its noise ``bar``,
    saying which it is: beyond the best-fit eval noise but not beyond the noisiest the evals
    allow (too few evals to rule out correlated noise), or within even the best fit. ``judged``
    is the noise ``bar`` was set by, ``data`` the finding's data so far."""
    sign = 1.0 if trend.log_change > 0 else -1.0
    needed = abs(float(np.expm1(sign * bar)))  # the smallest change it would call, this way
    assert trend.profile is not None  # a bar above zero comes from a noise profile
    best = trend.profile.best
    data = {**data, "needed": needed, "best_noise": best.sd, "best_phi": best.phi}
    noise = f"±{best.sd:.1%} at its best fit"
    evals_cannot = []
    if judged != best:
        noise += (
            f", up to ±{judged.sd:.1%} with consecutive evals correlated up to {judged.phi:.2f}"
        )
        evals_cannot.append("cannot rule out")
    plain = NOISE_WIDTHS * judged.contrast_sd(trend.weights)
    if bar > plain * (1.0 + 1e-9):  # the bar was widened (few evals: see PHI_INTERVALS)
        evals_cannot.append("pin down only roughly")
    if evals_cannot:
        noise += f", which {evals} evals " + " and ".join(evals_cannot)
    if abs(trend.log_change) > NOISE_WIDTHS * best.contrast_sd(trend.weights):
        why = f"beyond its best-fit eval noise but not the noisiest the evals allow ({noise})"
    else:
        why = f"within its eval noise ({noise})"
    return coordlint.Finding(
        f"{tag} moved {moved}), {why}: it takes a change of {needed:.1%} to call a trend, so "
        f"the evals cannot tell whether it has converged (more evals would); final "
        f"{data['final']:.4g}",
        tag=tag,
        step=last,
        data=data,
        severity=coordlint.Severity.INFO,
        series=mae,
    )


@coordlint.rule(
    "CL401",
    "bin-mae-not-converged",
    severity="warning",
    params={"rel_tol": 0.02, "min_points": 16},
)
def bin_mae_not_converged(
    run: coordlint.Run, rel_tol: float, min_points: int
) -> Iterator[coordlint.Finding]:
    min_points = max(2 * MIN_WINDOW, min_points)
    tag, mae = m.coord_series(run, "expected_bin_mae")
    if tag is None or len(mae) < 2:
        return
    steps = mae.index.to_numpy(dtype=float)
    values = mae.to_numpy(dtype=float)
    final = float(values[-1])
    if (values <= 0).any():
        return  # a bin MAE is positive; these are not its values
    last = int(steps[-1])
    quarter_start = 0.75 * steps[-1]
    if len(values) < min_points:
        before = float(np.interp(quarter_start, steps, values))
        if abs(final - before) > rel_tol * final:
            yield coordlint.Finding(
                f"{tag} moved {(final - before) / final:+.1%} over the last quarter of the run, "
                f"but {len(values)} evals are too few to tell a trend from eval noise (it takes "
                f"{min_points}); final {final:.4g}",
                tag=tag,
                step=last,
                data={"final": final, "change": final - before, "evals": len(values)},
                severity=coordlint.Severity.INFO,
                series=mae,
            )
        return
    trend = last_quarter_trend(steps, values)
    change = final * -float(np.expm1(-trend.log_change))  # final minus the fit a quarter ago
    if abs(change) <= rel_tol * final:
        return
    first = round(max(quarter_start, float(steps[0])))
    judged = trend.noise()
    if judged is None:  # no scatter at all: any change above rel_tol is a trend
        noise, bar = Noise(0.0, 0.0), 0.0
    else:
        noise, factor = judged
        bar = NOISE_WIDTHS * factor * noise.contrast_sd(trend.weights)
    data: dict[str, object] = {
        "final": final,
        "change": change,
        "noise": noise.sd,
        "phi": noise.phi,
    }
    moved = (
        f"{change:+.3g} bins ({change / final:+.1%}) over the last quarter (steps {first}–{last}"
    )
    if abs(trend.log_change) <= bar:
        yield _cannot_tell(tag, mae, trend, moved, noise, bar, data, len(values), last)
        return
    if change < 0:
        verdict = "still falling"
        advice = "train longer (or lower the LR later) before comparing this run's end"
    else:
        verdict = "rising"
        advice = "the coordinates are getting worse late in training: check the LR schedule"
    yield coordlint.Finding(
        f"{tag} is {verdict}: {moved}; eval noise ±{data['noise']:.1%}), final {final:.4g}: "
        f"{advice}",
        tag=tag,
        step=last,
        data=data,
        series=mae,
    )
