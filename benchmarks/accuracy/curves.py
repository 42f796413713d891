"""Noise-free eval curves of a coord-token run, and the eval noise laid on them.

Every shape is a function of the step (``np.ndarray`` of steps in, values out), so labels can be
read off the noise-free curve at any resolution (``labels.py``) while the logs see it only at
the eval grid, with noise.

Noise models (``Noise``): the eval-to-eval scatter of a metric measured on a fixed eval split
by successive checkpoints, with standard deviation ``sd`` relative to the metric:

- ``gauss``: independent Gaussian;
- ``t``: independent Student-t with 3 degrees of freedom, scaled to the same sd (heavy tails:
  an occasional eval far off);
- ``ar1``: Gaussian AR(1) with lag-one correlation ``phi`` (consecutive checkpoints are similar
  models, so their errors on the eval split are similar), marginal sd ``sd``.

How the noise enters each metric (``apply``): losses and MAEs are multiplied by ``1 + sd·e``;
probabilities near 1 (``coord_vocab_mass``) and rates near 0 (the flip rate) vary by
``exp(DEFICIT_GAIN·sd·e)`` in their distance from 1 (resp. 0), so 3% eval noise moves a mass
of 0.995 by about ±0.0008 and never past 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Curve = Callable[[np.ndarray], np.ndarray]

#: How much more a deficit (1 - mass, or a flip rate) varies than a loss at the same eval noise.
DEFICIT_GAIN = 5.0
T_DF = 3.0


@dataclass(frozen=True)
class Noise:
    kind: str  # "gauss" | "t" | "ar1"
    sd: float  # relative sd, 0.002 .. 0.03
    phi: float = 0.0  # lag-one correlation (ar1 only)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` unit-scale errors (multiply by ``sd``)."""
        if self.kind == "gauss":
            return rng.standard_normal(n)
        if self.kind == "t":
            return rng.standard_t(T_DF, n) / np.sqrt(T_DF / (T_DF - 2))
        e = np.empty(n)
        e[0] = rng.standard_normal()
        innovation = np.sqrt(1 - self.phi**2)
        for i in range(1, n):
            e[i] = self.phi * e[i - 1] + innovation * rng.standard_normal()
        return e

    def label(self) -> str:
        return f"ar1(φ={self.phi:.2f})" if self.kind == "ar1" else self.kind


def apply(kind: str, values: np.ndarray, noise: Noise, errors: np.ndarray) -> np.ndarray:
    """The noisy eval values of a metric of ``kind`` ("level", "mass" or "rate")."""
    if kind == "level":
        return values * (1 + noise.sd * errors)
    factor = np.exp(DEFICIT_GAIN * noise.sd * errors)
    if kind == "mass":
        return 1 - (1 - values) * factor
    return values * factor


# -- shapes ------------------------------------------------------------------------------------


def decay(start: float, level: float, tau: float) -> Curve:
    """From ``start`` at step 0 down to ``level`` with time constant ``tau`` steps."""
    return lambda t: level + (start - level) * np.exp(-np.asarray(t, float) / tau)


def ramp(at: float, until: float, shape: str) -> Callable[[np.ndarray], np.ndarray]:
    """0 before ``at``, 1 at ``until``: ``linear``, ``saturating`` (fast then flat) or
    ``accelerating`` (slow then fast)."""

    def f(t: np.ndarray) -> np.ndarray:
        x = np.clip((np.asarray(t, float) - at) / max(until - at, 1.0), 0.0, 1.0)
        if shape == "saturating":
            return (1 - np.exp(-3 * x)) / (1 - np.exp(-3.0))
        if shape == "accelerating":
            return x**2
        return x

    return f


def bump(at: float, width: float) -> Callable[[np.ndarray], np.ndarray]:
    """A smooth bump of height 1 centred at ``at`` (zero ``width`` steps away)."""

    def f(t: np.ndarray) -> np.ndarray:
        x = (np.asarray(t, float) - at) / width
        return np.where(np.abs(x) < 1, np.cos(np.pi * x / 2) ** 2, 0.0)

    return f


def soft_ce(
    start: float, level: float, tau: float, rise: float = 0.0, rise_from=None, rise_to=None
) -> Curve:
    """A soft-CE diagnostic: decays to ``level``; with ``rise``, climbs by ``rise × level``
    along ``ramp``/``bump`` ``rise_from`` (a shape function of the step)."""
    base = decay(start, level, tau)
    if not rise or rise_from is None:
        return base
    return lambda t: base(t) + level * rise * rise_from(t)


def mae_approach(start: float, final: float, tau: float) -> Curve:
    return decay(start, final, tau)


def logistic_mass(m0: float, reach: float, ceiling: float, threshold: float = 0.99) -> Curve:
    """Coord-vocab mass rising logit-linearly from ``m0`` at step 0 through ``threshold`` at step
    ``reach``, capped at ``ceiling``."""
    z0 = np.log(m0 / (1 - m0))
    z1 = np.log(threshold / (1 - threshold))

    def f(t: np.ndarray) -> np.ndarray:
        z = z0 + (z1 - z0) * np.asarray(t, float) / reach
        return np.minimum(1 / (1 + np.exp(-z)), ceiling)

    return f


def with_deficit_change(mass: Curve, factor_of: Callable[[np.ndarray], np.ndarray]) -> Curve:
    """``mass`` with its deficit ``1 - mass`` multiplied by ``factor_of(t)`` (≥ 0)."""
    return lambda t: 1 - (1 - mass(t)) * factor_of(t)


def exp_level(level: float, start: float, tau: float) -> Curve:
    """A rate falling from ``start`` to ``level`` (the flip rate)."""
    return decay(start, level, tau)


def solve_tau_for_change(start: float, final: float, length: float, change: float) -> float:
    """The time constant of ``decay(start, final, tau)`` whose last-quarter change is ``change``
    (relative to the value at ``length``), by bisection on log tau."""
    lo, hi = np.log(length / 60.0), np.log(length * 20.0)
    for _ in range(80):
        mid = (lo + hi) / 2
        curve = decay(start, final, float(np.exp(mid)))
        at = curve(np.array([0.75 * length, length]))
        got = (at[0] - at[1]) / at[1]
        if got < change:
            lo = mid  # too fast a decay: slow it down
        else:
            hi = mid
    return float(np.exp((lo + hi) / 2))
