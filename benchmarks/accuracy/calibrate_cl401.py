"""Calibrate CL401's ``PHI_INTERVALS``: how wide a likelihood interval for the noise's ``phi``.

Run by hand after changing CL401's fit, its noise model or ``NOISE_WIDTHS`` (not in pytest)::

    python benchmarks/accuracy/calibrate_cl401.py              # ~5 min on 2 cores
    python benchmarks/accuracy/calibrate_cl401.py --reps 200   # a quick look

Healthy bin-MAE curves that CL401 must not warn on are simulated, run through the rule's own
``last_quarter_trend``, and the warnings counted for every likelihood drop (CL401 judges the
fitted change against the noisiest noise within that drop of the best): curves flat from the first
eval (a fine-tune, a resumed run checked alone), curves with a steep early descent and curves
that converge slowly by mid-run; 16 to 256 evals; 2% eval noise (the edge of the rule's operating
range: the ``rel_tol`` floor silences more at less noise) as AR(1) noise with lag-one
correlation ``phi`` from 0 to 0.85 (0 is white noise). The simulated runs are binned by the
degrees of freedom their noise is estimated from, and each bin gets the smallest drop at which
no ``phi`` gets more than ``--alpha`` warnings (where even every ``phi`` up to 0.9 does not
hold it, the smallest widening of the bar that does); a bin with fewer degrees of freedom never
gets a smaller drop or bar than one with more. The table it prints is ``PHI_INTERVALS``.
"""

from __future__ import annotations

