"""Synthetic coord runs "drawn like" a team's references: one nominal training (the mixed
objective's curves of the stage-1 note), varied per seed the way reruns vary.

A run is its :class:`Draw`: the seed sets its run-to-run variation (each metric's final level
moves by ~1% with a factor shared by every metric, its speed by ~10%, the confinement step by
~10%) and its eval-to-eval noise (0.5% of the value; the vocab mass ±0.0002); the other fields
are the eval grid, the config, and the faults the acceptance tests plant (a bin MAE that
settles higher, late confinement, a soft-CE that ends worse, another temperature).
Used by the reference tests and by ``benchmarks/bench_reference.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coordlint.testing import write_events

# (start at step 0, final level, time constant in steps): the mixed run's curves.
CURVES = {
    "eval/coord_softce_w1/ce": (6.0, 3.44, 250.0),
    "eval/coord_softce_w1/soft_ce": (5.6, 3.63, 200.0),
    "eval/coord_softce_w1/w1": (0.34, 0.0296, 200.0),
    "eval/coord_softce_w1/gate": (0.05, 0.0029, 120.0),
    "eval/coord_diag/p_gt_mean": (0.007, 0.093, 300.0),
    "eval/coord_diag/acc_top5": (0.06, 0.478, 300.0),
    "eval/coord_diag/expected_bin_mae": (143.0, 21.37, 220.0),
    "eval/coord_diag/margin_mean": (0.1, 1.10, 300.0),
    "eval/coord_monitor/flip_coord_to_noncoord": (0.002, 0.0001, 150.0),
    "eval/loss": (2.7, 1.38, 250.0),
}
MASS = "eval/coord_diag/coord_vocab_mass"
SOFT_CE = "eval/coord_softce_w1/soft_ce"
BIN_MAE = "eval/coord_diag/expected_bin_mae"
LEVEL_SD = 0.01  # run-to-run sd of a final level, relative
SPEED_SD = 0.10  # run-to-run sd of a time constant, relative
EVAL_NOISE = 0.005  # eval-to-eval sd, relative
MASS_NOISE = 0.0002
# soft_ce's floor is the soft target's entropy: a higher temperature raises the level.
SOFT_CE_PER_TEMPERATURE = 0.4


@dataclass(frozen=True)
class Draw:
    """One run: its seed, eval grid and config, and any planted fault."""

    seed: int
    eval_every: int = 50
    last_step: int = 2000
    temperature: float = 1.0
    bin_mae_scale: float = 1.0  # the final bin MAE, times this
    confine_delay: float = 1.0  # the confinement step, times this
    soft_ce_end_rise: float = 0.0  # soft_ce rises by this fraction over the last two evals
    soft_ce_scale: float = 1.0  # soft_ce's final level, times this
    soft_ce_slow: float = 1.0  # soft_ce's time constant, times this
    train_every: int = 10


def eval_steps(draw: Draw) -> list[int]:
    steps = list(range(draw.eval_every, draw.last_step + 1, draw.eval_every))
    return steps if steps[-1] == draw.last_step else [*steps, draw.last_step]


def coord_curves(draw: Draw) -> dict[str, dict[int, float]]:
    """Every tag's points, ``{tag: {step: value}}``."""
    rng = np.random.default_rng(draw.seed)
    steps = np.array(eval_steps(draw), dtype=np.float64)
    shared = rng.standard_normal()
    curves: dict[str, dict[int, float]] = {}
    for tag, (start, final, tau) in CURVES.items():
        own = rng.standard_normal()
        level = final * (1 + LEVEL_SD * (0.7 * shared + 0.71 * own))
        if tag == BIN_MAE:
            level *= draw.bin_mae_scale
        if tag == SOFT_CE:
            level = level * draw.soft_ce_scale + SOFT_CE_PER_TEMPERATURE * (draw.temperature - 1)
            tau *= draw.soft_ce_slow
        speed = tau * (1 + SPEED_SD * rng.standard_normal())
        clean = level + (start - level) * np.exp(-steps / speed)
        if tag == SOFT_CE and draw.soft_ce_end_rise:
            clean[-2:] *= 1 + draw.soft_ce_end_rise * np.array([0.5, 1.0])
        noisy = clean * (1 + EVAL_NOISE * rng.standard_normal(len(steps)))
        curves[tag] = dict(zip(map(int, steps), map(float, noisy), strict=True))
    middle = 90.0 * draw.confine_delay * (1 + SPEED_SD * rng.standard_normal())
    top = 0.9987 + 0.0003 * rng.standard_normal()
    mass = 0.1 + (top - 0.1) / (1 + np.exp(-(steps - middle) / 18.0))
    mass = np.minimum(mass + MASS_NOISE * rng.standard_normal(len(steps)), 1.0)
    curves[MASS] = dict(zip(map(int, steps), map(float, mass), strict=True))
    curves["eval/runtime"] = {int(s): float(90 + 5 * rng.standard_normal()) for s in steps}
    train = np.arange(draw.train_every, draw.last_step + 1, draw.train_every, dtype=np.float64)
    loss = 1.3 + 1.5 * np.exp(-train / 250.0)
    loss *= 1 + 0.05 * rng.standard_normal(len(train))
    curves["train/loss"] = dict(zip(map(int, train), map(float, loss), strict=True))
    return curves


def coord_config(draw: Draw) -> dict[str, object]:
    """The run's coord config, flat (``coord_soft_ce_w1.X``)."""
    return {
        "coord_soft_ce_w1.enabled": True,
        "coord_soft_ce_w1.ce_weight": 1.0,
        "coord_soft_ce_w1.soft_ce_weight": 1.0,
        "coord_soft_ce_w1.w1_weight": 1.0,
        "coord_soft_ce_w1.gate_weight": 1.0,
        "coord_soft_ce_w1.temperature": draw.temperature,
        "coord_soft_ce_w1.target_sigma": 2.0,
    }


def write_coord_run(directory: Path, draw: Draw) -> Path:
    """A real event file of ``draw``'s curves under ``directory``, and its resolved_config.json
    (coord keys under ``custom``, as the team's trainer writes them)."""
    write_events(directory, coord_curves(draw))
    resolved: dict[str, dict[str, object]] = {}
    for key, value in coord_config(draw).items():
        block, name = key.split(".")
        resolved.setdefault(block, {})[name] = value
    document = {"schema_version": 1, "resolved": {"custom": resolved}}
    (directory / "resolved_config.json").write_text(json.dumps(document))
    return directory


def healthy_grid(i: int) -> int:
    """The eval interval of the i-th healthy run: references and candidates use several."""
    return (40, 50, 60, 80)[i % 4]
