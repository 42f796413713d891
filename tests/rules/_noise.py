"""Eval noise for the rule tests: AR(1) noise, as consecutive checkpoints' evals wander."""

from __future__ import annotations

import numpy as np


def ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """``n`` draws of unit-variance AR(1) noise with lag-one correlation ``phi``."""
    e = np.empty(n)
    e[0] = rng.standard_normal()
    for i in range(1, n):
        e[i] = phi * e[i - 1] + np.sqrt(1 - phi**2) * rng.standard_normal()
    return e
