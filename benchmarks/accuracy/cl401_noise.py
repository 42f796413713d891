"""CL401 as shipped against its earlier eval-noise estimate, on the labelled runs and on plateaus.

Run by hand (not part of pytest, not part of ``python benchmarks/accuracy``)::

    python benchmarks/accuracy/cl401_noise.py                 # seeds 0-4, ~1 min
    python benchmarks/accuracy/cl401_noise.py --seeds 5-9     # the held-out seeds

It rebuilds each run's bin-MAE evals as ``oracle_cl401.build_case`` does (the ones CL401 loads
from the written event files, draw for draw) and runs, in memory, versions of CL401's decision:

- ``CL401``: the rule as shipped, through its ``Rule`` (AR(1) noise profiled by restricted
  maximum likelihood over settled windows, judged at the noisiest noise within a calibrated
  likelihood interval for ``phi``, see ``calibrate_cl401.py``);
- ``before``: the same fit, ``rel_tol`` floor and ``NOISE_WIDTHS`` bar with the estimate CL401
  used before (``_curves.eval_noise`` over the whole run, second differences of the residuals of
  a quadratic per half, whose steep early descent inflates it);
- ``best φ``: the same with the best-fit noise taken at its word (no interval): what the
  interval costs in recall and, on the plateaus, what it buys in false alarms;
- ``told φ``: the same told the noise's true ``phi`` (its sd still fitted): what CL401 would
  catch if the evals pinned ``phi`` down. A diagnostic, not a detector: no rule is told ``phi``.

Then what CL401 said on the positives it missed: the two reasons its ``info`` gives (the change
is beyond the best-fit noise but not the noisiest the evals allow; or within even the best fit)
or silence (a fitted change within ``rel_tol``).

Then every decision on plateaus the unit tests use (``tests/rules/test_cl401.py``: 50 evals
every 40 steps, 2% eval noise) with and without the steep early descent, where every warning is
a false alarm, and on the unit test's 5% fall at 1% white noise, where every warning is right.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as `python benchmarks/accuracy/cl401_noise.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "accuracy"

from accuracy import labels as lb
from accuracy.calibrate_cl401 import ar1
from accuracy.families import generate
from accuracy.oracle_cl401 import TAG, build_case, parse_seeds
from coordlint.rules._curves import Noise, eval_noise
from coordlint.rules.cl401_bin_mae_not_converged import (
    NOISE_WIDTHS,
    Trend,
    bin_mae_not_converged,
    last_quarter_trend,
)
from coordlint.testing import make_run

REL_TOL, MIN_POINTS = 0.02, 16

Outcome = str  # "fire" | "info" | "silent" | "short"
Decide = Callable[[np.ndarray, np.ndarray, float], Outcome]  # (steps, values, the true phi)


def _shipped_findings(steps: np.ndarray, values: np.ndarray) -> list:
    run = make_run({TAG: dict(zip(steps.astype(int).tolist(), values.tolist(), strict=True))})
    return list(bin_mae_not_converged.check(run, rel_tol=REL_TOL, min_points=MIN_POINTS) or ())


def shipped(steps: np.ndarray, values: np.ndarray, phi: float = 0.0) -> Outcome:
    if len(values) < MIN_POINTS:
        return "short"
    found = _shipped_findings(steps, values)
    if not found:
        return "silent"
    return "info" if found[0].severity is not None else "fire"


def reason(steps: np.ndarray, values: np.ndarray) -> str:
    """CL401's verdict with the reason an ``info`` gives: ``fire``, ``beyond best fit`` (the
    change clears the best-fit noise, not the noisiest the evals allow), ``within noise``,
    ``silent`` (a fitted change within ``rel_tol``) or ``short``."""
    if len(values) < MIN_POINTS:
        return "short"
    found = _shipped_findings(steps, values)
    if not found:
        return "silent"
    if found[0].severity is None:
        return "fire"
    return "beyond best fit" if "beyond its best-fit" in found[0].message else "within noise"


def _judged(
    steps: np.ndarray, values: np.ndarray, noise: Callable[[Trend, np.ndarray], Noise | None]
) -> Outcome:
    """CL401's fit, ``rel_tol`` floor and NOISE_WIDTHS bar (no widening) against the noise
    ``noise(trend, values)`` picks (``None``: no scatter, any change past the floor fires)."""
    if len(values) < MIN_POINTS:
        return "short"
    trend = last_quarter_trend(steps, values)
    if abs(np.expm1(-trend.log_change)) <= REL_TOL:
        return "silent"
    picked = noise(trend, values)
    sd = picked.contrast_sd(trend.weights) if picked is not None else 0.0
    return "info" if abs(trend.log_change) <= NOISE_WIDTHS * sd else "fire"


def told_phi(steps: np.ndarray, values: np.ndarray, phi: float) -> Outcome:
    """Told the noise's true ``phi`` (its sd still fitted, by REML at the nearest grid ``phi``):
    what CL401 would catch if the evals pinned ``phi`` down. No false-alarm guarantee is
    claimed for it beyond the told ``phi``."""

    def at_phi(trend: Trend, values: np.ndarray) -> Noise | None:
        if trend.profile is None:
            return None
        k = int(np.argmin(abs(trend.profile.phis - phi)))
        return Noise(float(trend.profile.sds[k]), float(trend.profile.phis[k]))

    return _judged(steps, values, at_phi)


def best_phi(steps: np.ndarray, values: np.ndarray, phi: float = 0.0) -> Outcome:
    """The best-fit noise taken at its word: what the calibrated interval for ``phi`` costs
    in recall, and (on the plateaus) what it buys in false alarms."""
    return _judged(steps, values, lambda t, v: t.profile.best if t.profile is not None else None)


def before(steps: np.ndarray, values: np.ndarray, phi: float = 0.0) -> Outcome:
    """CL401's decision with the whole-run second-difference noise estimate it used before."""
    return _judged(steps, values, lambda t, v: eval_noise(np.log(v), len(v) // 2))


DECISIONS: dict[str, Decide] = {
    "CL401": shipped,
    "before": before,
    "best φ": best_phi,
    "told φ": told_phi,
}


# -- scores ------------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    healthy: bool
    kind: str
    case: str
    sd: float
    phi: float  # the AR(1) noise's lag-one correlation; 0 for white noise
    evals: int
    steps: np.ndarray
    values: np.ndarray


def labelled(seeds: list[int], runs: int) -> list[Row]:
    rows = []
    for seed in seeds:
        for spec in (r for g in generate(runs, seed) for r in g):
            case = build_case(spec)
            rows.append(
                Row(
                    spec.labels["CL401"],
                    spec.family == "healthy",
                    spec.noise.kind,
                    spec.case,
                    spec.noise.sd,
                    spec.noise.phi,
                    len(case.steps),
                    case.steps,
                    case.values,
                )
            )
    return rows


def _cell(rows: list[Row], fired: list[bool]) -> str:
    pos = [f for r, f in zip(rows, fired, strict=True) if r.label == lb.POS]
    neg = [f for r, f in zip(rows, fired, strict=True) if r.label == lb.NEG]
    healthy = [f for r, f in zip(rows, fired, strict=True) if r.label == lb.NEG and r.healthy]
    tp, fp = sum(pos), sum(neg)
    precision = f"{tp / (tp + fp):.3f}" if tp + fp else "—"
    recall = f"{tp / len(pos):.3f}" if pos else "—"
    return f"{recall} ({len(pos)}) | {precision} | {sum(healthy)}/{len(healthy)}"


SLICES: tuple[tuple[str, Callable[[Row], bool]], ...] = (
    ("≥16 evals, noise ≤2%", lambda r: r.evals >= 16 and r.sd <= 0.02),
    ("≥16 evals, noise ≤1%", lambda r: r.evals >= 16 and r.sd <= 0.01),
    ("≥16 evals, noise 2-3%", lambda r: r.evals >= 16 and r.sd > 0.02),
    ("16-31 evals, ≤2%", lambda r: 16 <= r.evals < 32 and r.sd <= 0.02),
    ("32-63 evals, ≤2%", lambda r: 32 <= r.evals < 64 and r.sd <= 0.02),
    ("≥64 evals, ≤2%", lambda r: r.evals >= 64 and r.sd <= 0.02),
    ("≥16, ≤2%, AR(1)", lambda r: r.evals >= 16 and r.sd <= 0.02 and r.kind == "ar1"),
    ("≥16, ≤2%, rising", lambda r: r.evals >= 16 and r.sd <= 0.02 and r.case == "rising"),
    ("all runs", lambda r: True),
)


def labelled_table(rows: list[Row]) -> str:
    outcomes = {name: [d(r.steps, r.values, r.phi) for r in rows] for name, d in DECISIONS.items()}
    lines = [
        "| slice | decision | recall (positives) | precision | healthy FP |",
        "|---|---|---|---|---|",
    ]
    for title, keep in SLICES:
        inside = [i for i, r in enumerate(rows) if keep(r)]
        for name, out in outcomes.items():
            fired = [out[i] == "fire" for i in inside]
            lines.append(f"| {title} | {name} | {_cell([rows[i] for i in inside], fired)} |")
    return "\n".join(lines)


REASONS = ("fire", "beyond best fit", "within noise", "silent")


def reasons_table(rows: list[Row]) -> str:
    """What CL401 said on the positives it judged (≥ 16 evals, noise ≤ 2%): caught, or which
    reason its ``info`` gave, or silent (a fitted change within ``rel_tol``)."""
    lines = ["| slice | positives | " + " | ".join(REASONS) + " |"]
    lines.append("|---" * (2 + len(REASONS)) + "|")
    for title, keep in SLICES[:5]:
        said = [reason(r.steps, r.values) for r in rows if r.label == lb.POS and keep(r)]
        cells = " | ".join(str(said.count(k)) for k in REASONS)
        lines.append(f"| {title} | {len(said)} | {cells} |")
    return "\n".join(lines)


def plateau_table(runs: int) -> str:
    """Warnings per run on plateaus (every one a false alarm) and on a 5% fall (every one right):
    the unit tests' grid, 50 evals every 40 steps."""
    steps = np.arange(40, 2001, 40).astype(float)
    descent = 20.9 + (143.0 - 20.9) * np.exp(-(steps - 40.0) / 85.0)
    flat = np.full(len(steps), 21.0)
    tau = 1.0  # the time constant of approach(140 -> 21) whose last-quarter fall is 5%
    lo, hi = 100.0, 5000.0
    for _ in range(60):
        tau = (lo + hi) / 2
        v = 21.0 + 119.0 * np.exp(-(steps - 40.0) / tau)
        lo, hi = (tau, hi) if (v[-13] - v[-1]) / v[-1] < 0.05 else (lo, tau)
    falling = 21.0 + 119.0 * np.exp(-(steps - 40.0) / tau)
    cases = [
        ("steep descent, then flat; 2% AR(1) φ=0.8", descent, 0.02, 0.8),
        ("steep descent, then flat; 2% AR(1) φ=0.5", descent, 0.02, 0.5),
        ("steep descent, then flat; 2% white", descent, 0.02, 0.0),
        ("flat from the start; 2% AR(1) φ=0.8", flat, 0.02, 0.8),
        ("flat from the start; 2% AR(1) φ=0.5", flat, 0.02, 0.5),
        ("flat from the start; 2% white", flat, 0.02, 0.0),
        ("5% fall over the last quarter; 1% white (a positive)", falling, 0.01, 0.0),
    ]
    lines = ["| curve, eval noise | " + " | ".join(DECISIONS) + " |"]
    lines.append("|---" * (1 + len(DECISIONS)) + "|")
    for title, curve, sd, phi in cases:
        rng = np.random.default_rng(11)
        draws = curve * (1 + sd * ar1(rng, len(steps), phi, runs))
        cells = []
        for decide in DECISIONS.values():
            fired = sum(decide(steps, v, phi) == "fire" for v in draws)
            cells.append(f"{fired / runs:.1%}")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4", help="seeds, e.g. 0-4 or 5-9")
    parser.add_argument("--runs", type=int, default=1000, help="about this many runs per seed")
    parser.add_argument("--plateaus", type=int, default=600, help="runs per plateau case (0: none)")
    args = parser.parse_args(argv)
    seeds = parse_seeds(args.seeds)
    print(f"# CL401's noise estimate: seeds {args.seeds}, about {args.runs} runs each\n")
    rows = labelled(seeds, args.runs)
    print(labelled_table(rows))
    print("\nwhat CL401 said on the positives:\n")
    print(reasons_table(rows))
    if args.plateaus:
        print(f"\nwarnings per run, {args.plateaus} runs per curve:\n")
        print(plateau_table(args.plateaus))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
