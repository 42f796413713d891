"""The checks a user would write by hand instead of a rule, on the same loaded values.

Each takes a checked run and its group (the runs checked with it) and says whether it alarms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .score import Checked

SOFT_CE = ("eval/coord_softce_w1/soft_ce", "eval/coord_diag/soft_ce")
MASS = "eval/coord_diag/coord_vocab_mass"
MAE = "eval/coord_diag/expected_bin_mae"
FLIP = "eval/coord_monitor/flip_coord_to_noncoord"
SETTINGS = (
    "coord_soft_ce_w1.temperature",
    "coord_soft_ce_w1.target_sigma",
    "coord_soft_ce_w1.target_truncate",
    "coord_soft_ce_w1.ce_weight",
    "coord_soft_ce_w1.soft_ce_weight",
    "coord_soft_ce_w1.w1_weight",
    "coord_soft_ce_w1.gate_weight",
)


def _values(c: Checked, *tags: str) -> tuple[np.ndarray, np.ndarray] | None:
    for tag in tags:
        if tag in c.values:
            return c.values[tag]
    return None


def rebound(c: Checked, group: list[Checked]) -> bool:
    """ "The final soft-CE is ≥ 5% above its minimum"."""
    got = _values(c, *SOFT_CE)
    return got is not None and bool(got[1][-1] >= 1.05 * got[1].min())


def slow(c: Checked, group: list[Checked]) -> bool:
    """ "The first eval with mass ≥ 0.99 is after step 200, or there is none"."""
    got = _values(c, MASS)
    if got is None or got[0][-1] <= 200:
        return False
    steps, mass = got
    hit = np.flatnonzero(mass >= 0.99)
    return not len(hit) or bool(steps[hit[0]] > 200)


def lost(c: Checked, group: list[Checked]) -> bool:
    """ "The mass reached 0.99 and the final eval is below it"."""
    got = _values(c, MASS)
    return got is not None and bool(got[1].max() >= 0.99 and got[1][-1] < 0.99)


def leakage(c: Checked, group: list[Checked]) -> bool:
    """ "The final flip rate is above 1e-3"."""
    got = _values(c, FLIP)
    return got is not None and bool(got[1][-1] > 1e-3)


def not_converged(c: Checked, group: list[Checked]) -> bool:
    """ "The last eval differs by > 2% from the eval a quarter of the evals earlier"."""
    got = _values(c, MAE)
    if got is None or len(got[1]) < 4:
        return False
    mae = got[1]
    return bool(abs(mae[-1] - mae[-1 - len(mae) // 4]) > 0.02 * abs(mae[-1]))


def config_differs(c: Checked, group: list[Checked]) -> bool:
    """ "Some soft-CE setting is not == to another run's"."""
    mine = c.config
    return any(
        key in mine and key in other.config and mine[key] != other.config[key]
        for other in group
        if other is not c
        for key in SETTINGS
    )


NAIVE: dict[str, Callable[[Checked, list[Checked]], bool]] = {
    "CL201": rebound,
    "CL301": slow,
    "CL302": leakage,
    "CL303": lost,
    "CL401": not_converged,
    "CL502": config_differs,
}
