"""The eval noise of a curve as a restricted-likelihood profile over AR(1)'s lag-one ``phi``.

Not a rule. :func:`noise_profile` fits AR(1) noise (on the log scale) by restricted maximum
likelihood (REML) to the residuals of quadratics over windows of the curve: the last window,
then earlier windows tiled back from it. The first earlier window a quadratic cannot follow
(residual variance over SHAPE_RATIO times the last window's: a steep early descent) is moved
later until it can, and nothing before it is used. The likelihood is that of what the
quadratics leave, so the slow wander they swallow is accounted for, not mistaken for less
noise.

A few dozen evals pin ``phi`` down only roughly, and noise whose consecutive evals correlate
makes a flat curve wander like a trend. So a caller does not take the best ``phi`` at its word:
:meth:`NoiseProfile.widest` gives, of the noises whose likelihood is within a given drop of the
best (a likelihood interval for ``phi``), the one under which a given contrast of the evals is
noisiest. CL401 calibrates that drop by simulation (``benchmarks/accuracy/calibrate_cl401.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._curves import _PHIS, MAX_WINDOW, Noise, _design

SHAPE_RATIO = 4.0  # an earlier window's residual variance over this × the last's: not settled


def _residual_variance(y: np.ndarray) -> float:
    design = _design(np.arange(len(y), dtype=float))
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    r = y - design @ coef
    return float(r @ r) / (len(y) - 3)


def settled_windows(y: np.ndarray, window: int) -> list[int]:
    """The starts of the windows the noise is fitted on, the last window's first."""
    end = len(y) - window
    starts = [end]
    limit = SHAPE_RATIO * _residual_variance(y[end:])
    while end - window >= 0:
        start = end - window
        while start < end and _residual_variance(y[start : start + window]) > limit:
            start += max(1, window // 8)
        if start >= end:
            break
        starts.append(start)
        if start != end - window:
            break
        end = start
    return starts


def _whiten(a: np.ndarray) -> np.ndarray:
    """``a`` (evals first) as Prais-Winsten innovations under each phi of _PHIS."""
    lead = _PHIS.reshape((-1,) + (1,) * a.ndim)
    out = np.empty((len(_PHIS), *a.shape))
    out[:, 0] = np.sqrt(1.0 - lead[:, 0] ** 2) * a[0]
    out[:, 1:] = a[None, 1:] - lead * a[None, :-1]
    return out


@dataclass(frozen=True)
class NoiseProfile:
    """Per ``phi`` of the grid: the REML marginal sd given that ``phi``, and -2 log-likelihood."""

    phis: np.ndarray
    sds: np.ndarray
    minus_2ll: np.ndarray
    dof: int  # evals fitted minus three per window: what the noise is estimated from

    @property
    def best(self) -> Noise:
        """The maximum-likelihood noise."""
        k = int(np.argmin(self.minus_2ll))
        return Noise(float(self.sds[k]), float(self.phis[k]))

    def widest(self, weights: np.ndarray, drop: float) -> Noise:
        """Of the noises whose -2 log-likelihood is within ``drop`` of the best one's, the one
        under which ``weights · evals`` has the largest sd (the first of equals)."""
        top = float(self.minus_2ll.min()) + drop
        candidates = [
            Noise(float(s), float(p))
            for s, p, ll in zip(self.sds, self.phis, self.minus_2ll, strict=True)
            if ll <= top
        ]
        return max(candidates, key=lambda noise: noise.contrast_sd(weights))


def noise_profile(log_values: np.ndarray, window: int) -> NoiseProfile | None:
    """The REML profile of a curve's AR(1) noise from windows of ``window`` evals (at most
    MAX_WINDOW) taken back from its end; ``None`` when the curve is shorter than a window of
    four evals or the quadratics leave no scatter at all."""
    y = np.asarray(log_values, dtype=float)
    window = min(window, MAX_WINDOW)
    if window < 4 or len(y) < window:
        return None
    starts = settled_windows(y, window)
    design = _whiten(_design(np.arange(window, dtype=float)))
    gram = np.einsum("kmp,kmq->kpq", design, design)
    rss = np.zeros(len(_PHIS))
    for start in starts:
        white = _whiten(y[start : start + window])
        cross = np.einsum("kmp,km->kp", design, white)
        coef = np.linalg.solve(gram, cross[..., None])[..., 0]
        residual = white - np.einsum("kmp,kp->km", design, coef)  # not y'y - b'X'y: no cancelling
        rss += (residual * residual).sum(axis=1)
    dof = len(starts) * (window - 3)
    if not np.isfinite(rss).all() or rss.min() <= 1e-24 * dof:
        return None
    innovation = rss / dof
    minus_2ll = dof * np.log(innovation) + len(starts) * (
        np.linalg.slogdet(gram)[1] - np.log(1.0 - _PHIS**2)
    )
    return NoiseProfile(_PHIS, np.sqrt(innovation / (1.0 - _PHIS**2)), minus_2ll, dof)
