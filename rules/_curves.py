"""Curve helpers shared by the coord rules (not a rule: no module-level Rule here).

Robust statistics for short, noisy eval curves: a Theil–Sen slope with a noise-based error bar,
and a running median (checkpoints are in ``_checkpoints``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Trend:
    """A Theil–Sen line through a window of points."""

    slope: float  # per step
    change: float  # slope × the window's span in steps
    noise: float  # robust sd of the residuals around the line (1.4826 × MAD)
    change_sd: float  # approximate sd of ``change`` from that noise
    points: int


def theil_sen(steps: npt.ArrayLike, values: npt.ArrayLike) -> Trend:
    """The median of pairwise slopes; one outlier cannot move it (breakdown point ~29%)."""
    x = np.asarray(steps, dtype=float)
    y = np.asarray(values, dtype=float)
    n = len(x)
    if n < 2:
        return Trend(0.0, 0.0, 0.0, float("inf"), n)
    i, j = np.triu_indices(n, k=1)
    dx = x[j] - x[i]
    keep = dx != 0
    slope = float(np.median((y[j] - y[i])[keep] / dx[keep])) if keep.any() else 0.0
    intercept = float(np.median(y - slope * x))
    residuals = y - (intercept + slope * x)
    noise = float(1.4826 * np.median(np.abs(residuals - np.median(residuals))))
    span = float(x.max() - x.min())
    # Least squares' error of slope × span over n evenly spaced points is noise·sqrt(12/n);
    # Theil–Sen is ~10% less efficient under Gaussian noise.
    change_sd = 1.1 * noise * float(np.sqrt(12.0 / n)) if n > 2 else float("inf")
    return Trend(slope, slope * span, noise, change_sd, n)


def diff_noise(values: npt.ArrayLike) -> float:
    """Robust sd of eval-to-eval noise: 1.4826 × MAD of successive differences / sqrt(2).

    Differencing removes a slow trend, so this works on a curve that is still moving.
    """
    d = np.diff(np.asarray(values, dtype=float))
    if len(d) < 2:
        return 0.0
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2.0))


def running_median(series: pd.Series, window: int = 3) -> pd.Series:
    """A centred running median (shorter at the ends): drops single-eval spikes and dips."""
    if window <= 1 or len(series) < window:
        return series
    return series.rolling(window, center=True, min_periods=1).median()
