"""How far a new run may stray from a handful of reference runs (not a rule): the statistics
behind the reference bands of CL601–CL603.

At one step the references give a few values (the columns of a references × steps array).
The band around them is ``center ± max(k × spread, rtol × |center|, atol)``:

- one reference: its value, and ``rtol``/``atol`` only (a golden value);
- two: their mean, ``k × spread`` replaced by half their distance (the band covers both);
- three or more: their median (MLPerf's olympic trimming, the lowest and the highest dropped
  from five on, leaves a median as it is), and ``spread`` the mean absolute deviation from the
  median, scaled by :func:`consistency` to estimate the sd of normal data, then widened by
  :func:`inflation`, the factor a prediction interval from that few references needs (as
  Student's t widens a z-interval), and never below the references' eval-to-eval noise.

Why not the MAD: the MAD of a few values is near zero far too often (two of five references
crossing at a step is enough). Measured on healthy runs drawn like five references, a band of
4 × the MAD of the trimmed five failed 33% of them; the mean absolute deviation has tails like
the sd's (a prediction interval from five needs 2.3 × its spread, from the MAD of the
trimmed five, about 130 ×) while one odd reference moves it linearly, not quadratically.
Both tables are 1 / E[spread] and the prediction quantile over seeded normal samples; the
tests re-derive them.
"""

from __future__ import annotations

import math

import numpy as np

TRIM_FROM = 5  # olympic trimming from this many (CL602's mean of milestone steps)
#: The nominal level a band's ``k`` is in: a known sd's z for a one-sided 0.13% tail.
NOMINAL_Z = 3.0

# consistency(n), n = 3..40: 1 / E[mean |x - median|] over 200,000 standard normal samples of n.
_CONSISTENCY = (
    1.775, 1.508, 1.509, 1.420, 1.423, 1.379, 1.379, 1.354, 1.353, 1.336,
    1.337, 1.323, 1.325, 1.315, 1.316, 1.309, 1.308, 1.303, 1.303, 1.298,
    1.299, 1.294, 1.295, 1.292, 1.291, 1.289, 1.288, 1.287, 1.286, 1.284,
    1.284, 1.282, 1.282, 1.280, 1.281, 1.279, 1.279, 1.278,
)  # fmt: skip
# inflation(n), n = 3..40: the factor f with P(new - median > f × 3 × spread) = P(Z > 3) for
# n references and a new run all standard normal.
_INFLATION = (
    6.592, 3.243, 2.338, 1.938, 1.720, 1.596, 1.499, 1.433, 1.383, 1.343,
    1.310, 1.284, 1.262, 1.242, 1.227, 1.210, 1.198, 1.187, 1.177, 1.169,
    1.159, 1.152, 1.147, 1.140, 1.134, 1.128, 1.125, 1.119, 1.115, 1.112,
    1.109, 1.105, 1.102, 1.098, 1.096, 1.092, 1.090, 1.088,
)  # fmt: skip


def consistency(n: int) -> float:
    """The factor that makes the mean absolute deviation from the median of ``n`` (>= 3)
    normal values estimate their sd: tabulated to 40, ``√(π/2) · n / (n - 0.8)`` beyond."""
    if n - 3 < len(_CONSISTENCY):
        return _CONSISTENCY[n - 3]
    return math.sqrt(math.pi / 2) * n / (n - 0.8)


def inflation(n: int) -> float:
    """How much a band from ``n`` (>= 3) references widens ``k × spread`` so a new run drawn
    like them leaves it as rarely as it would leave ``k`` known sds (5: 2.34; 10: 1.38; 40:
    1.09): tabulated to 40, ``1 + 3.5 / n`` beyond."""
    if n - 3 < len(_INFLATION):
        return _INFLATION[n - 3]
    return 1.0 + 3.5 / n


def center_spread(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each column of ``values`` (references × steps, NaN where a reference says nothing),
    over its finite values: ``(center, trimmed mean, spread, count)``. The center is the
    median (the mean of two); the trimmed mean drops the lowest and highest from five on;
    the spread estimates the sd from three on (scaled mean absolute deviation from the
    median), is half the distance of two, 0 for one. NaN where a column has none."""
    columns = values.shape[1] if values.ndim == 2 else 0
    ordered = np.sort(values, axis=0)  # NaN last
    count = np.isfinite(values).sum(axis=0)
    center = np.full(columns, np.nan)
    mean = np.full(columns, np.nan)
    spread = np.full(columns, np.nan)
    for n in (int(n) for n in np.unique(count[count > 0])):
        cols = np.flatnonzero(count == n)
        kept = ordered[:n, cols]
        center[cols] = np.median(kept, axis=0)
        mean[cols] = np.mean(kept[1:-1] if n >= TRIM_FROM else kept, axis=0)
        if n >= 3:
            deviation = np.mean(np.abs(kept - center[cols]), axis=0)
            spread[cols] = consistency(n) * deviation
        else:
            spread[cols] = (kept[-1] - kept[0]) / 2
    return center, mean, spread, count


def half_width(
    center: np.ndarray,
    spread: np.ndarray,
    count: np.ndarray,
    k: float,
    rtol: float,
    atol: float,
    noise: float = 0.0,
) -> np.ndarray:
    """The band's half-width at each column: ``max(k × max(inflation × spread, noise), rtol ×
    |center|, atol)`` from three references; ``max(spread, rtol × |center|, atol)`` for two
    (spread: half their distance); ``max(rtol × |center|, atol)`` for one."""
    widen = np.array([inflation(int(n)) if n >= 3 else 0.0 for n in count])
    many = k * np.maximum(widen * np.nan_to_num(spread), noise)
    term = np.where(count >= 3, many, np.where(count == 2, np.nan_to_num(spread), 0.0))
    return np.maximum(np.maximum(term, rtol * np.abs(center)), atol)
