"""The expert's definition of each rule's verdict, read off the noise-free curves.

These are written from the rules' documented purpose (and the analysis note behind them), not
from their code: a label never looks at noise, only at the curve the run *would* have logged
with a perfect eval, sampled at the run's eval steps (what the logs can show at all) or, where
the definition is about time, at every step.

Each label is ``"pos"`` (the rule should warn), ``"neg"`` (it should stay silent) or
``"either"`` (near its threshold: a reasonable reader could go either way; scored apart).
The near-threshold bands are chosen per rule and stated below; they are not tuned to the rules.

- **CL201 soft-ce-rebound** (``min_rise`` 5%): with ``best`` the curve's minimum over the evals,
  the run is a rebound when the first eval is ≥ 7.5% above ``best`` (a visible improvement) and
  each of the last three evals is ≥ 7.5% above it (a rise held to the end, not one bad eval).
  It is not one when the first eval is < 3.3% above ``best`` or fewer than three final evals are
  even 3.3% above it. Between is ``either``: the band is [2/3, 3/2] × ``min_rise``.
- **CL301 slow-vocab-confinement** (0.99 by step 200): with ``t*`` the first step at which the
  mass reaches 0.99, late when ``t* > 230`` or never (ceiling < 0.9875, the run going past step
  200); in time when ``t* < 170``. ``either`` between, when the ceiling is within
  [0.9875, 0.992] (it hovers at the threshold), and when ``t* > 230`` but no eval lies in
  ``[200, t*)``: no log of that run could show the lateness.
- **CL303 coord-confinement-lost**: the mass clearly reached 0.99 (its maximum ≥ 0.992), and it
  ends clearly below (final < 0.9875, i.e. a deficit 1.25× the threshold's) at each of the last
  three evals. Not lost when it ends above 0.992 or never reached 0.99. ``either`` in between
  (deficit band [0.8, 1.25] × 1%), or when it is below for fewer than the last three evals.
- **CL302 coord-leakage** (``max_flip`` 1e-3): the final flip rate > 1.5e-3; not when
  < 0.67e-3; ``either`` between.
- **CL401 bin-mae-not-converged** (``rel_tol`` 2%): ``c`` = the change of the curve over the
  last quarter of the run's steps, relative to its final value. Not converged when
  ``|c| ≥ 4%``, converged when ``|c| < 1%``, ``either`` between: [1/2, 2] × ``rel_tol``, since
  a 2% change is at or below one noise width of most runs' evals.
- **CL101 coord-ce-mode** (warns): soft-only objective, or config and logs from different modes.
- **CL501 / CL502 / CL503 / CL903**: discrete facts of the generated run (text_token_acc counting
  coord tokens beside a run that does not; a soft-CE setting that differs, beyond float32
  rounding, from the one most compared runs use; no decode metric; steps written twice).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from .curves import Curve

POS, NEG, EITHER = "pos", "neg", "either"

# CL201
REBOUND_CLEAR, REBOUND_NONE, HELD_EVALS = 0.075, 0.033, 3
# CL301 / CL303
THRESHOLD, BY_STEP = 0.99, 200
LATE, IN_TIME = 1.15 * BY_STEP, 0.85 * BY_STEP
HOVER_LOW, HOVER_HIGH = 1 - 1.25 * (1 - THRESHOLD), 1 - 0.8 * (1 - THRESHOLD)  # 0.9875, 0.992
# CL302
FLIP_CLEAR, FLIP_NONE = 1.5e-3, 0.67e-3
# CL401
MOVING, SETTLED = 0.04, 0.01


def soft_ce_rebound(values: np.ndarray, steps: np.ndarray) -> tuple[str, dict[str, float]]:
    """``values``: the noise-free soft-CE at the eval ``steps``."""
    best_i = int(np.argmin(values))
    best = float(values[best_i])
    facts = {
        "best_step": float(steps[best_i]),
        "best": best,
        "rise": float(values[-1] / best - 1),
        "improvement": float(values[0] / best - 1),
    }
    tail = values[-HELD_EVALS:]
    enough = len(values) > HELD_EVALS
    clear = enough and bool((tail >= best * (1 + REBOUND_CLEAR)).all())
    weak = enough and bool((tail >= best * (1 + REBOUND_NONE)).all())
    if values[0] >= best * (1 + REBOUND_CLEAR) and clear:
        return POS, facts
    if values[0] < best * (1 + REBOUND_NONE) or not weak:
        return NEG, facts
    return EITHER, facts


def crossing_step(mass: Curve, length: int) -> int | None:
    """The first step (0..length) at which the noise-free mass is ≥ the threshold."""
    t = np.arange(0, length + 1)
    hit = np.flatnonzero(mass(t) >= THRESHOLD)
    return int(hit[0]) if len(hit) else None


def slow_confinement(mass: Curve, steps: np.ndarray, length: int) -> tuple[str, dict[str, float]]:
    t = np.arange(0, length + 1)
    dense = mass(t)
    ceiling = float(dense.max())
    tstar = crossing_step(mass, length)
    facts: dict[str, float] = {"ceiling": ceiling, "reached": float(tstar if tstar else -1)}
    if int(steps[-1]) < BY_STEP:
        return NEG, facts  # the run stopped before it was due
    if HOVER_LOW <= ceiling <= HOVER_HIGH:
        return EITHER, facts
    if tstar is None:
        return POS, facts
    if tstar < IN_TIME:
        return NEG, facts
    if tstar <= LATE:
        return EITHER, facts
    if not ((steps >= BY_STEP) & (steps < tstar)).any():
        return EITHER, facts  # the eval grid cannot show it
    return POS, facts


def confinement_lost(mass: Curve, steps: np.ndarray, length: int) -> tuple[str, dict[str, float]]:
    t = np.arange(0, length + 1)
    dense = mass(t)
    final = float(dense[-1])
    peak = float(dense.max())
    below = dense < THRESHOLD
    reached = np.flatnonzero(~below)
    lost_at = -1.0
    if len(reached) and below[-1]:
        lost_at = float(reached[-1] + 1)  # the step after the last step at or above
    facts = {"final": final, "peak": peak, "lost_step": lost_at}
    if peak < THRESHOLD or final > HOVER_HIGH:
        return NEG, facts
    tail = mass(steps[-HELD_EVALS:].astype(float))
    if peak >= HOVER_HIGH and final < HOVER_LOW and len(steps) > HELD_EVALS:
        if (tail < THRESHOLD).all():
            return POS, facts
    return EITHER, facts


def coord_leakage(final_flip: float) -> str:
    if final_flip > FLIP_CLEAR:
        return POS
    if final_flip < FLIP_NONE:
        return NEG
    return EITHER


def bin_mae_not_converged(mae: Curve, length: int) -> tuple[str, dict[str, float]]:
    at = mae(np.array([0.75 * length, float(length)]))
    change = float((at[1] - at[0]) / at[1])  # negative: still falling
    facts = {"change": change}
    if abs(change) >= MOVING:
        return POS, facts
    if abs(change) < SETTLED:
        return NEG, facts
    return EITHER, facts


def float32(value: object) -> object:
    """A config value as an expert compares it: numbers equal up to float32 rounding are equal."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return float(np.float32(value))


def odd_ones_out(values: Sequence[tuple[str, object]]) -> set[str]:
    """The runs whose value differs from the one most runs share (every run on a tie)."""
    counts = Counter(float32(v) for _, v in values)
    if len(counts) < 2:
        return set()
    top = counts.most_common()
    tie = top[0][1] == top[1][1]
    return {name for name, v in values if tie or float32(v) != top[0][0]}
