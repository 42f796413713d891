"""Curve helpers shared by the coord rules (not a rule: no module-level Rule here).

Robust statistics for short, noisy, autocorrelated eval curves: a Theil–Sen slope, the eval
noise of a curve as AR(1) noise (:func:`eval_noise`), a robust quadratic fit and the standard
deviation of any linear contrast of the evals under that noise, and a running median
(checkpoints are in ``_checkpoints``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def robust_sd(x: np.ndarray) -> float:
    """1.4826 × the median absolute deviation: the sd of Gaussian data, unmoved by outliers."""
    x = np.asarray(x, dtype=float)
    return float(1.4826 * np.median(np.abs(x - np.median(x)))) if len(x) else 0.0


# -- eval noise ----------------------------------------------------------------------------------
# Successive evals of one run are checkpoints of a slowly changing model scored on one eval split,
# so their errors are correlated: a flat curve wanders. The noise is modelled as AR(1) noise on the
# log scale (relative noise): marginal sd ``sd``, lag-one correlation ``phi``. Both are estimated
# from the residuals of quadratics fitted to consecutive windows of the curve (the quadratic takes
# out the trend), by matching the variance of the residuals' second differences at lags
# 1..MAX_LAGS to what AR(1) noise of each ``phi`` would leave after such a fit (the fit swallows
# part of a slow wander; that is computed, not ignored). Second differences, not first: what a
# quadratic misses of a curve's bends is smooth and barely shows in them. Windows hold at most
# MAX_WINDOW evals. A few dozen evals pin ``phi`` down only roughly: callers that need few false
# alarms under strongly autocorrelated noise should not take ``phi`` at its word (CL401 uses
# ``_reml.py``'s likelihood profile and judges against the noisiest plausible ``phi``).

MAX_LAGS = 8
MIN_WINDOW = 8  # a quadratic and second differences at two lags need this many evals
MAX_WINDOW = 64
_PHIS = np.linspace(0.0, 0.9, 37)
_BISQUARE = 4.685


@dataclass(frozen=True)
class Noise:
    """AR(1) eval noise: marginal ``sd`` (relative, on the log scale) and lag-one ``phi``."""

    sd: float
    phi: float

    def contrast_sd(self, weights: np.ndarray) -> float:
        """The sd of ``weights · noise`` over consecutive evals (exact for AR(1) noise)."""
        w = np.asarray(weights, dtype=float)
        total = float(w @ w)
        lag, power = 1, self.phi
        while lag < len(w) and power > 1e-9:
            total += 2.0 * power * float(w[lag:] @ w[:-lag])
            lag += 1
            power *= self.phi
        return self.sd * float(np.sqrt(max(total, 0.0)))


def _design(x: np.ndarray) -> np.ndarray:
    u = (x - x[0]) / (x[-1] - x[0]) if x[-1] != x[0] else np.zeros(len(x))
    return np.vstack([np.ones(len(x)), u, u * u]).T


def quadratic_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A quadratic through (x, y), robust to outlying evals (Tukey bisquare, 4 reweightings).

    Returns the coefficients (in ``u = (x - x[0]) / span``) and the linear map from ``y`` to them,
    so the noise of any linear function of the fit is :meth:`Noise.contrast_sd` of its weights.
    """
    design = _design(np.asarray(x, dtype=float))
    y = np.asarray(y, dtype=float)
    weights = np.ones(len(y))
    for _ in range(4):
        root = np.sqrt(weights)
        solve = np.linalg.pinv(design * root[:, None]) * root[None, :]
        residuals = y - design @ (solve @ y)
        scale = float(np.median(np.abs(residuals))) * 1.4826
        if scale == 0.0:
            break
        u = residuals / (_BISQUARE * scale)
        weights = np.where(np.abs(u) < 1.0, (1.0 - u * u) ** 2, 0.0)
    root = np.sqrt(weights)
    solve = np.linalg.pinv(design * root[:, None]) * root[None, :]
    return solve @ y, solve