import argparse
import math
import sys
from multiprocessing import Pool
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as `python benchmarks/accuracy/calibrate_cl401.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "accuracy"

from coordlint.rules.cl401_bin_mae_not_converged import (
    NOISE_WIDTHS,
    PHI_INTERVALS,
    last_quarter_trend,
)

EVALS = (16, 20, 24, 28, 32, 40, 50, 64, 80, 100, 128, 160, 200, 256)
PHIS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.85)
SHAPES = {  # healthy bin-MAE curves over 2,000 steps (steps: the eval steps)
    "flat": lambda steps: np.full(len(steps), 21.0),
    "steep descent": lambda steps: 20.9 + 122.0 * np.exp(-(steps - steps[0]) / 85.0),
    "slow descent": lambda steps: 20.9 + 122.0 * np.exp(-(steps - steps[0]) / 200.0),
}
NOISE = 0.02
REL_TOL = 0.02
# the likelihood drops tried, smallest first (inf: every phi of the grid)
DROPS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0)
DROPS += (math.inf,)
DOF_EDGES = (10, 14, 18, 24, 32, 44, 60, 80, 100, 130, 180)  # bins: (prev, edge]; then the rest


def ar1(rng: np.random.Generator, n: int, phi: float, reps: int) -> np.ndarray:
    """``reps`` rows of unit-variance AR(1) noise."""
    out = np.empty((reps, n))
    out[:, 0] = rng.standard_normal(reps)
    innovations = np.sqrt(1.0 - phi * phi) * rng.standard_normal((reps, n))
    for i in range(1, n):
        out[:, i] = phi * out[:, i - 1] + innovations[:, i]
    return out


def contrast_sds(weights: np.ndarray, phis: np.ndarray, sds: np.ndarray) -> np.ndarray:
    """``Noise(sd, phi).contrast_sd(weights)`` for every (sd, phi) pair at once."""
    lagged = np.array([weights[k:] @ weights[: len(weights) - k] for k in range(len(weights))])
    powers = phis[:, None] ** np.arange(len(weights))[None, :]
    total = lagged[0] + 2.0 * (powers[:, 1:] @ lagged[1:])
    return sds * np.sqrt(np.maximum(total, 0.0))


def simulate(job: tuple[int, int, int]) -> list[tuple[str, float, int, np.ndarray]]:
    """For ``n`` evals: per simulated curve (shape, phi, dof, and for every drop of DROPS the
    fitted change over its sd; 0 where the change is within ``rel_tol``)."""
    n, reps, seed = job
    rng = np.random.default_rng([seed, n])
    steps = np.arange(1, n + 1) * (2000.0 / n)
    rows = []
    for shape, make in SHAPES.items():
        curve = make(steps)
        for phi in PHIS:
            for noise in ar1(rng, n, phi, reps):
                trend = last_quarter_trend(steps, curve * np.exp(NOISE * noise))
                profile = trend.profile
                if profile is None:
                    continue
                floor = abs(np.expm1(-trend.log_change)) > REL_TOL
                sds = contrast_sds(trend.weights, profile.phis, profile.sds)
                gap = profile.minus_2ll - profile.minus_2ll.min()
                widest = np.array([sds[gap <= drop].max() for drop in DROPS])
                ratio = abs(trend.log_change) / np.maximum(widest, 1e-300) if floor else 0 * widest
                rows.append((shape, phi, profile.dof, ratio))
    return rows


def _worst(groups: list[np.ndarray], k: int, factor: float) -> float:
    """The highest warning rate over the phis at drop ``DROPS[k]`` and bar ``factor``."""
    return max(float((g[:, k] > NOISE_WIDTHS * factor).mean()) for g in groups)


def calibrate(rows: list, alpha: float) -> list[tuple[int, float, float, float, int]]:
    """Per dof bin: (upper edge, drop, bar factor, worst warning rate, runs). The drop is the
    smallest that holds ``alpha`` at the plain bar; where none does, the largest drop and the
    smallest factor (in steps of 0.05) to widen the bar by. A bin with fewer dof never gets a
    smaller drop or factor than the next one."""
    dof = np.array([r[2] for r in rows])
    phi = np.array([r[1] for r in rows])
    ratios = np.array([r[3] for r in rows])
    bins = []
    low = 0
    for edge in (*DOF_EDGES, 1_000_000):
        inside = (dof > low) & (dof <= edge)
        low = edge
        groups = [ratios[inside & (phi == p)] for p in PHIS if (inside & (phi == p)).any()]
        if not groups:
            continue
        k = next((k for k in range(ratios.shape[1]) if _worst(groups, k, 1.0) <= alpha), None)
        factor = 1.0
        if k is None:
            k = ratios.shape[1] - 1
            while _worst(groups, k, factor) > alpha:
                factor = round(factor + 0.05, 2)
        bins.append([edge, k, factor, groups, int(inside.sum())])
    for i in range(len(bins) - 2, -1, -1):
        bins[i][1] = max(bins[i][1], bins[i + 1][1])
        bins[i][2] = max(bins[i][2], bins[i + 1][2])
    return [
        (edge, DROPS[k], factor, _worst(groups, k, factor), count)
        for edge, k, factor, groups, count in bins
    ]


def held_out(rows: list) -> list[tuple[int, float, float, float, float]]:
    """Per row of the rule's PHI_INTERVALS: its highest warning rate over the phis, and where."""
    dof = np.array([r[2] for r in rows])
    phi = np.array([r[1] for r in rows])
    ratios = np.array([r[3] for r in rows])
    out = []
    low = 0
    for edge, drop, factor in PHI_INTERVALS:
        inside = (dof > low) & (dof <= edge)
        low = edge
        k = DROPS.index(drop)
        rates = [
            (float((ratios[inside & (phi == p), k] > NOISE_WIDTHS * factor).mean()), p)
            for p in PHIS
            if (inside & (phi == p)).any()
        ]
        if rates:
            out.append((edge, drop, factor, *max(rates)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500, help="curves per (evals, shape, phi)")
    parser.add_argument("--alpha", type=float, default=0.01, help="warnings allowed per phi")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    with Pool(args.jobs) as pool:
        parts = pool.map(simulate, [(n, args.reps, args.seed) for n in EVALS])
    rows = [r for part in parts for r in part]
    table = calibrate(rows, args.alpha)
    print(f"# {len(rows)} healthy curves, {NOISE:.0%} noise, at most {args.alpha:.1%} per phi")
    print("| dof up to | likelihood drop | bar factor | worst warning rate | curves |")
    print("|---|---|---|---|---|")
    for edge, drop, factor, worst, count in table:
        print(f"| {edge} | {drop} | {factor} | {worst:.2%} | {count} |")
    pairs = ",\n".join(
        f"    ({edge:_}, {'math.inf' if math.isinf(drop) else drop}, {factor})"
        for edge, drop, factor, _, _ in table
    )
    print(f"\nPHI_INTERVALS: tuple[tuple[int, float, float], ...] = (\n{pairs},\n)")
    print("\nThe rule's PHI_INTERVALS on these curves (with --seed other than the one it was")
    print("calibrated on, a held-out check):\n")
    print("| dof up to | likelihood drop | bar factor | worst warning rate | phi |")
    print("|---|---|---|---|---|")
    for edge, drop, factor, worst, phi in held_out(rows):
        print(f"| {edge} | {drop} | {factor} | {worst:.2%} | {phi} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