@lru_cache(maxsize=256)
def _residual_lag_variance(window: int, lags: int) -> np.ndarray:
    """log E[var of lag-k second differences of residuals] after a quadratic fit of ``window``
    evenly spaced evals, per phi in _PHIS, for unit AR(1) noise."""
    design = _design(np.arange(window, dtype=float))
    residual = np.eye(window) - design @ np.linalg.pinv(design)
    i = np.arange(window)
    out = np.empty((len(_PHIS), lags))
    for row, phi in enumerate(_PHIS):
        cov = residual @ (phi ** np.abs(i[:, None] - i[None, :])) @ residual.T
        for k in range(1, lags + 1):
            c = np.arange(k, window - k)  # centres of the second differences
            var = (
                cov[c + k, c + k]
                + 4.0 * cov[c, c]
                + cov[c - k, c - k]
                - 4.0 * cov[c + k, c]
                - 4.0 * cov[c, c - k]
                + 2.0 * cov[c + k, c - k]
            )
            out[row, k - 1] = var.mean()
    return np.log(np.maximum(out, 1e-12))


def eval_noise(log_values: np.ndarray, window: int) -> Noise | None:
    """The AR(1) noise of a curve (log values, oldest first) from windows of ``window`` evals
    taken back from its end (at most MAX_WINDOW); ``None`` when the curve is shorter than
    MIN_WINDOW evals or has no scatter at all.

    Second differences of the residuals (``r[i+k] - 2 r[i] + r[i-k]``) are used, not first: what
    the quadratic misses of a curve's bends is smooth and barely shows in them.
    """
    y = np.asarray(log_values, dtype=float)
    window = min(max(window, MIN_WINDOW), MAX_WINDOW)
    if len(y) < window:
        return None
    lags = min(MAX_LAGS, (window - 4) // 2)
    pooled: list[list[np.ndarray]] = [[] for _ in range(lags)]
    x = np.arange(window, dtype=float)
    for start in range(len(y) - window, -1, -window):
        part = y[start : start + window]
        coef, _ = quadratic_fit(x, part)
        r = part - _design(x) @ coef
        for k in range(1, lags + 1):
            pooled[k - 1].append(r[2 * k :] - 2.0 * r[k:-k] + r[: -2 * k])
    observed = np.array([robust_sd(np.concatenate(d)) ** 2 for d in pooled])
    if observed[0] <= 0.0 or not np.isfinite(observed).all():
        return None
    expected = _residual_lag_variance(window, lags)
    gap = np.log(np.maximum(observed, 1e-300))[None, :] - expected
    scale = gap.mean(axis=1)
    best = int(np.argmin(((gap - scale[:, None]) ** 2).sum(axis=1)))
    return Noise(float(np.sqrt(np.exp(scale[best]))), float(_PHIS[best]))


def after_descent(smooth: np.ndarray, settled: float = 0.1) -> int:
    """Where a curve's initial descent ends: the first eval at which the (smoothed) curve is
    within ``settled`` of its total drop of its lowest value. Its noise is judged after that."""
    low = float(np.min(smooth))
    drop = float(smooth[0]) - low
    return int(np.argmax(smooth <= low + settled * drop)) if drop > 0 else 0


def short_noise(log_values: np.ndarray) -> Noise | None:
    """White eval noise of a curve too short for :func:`eval_noise`: the robust sd of its second
    differences (each removes a local straight line) over sqrt(6); ``None`` under 3 evals."""
    y = np.asarray(log_values, dtype=float)
    if len(y) < 3:
        return None
    return Noise(robust_sd(y[2:] - 2.0 * y[1:-1] + y[:-2]) / float(np.sqrt(6.0)), 0.0)


def running_median(series: pd.Series, window: int = 3, *, keep_ends: bool = True) -> pd.Series:
    """A centred running median; with ``keep_ends`` (the default) the first and last evals
    stay as logged.

    It drops single-eval spikes and dips inside the curve; at the ends a shorter window would
    average the end point with its neighbour and hide a one-eval descent or rise there
    (``keep_ends=False`` takes that shorter window's median instead).
    """
    if window <= 1 or len(series) < window:
        return series
    smooth = series.rolling(window, center=True, min_periods=1).median()
    if keep_ends:
        smooth.iloc[0], smooth.iloc[-1] = series.iloc[0], series.iloc[-1]
    return smooth
