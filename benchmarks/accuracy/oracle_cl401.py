"""How much CL401 recall the labelled runs allow: oracle detectors that know the eval noise.

Run by hand (not part of pytest, not part of ``python benchmarks/accuracy``)::

    python benchmarks/accuracy/oracle_cl401.py                  # seeds 0-4, 1,000 runs each
    python benchmarks/accuracy/oracle_cl401.py --seeds 0 --no-rule   # the oracles only, fast

It regenerates the benchmark's runs (``families.generate``, same seeds and sizes), rebuilds
each run's bin-MAE evals exactly as ``writer.py`` writes them (same random draws, float32,
the resumed attempt's evals replacing the first's), and scores detectors that are given what
no rule has: the run's noise model and its parameters (Gaussian, Student-t with 3 degrees of
freedom, AR(1) with its ``phi``; the sd ``sigma``; where a resume splits the noise into two
independent draws). Every oracle is thresholded per run so that it fires on a given share of
converged (flat) runs with that run's eval grid and noise: 1% (the false-alarm budget of issue
16 on healthy runs) and 0.3% (about what precision ≥ 0.97 allows, the slice holding ten
negatives per positive), checked on the healthy runs and on all negatives of the slice. The
detectors, in log space (the noise is relative):

- ``quarter``: the trend over the last quarter of the run's steps, a line fitted to the evals
  in it by generalised least squares with the exact noise covariance (by maximum likelihood with
  the known t density for Student-t noise). What "a 4% change over the last quarter" allows.
- ``half``: CL401's own model, a quadratic over the last half of the evals and its change over
  the last quarter, fitted the same exact way. What CL401 would reach if it knew the noise.
- ``half+floor``: ``half`` that also requires the fitted change to exceed CL401's ``rel_tol``
  (2%), as CL401 does: it keeps the slowly moving negatives (changes of 0.1-1%) quiet.
- ``half-sigma``: ``half`` told only the noise type and ``phi``; it estimates ``sigma`` from
  the residuals of its own fit (a studentized contrast, thresholds by Monte Carlo): what the
  last half of the evals allows when the noise level must come from them.
- ``shape``: the most powerful test there is (Neyman-Pearson, likelihood ratio of two fully
  known curves) between the run's true noise-free curve and the *closest healthy curve* of
  the generator's family (``mae_approach`` with the healthy start, final and time constant
  ranges, found by grid search on the whole run). It knows the curve's shape, not just the
  noise: it bounds the recall of any detector whose false-alarm rate is at most the given rate
  on every healthy curve, whatever it assumes (reported for the positives only: it is one test
  per positive, not one detector).

Recall is reported on the benchmark's own noise draws (binomial, Wilson 95% CI) and as the
expected recall (each positive's detection probability, analytic for Gaussian and AR(1) noise,
by Monte Carlo for Student-t noise and for ``half-sigma``; 95% CI by bootstrap over runs),
beside CL401's recall on the same runs (``--no-rule`` skips writing and checking them; else
the evals CL401 loaded are checked to be the ones rebuilt here).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as `python benchmarks/accuracy/oracle_cl401.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "accuracy"

from accuracy import curves as c
from accuracy import labels as lb
from accuracy.families import RunSpec, generate
from accuracy.writer import _series

TAG = "eval/coord_diag/expected_bin_mae"
#: false-alarm rates per converged run: issue 16's budget on healthy runs, and the rate at which
#: the slice's negatives (about 9 per positive) still leave precision ≥ 0.97 at recall 0.9
ALPHAS = (0.01, 0.003)
REL_TOL = 0.02  # CL401's floor on the fitted change (the ``+floor`` detector)
#: (name, fewest evals, most eval noise) of the slices reported
SLICES = (("≥16 evals, noise ≤2%", 16, 0.02), ("≥16 evals, noise ≤1%", 16, 0.01))
#: the healthy family's bin MAE: mae_approach(start, final, length / k)
HEALTHY_START, HEALTHY_FINAL, HEALTHY_K = (120.0, 150.0), (19.0, 23.0), (12.0, 25.0)
T_SCALE = 1 / math.sqrt(c.T_DF)  # the scale of the unit-variance t errors of ``Noise.draw``


def _phi(z: float) -> float:
    """The standard normal CDF."""
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def _quantile(p: float) -> float:
    """The standard normal quantile, by bisection."""
    lo, hi = -10.0, 10.0
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _phi(mid) < p else (lo, mid)
    return (lo + hi) / 2


def _log_noise(case: Case, rng: np.random.Generator, k: int) -> np.ndarray:
    """``k`` draws of the run's eval noise on the log scale (a t draw past -100% clipped)."""
    return np.log1p(np.maximum(case.spec.noise.sd * draw_errors(case, rng, k), -0.99))


# -- one run's evals and noise -----------------------------------------------------------------


@dataclass
class Case:
    spec: RunSpec
    steps: np.ndarray
    values: np.ndarray  # the noisy evals, as written (float32 -> float)
    blocks: np.ndarray  # 0 for evals of the first attempt, 1 for the resumed attempt's
    oracle: dict[str, bool] = field(default_factory=dict)  # detector -> fired on these evals
    power: dict[str, float] = field(default_factory=dict)  # detector -> P(fire)
    rule: str | None = None  # CL401's outcome: "fire" | "info" | "silent"
    rule_noise: float | None = None  # the eval noise sd CL401 estimated, when it said

    @property
    def label(self) -> str:
        return self.spec.labels["CL401"]

    @property
    def healthy(self) -> bool:
        return self.spec.family == "healthy"


def build_case(spec: RunSpec) -> Case:
    """The bin-MAE evals ``writer.write_run`` writes for ``spec``, as the loader keeps them."""
    rng = np.random.default_rng(spec.seed)
    steps, values = _series(spec, rng)[TAG]
    values = values.astype(float)
    blocks = np.zeros(len(steps), dtype=int)
    if spec.resume_steps is not None:
        resumed_from, _ = spec.resume_steps
        later = steps >= resumed_from
        values[later] = _series(spec, rng)[TAG][1][later]
        blocks[later] = 1
    return Case(spec, steps.astype(float), values, blocks)


def draw_errors(case: Case, rng: np.random.Generator, k: int) -> np.ndarray:
    """``k`` fresh draws of the run's unit-sd eval errors, (k, n), split as the resume splits."""
    noise, n = case.spec.noise, len(case.steps)
    out = np.empty((k, n))
    for block in np.unique(case.blocks):
        if noise.kind == "gauss":
            e = rng.standard_normal((k, n))
        elif noise.kind == "t":
            e = rng.standard_t(c.T_DF, (k, n)) / math.sqrt(c.T_DF / (c.T_DF - 2))
        else:
            e = np.empty((k, n))
            e[:, 0] = rng.standard_normal(k)
            innovation = math.sqrt(1 - noise.phi**2)
            for i in range(1, n):
                e[:, i] = noise.phi * e[:, i - 1] + innovation * rng.standard_normal(k)
        keep = case.blocks == block
        out[:, keep] = e[:, keep]
    return out


def whiten(case: Case, idx: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``x`` (…, len(idx)) over the evals ``idx`` turned into unit white noise coordinates
    (divided by sigma; for AR(1), the innovations, each attempt's first eval as is)."""
    noise = case.spec.noise
    x = np.asarray(x, dtype=float) / noise.sd
    if noise.kind != "ar1":
        return x
    out = x.copy()
    block = case.blocks[idx]
    same = block[1:] == block[:-1]
    inner = (x[..., 1:] - noise.phi * x[..., :-1]) / math.sqrt(1 - noise.phi**2)
    out[..., 1:] = np.where(same, inner, x[..., 1:])
    return out


# -- local trend oracles -----------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    """A linear model over some evals and the contrast of its coefficients tested against 0."""

    idx: np.ndarray
    design: np.ndarray  # (m, p)
    contrast: np.ndarray  # (p,)


def quarter_line(case: Case) -> Trend:
    length = case.steps[-1]
    idx = np.flatnonzero(case.steps >= 0.75 * length)
    u = (case.steps[idx] - 0.75 * length) / (0.25 * length)
    return Trend(idx, np.vstack([np.ones(len(idx)), u]).T, np.array([0.0, 1.0]))


def half_quadratic(case: Case) -> Trend:
    """CL401's model: a quadratic over the last half of the evals, its last-quarter change."""
    n = len(case.steps)
    idx = np.arange(n - n // 2, n)
    x = case.steps[idx]
    u = (x - x[0]) / (x[-1] - x[0])
    q = max(0.0, (0.75 * case.steps[-1] - x[0]) / (x[-1] - x[0]))
    design = np.vstack([np.ones(len(idx)), u, u * u]).T
    return Trend(idx, design, np.array([0.0, 1.0 - q, 1.0 - q * q]))


def gls(case: Case, trend: Trend, logs: np.ndarray) -> tuple[np.ndarray, float]:
    """The GLS estimate of the contrast from ``logs`` (…, n) under the exact noise covariance,
    and its sd."""
    xw = whiten(case, trend.idx, trend.design.T).T  # the whitened design, (m, p)
    solve = np.linalg.solve(xw.T @ xw, trend.contrast)
    estimate = whiten(case, trend.idx, logs[..., trend.idx]) @ (xw @ solve)
    return estimate, float(math.sqrt(solve @ trend.contrast))


def t_estimate(case: Case, trend: Trend, logs: np.ndarray, iterations: int = 25) -> np.ndarray:
    """The contrast by maximum likelihood under the run's Student-t noise (known scale), for
    each row of ``logs`` (k, n): iteratively reweighted least squares from the OLS fit."""
    x = trend.design
    y = logs[:, trend.idx]
    scale2 = (case.spec.noise.sd * T_SCALE) ** 2
    beta = np.linalg.lstsq(x, y.T, rcond=None)[0].T  # (k, p)
    for _ in range(iterations):
        r = y - beta @ x.T
        w = (c.T_DF + 1) / (c.T_DF + r * r / scale2)
        a = np.einsum("km,mp,mq->kpq", w, x, x)
        b = np.einsum("km,mp,km->kp", w, x, y)
        beta = np.linalg.solve(a, b[..., None])[..., 0]
    return beta @ trend.contrast


def run_trend(
    case: Case,
    name: str,
    make: Callable[[Case], Trend],
    draws: int,
    seed: int,
    floor: float = 0.0,
) -> None:
    """Fire when the contrast is beyond the run's two-sided null quantile (and ``floor``), at
    each rate of ``ALPHAS``; the detection probability of each."""
    trend = make(case)
    logs = np.log(np.maximum(case.values, 1e-9))
    truth = np.log(case.spec.curves["expected_bin_mae"](case.steps))
    if case.spec.noise.kind != "t":
        estimate, sd = gls(case, trend, logs)
        shift = float(gls(case, trend, truth)[0])
        for alpha in ALPHAS:
            limit = max(_quantile(1 - alpha / 2) * sd, floor)
            key = f"{name} {alpha:.1%}"
            case.oracle[key] = bool(abs(estimate) > limit)
            case.power[key] = _phi((shift - limit) / sd) + _phi((-shift - limit) / sd)
        return
    rng = np.random.default_rng(seed)
    null = np.abs(t_estimate(case, trend, _log_noise(case, rng, draws)))
    observed = abs(t_estimate(case, trend, logs[None, :])[0])
    alt = np.abs(t_estimate(case, trend, truth + _log_noise(case, rng, draws)))
    for alpha in ALPHAS:
        limit = max(float(np.quantile(null, 1 - alpha)), floor)
        key = f"{name} {alpha:.1%}"
        case.oracle[key] = bool(observed > limit)
        case.power[key] = float(np.mean(alt > limit))


def studentized(case: Case, trend: Trend, logs: np.ndarray) -> np.ndarray:
    """The GLS contrast over its sd with sigma estimated from the fit's own residuals (only the
    noise type and ``phi`` known), for each row of ``logs`` (k, n)."""
    xw = whiten(case, trend.idx, trend.design.T).T
    yw = whiten(case, trend.idx, logs[..., trend.idx])
    info = xw.T @ xw
    solve = np.linalg.solve(info, trend.contrast)
    beta = np.linalg.solve(info, xw.T @ yw.T).T  # (k, p)
    residual = yw - beta @ xw.T
    scale = np.sqrt((residual * residual).sum(axis=-1) / (len(trend.idx) - xw.shape[1]))
    return (beta @ trend.contrast) / (math.sqrt(solve @ trend.contrast) * scale)


def run_studentized(case: Case, name: str, draws: int, seed: int) -> None:
    """``half`` with sigma estimated in its window: thresholds and power by Monte Carlo."""
    trend = half_quadratic(case)
    logs = np.log(np.maximum(case.values, 1e-9))
    truth = np.log(case.spec.curves["expected_bin_mae"](case.steps))
    rng = np.random.default_rng(seed)
    null = np.abs(studentized(case, trend, _log_noise(case, rng, draws)))
    observed = abs(studentized(case, trend, logs[None, :])[0])
    alt = np.abs(studentized(case, trend, truth + _log_noise(case, rng, draws)))
    for alpha in ALPHAS:
        limit = float(np.quantile(null, 1 - alpha))
        case.oracle[f"{name} {alpha:.1%}"] = bool(observed > limit)
        case.power[f"{name} {alpha:.1%}"] = float(np.mean(alt > limit))


# -- the shape oracle ----------------------------------------------------------------------------


def closest_healthy(case: Case, truth: np.ndarray) -> np.ndarray:
    """The log of the healthy-family curve closest to ``truth`` (log) in the run's noise metric,
    by a grid over (start, final, k) refined three times around the best point."""
    t = case.steps
    length = t[-1]
    idx = np.arange(len(t))
    ranges = (HEALTHY_START, HEALTHY_FINAL, HEALTHY_K)
    axes = [np.linspace(lo, hi, m) for (lo, hi), m in zip(ranges, (7, 41, 14), strict=True)]
    for _ in range(4):
        s, f, k = np.meshgrid(*axes, indexing="ij")
        curve = f[..., None] + (s - f)[..., None] * np.exp(-t * k[..., None] / length)
        gap = whiten(case, idx, truth - np.log(curve))
        at = np.unravel_index(int(np.argmin(np.einsum("...n,...n->...", gap, gap))), s.shape)
        best = [float(s[at]), float(f[at]), float(k[at])]
        axes = [
            np.linspace(max(lo, centre - step), min(hi, centre + step), 9)
            for (lo, hi), centre, step in zip(
                ranges, best, (float(np.ptp(a)) / (len(a) - 1) for a in axes), strict=True
            )
        ]
    start, final, k0 = best
    return np.log(c.mae_approach(start, final, length / k0)(t))


def t_loglik(residual: np.ndarray, scale: float) -> np.ndarray:
    """The Student-t log density (up to a constant) summed over the last axis."""
    return -(c.T_DF + 1) / 2 * np.log1p((residual / scale) ** 2 / c.T_DF).sum(axis=-1)


def run_shape(case: Case, draws: int, seed: int) -> None:
    """Neyman-Pearson between the true curve and the closest healthy one, one-sided, at each
    rate of ``ALPHAS``."""
    noise = case.spec.noise
    truth = np.log(case.spec.curves["expected_bin_mae"](case.steps))
    null = closest_healthy(case, truth)
    logs = np.log(np.maximum(case.values, 1e-9))
    idx = np.arange(len(case.steps))
    if noise.kind != "t":
        gap = whiten(case, idx, truth - null)
        d = float(math.sqrt(gap @ gap))
        stat = float(whiten(case, idx, logs - null) @ gap) / max(d, 1e-12)
        for alpha in ALPHAS:
            z = _quantile(1 - alpha)
            case.oracle[f"shape {alpha:.1%}"] = stat > z
            case.power[f"shape {alpha:.1%}"] = _phi(d - z)
        return
    scale = noise.sd * T_SCALE

    def ratio(y: np.ndarray) -> np.ndarray:
        return t_loglik(y - truth, scale) - t_loglik(y - null, scale)

    rng = np.random.default_rng(seed)
    under_null = ratio(null + _log_noise(case, rng, draws))
    observed = float(ratio(logs[None, :])[0])
    under_alt = ratio(truth + _log_noise(case, rng, draws))
    for alpha in ALPHAS:
        limit = float(np.quantile(under_null, 1 - alpha))
        case.oracle[f"shape {alpha:.1%}"] = observed > limit
        case.power[f"shape {alpha:.1%}"] = float(np.mean(under_alt > limit))


# -- CL401 itself on the same runs ------------------------------------------------------------


def check_with_rule(groups: list[list[RunSpec]], cases: dict[str, Case]) -> None:
    """Write and check the groups holding ``cases`` with the benchmark's own pipeline; record
    CL401's outcome and make sure the evals it loaded are the ones the oracles saw."""
    from accuracy.score import check_groups

    wanted = [g for g in groups if any(r.name in cases for r in g)]
    with tempfile.TemporaryDirectory(prefix="coordlint-oracle-") as tmp:
        checked, _ = check_groups(wanted, Path(tmp))
    for checked_run in checked:
        case = cases.get(checked_run.spec.name)
        if case is None:
            continue
        steps, values = checked_run.values[TAG]
        if not (np.array_equal(steps, case.steps) and np.array_equal(values, case.values)):
            raise SystemExit(f"{case.spec.name}: loaded evals differ from the rebuilt ones")
        verdict = checked_run.verdicts["CL401"]
        case.rule = verdict.outcome
        noise = [f.data["noise"] for f in verdict.findings if "noise" in f.data]
        case.rule_noise = float(noise[0]) if noise else None


# -- scores ------------------------------------------------------------------------------------


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def bootstrap_mean(x: np.ndarray, rng: np.random.Generator, b: int = 4000) -> tuple[float, float]:
    if len(x) == 0:
        return (float("nan"), float("nan"))
    means = x[rng.integers(0, len(x), (b, len(x)))].mean(axis=1)
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def _rate(k: int, n: int) -> str:
    lo, hi = wilson(k, n)
    return f"{k / n:.2f} [{lo:.2f}, {hi:.2f}] ({k}/{n})" if n else "—"


def _precision(tp: int, fp: int) -> str:
    return f"{tp / (tp + fp):.2f}" if tp + fp else "—"


def report(cases: list[Case], detectors: list[str], with_rule: bool) -> str:
    rng = np.random.default_rng(0)
    lines = []
    for name, min_evals, max_noise in SLICES:
        inside = [
            x for x in cases if len(x.steps) >= min_evals and x.spec.noise.sd <= max_noise + 1e-12
        ]
        pos = [x for x in inside if x.label == lb.POS]
        healthy = [x for x in inside if x.healthy and x.label == lb.NEG]
        neg = [x for x in inside if x.label == lb.NEG]
        lines += [
            f"### {name}: {len(pos)} positives, {len(healthy)} healthy runs, {len(neg)} negatives",
            "",
            "| detector | recall on the benchmark's draws [95% CI] | expected recall [95% CI] "
            "| healthy FP (expected) | FP on all negatives (precision) |",
            "|---|---|---|---|---|",
        ]
        if with_rule:
            tp = sum(x.rule == "fire" for x in pos)
            fp_h = sum(x.rule == "fire" for x in healthy)
            fp_n = sum(x.rule == "fire" for x in neg)
            lines.append(
                f"| CL401 | {_rate(tp, len(pos))} | — | {fp_h}/{len(healthy)} "
                f"| {fp_n}/{len(neg)} ({_precision(tp, fp_n)}) |"
            )
        for det in detectors:
            tp = sum(x.oracle[det] for x in pos)
            power = np.array([x.power[det] for x in pos])
            lo, hi = bootstrap_mean(power, rng)
            if det.startswith("shape"):  # a bound per positive: no one detector to run on others
                fp = "— | —"
            else:
                fp_h = sum(x.oracle[det] for x in healthy)
                expected = np.mean([x.power[det] for x in healthy]) if healthy else float("nan")
                fp_n = sum(x.oracle[det] for x in neg)
                fp = (
                    f"{fp_h}/{len(healthy)} ({expected:.2%}) "
                    f"| {fp_n}/{len(neg)} ({_precision(tp, fp_n)})"
                )
            lines.append(
                f"| {det} | {_rate(tp, len(pos))} | {power.mean():.3f} [{lo:.3f}, {hi:.3f}] "
                f"| {fp} |"
            )
        if with_rule:
            lines += ["", _noise_line(pos)]
        lines += ["", "recall by noise type and case (CL401: on the benchmark's draws; oracles:"]
        lines += ["expected):", ""]
        lines.append("| detector | " + " | ".join(_groups_header(pos)) + " |")
        lines.append("|---" * (1 + len(_groups_header(pos))) + "|")
        for det in [*(["CL401"] if with_rule else []), *detectors]:
            cells = []
            for _, members in _groups(pos):
                if det == "CL401":
                    cells.append(f"{np.mean([m.rule == 'fire' for m in members]):.2f}")
                else:
                    cells.append(f"{np.mean([m.power[det] for m in members]):.2f}")
            lines.append(f"| {det} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _noise_line(pos: list[Case]) -> str:
    """How CL401's own noise estimate compares with the true sd, on the positives it judged."""
    parts = []
    for outcome in ("fire", "info"):
        ratios = [
            x.rule_noise / x.spec.noise.sd
            for x in pos
            if x.rule == outcome and x.rule_noise is not None
        ]
        if ratios:
            q1, q2, q3 = np.quantile(ratios, [0.25, 0.5, 0.75])
            parts.append(
                f"{outcome} ({len(ratios)}): median {q2:.2f} (quartiles {q1:.2f}-{q3:.2f})"
            )
    silent = sum(x.rule == "silent" for x in pos)
    return (
        "CL401's estimated eval noise / the true sd, on the positives, by its outcome: "
        + "; ".join(parts)
        + f"; silent: {silent}"
    )


def _groups(pos: list[Case]) -> list[tuple[str, list[Case]]]:
    out = []
    for kind in ("gauss", "t", "ar1"):
        out.append((kind, [x for x in pos if x.spec.noise.kind == kind]))
    for case in ("falling", "rising"):
        out.append((case, [x for x in pos if x.spec.case == case]))
    return [(name, members) for name, members in out if members]


def _groups_header(pos: list[Case]) -> list[str]:
    return [f"{name} ({len(members)})" for name, members in _groups(pos)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-4", help="seeds, e.g. 0-4 or 0,2")
    parser.add_argument("--runs", type=int, default=1000, help="about this many runs per seed")
    parser.add_argument("--draws", type=int, default=4000, help="Monte Carlo draws per t run")
    parser.add_argument("--no-rule", action="store_true", help="skip CL401 on the same runs")
    args = parser.parse_args(argv)
    seeds = parse_seeds(args.seeds)

    started = time.perf_counter()
    cases: list[Case] = []
    trends = {"quarter": quarter_line, "half": half_quadratic}
    names = (*trends, "half+floor", "half-sigma", "shape")
    detectors = [f"{name} {a:.1%}" for name in names for a in ALPHAS]
    for seed in seeds:
        groups = generate(args.runs, seed)
        chosen: dict[str, Case] = {}
        for spec in (r for g in groups for r in g):
            label = spec.labels["CL401"]
            if len(spec.steps) < SLICES[0][1] or spec.noise.sd > SLICES[0][2]:
                continue
            if label == lb.EITHER:
                continue
            chosen[spec.name] = case = build_case(spec)
            for name, make in trends.items():
                run_trend(case, name, make, args.draws, spec.seed)
            run_trend(case, "half+floor", half_quadratic, args.draws, spec.seed, REL_TOL)
            run_studentized(case, "half-sigma", args.draws, spec.seed)
            if label == lb.POS:  # a bound per positive, against its closest healthy curve
                run_shape(case, args.draws, spec.seed)
        if not args.no_rule:
            check_with_rule(groups, chosen)
        cases += chosen.values()
        print(f"seed {seed}: {len(chosen)} runs in the slice", file=sys.stderr)
    print(
        f"# CL401 oracles: seeds {args.seeds}, about {args.runs} runs each, "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    print(report(cases, detectors, not args.no_rule))
    return 0


def parse_seeds(text: str) -> list[int]:
    """``0-4`` or ``0,3,5-9`` as a list of seeds."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds += list(range(int(lo), int(hi or lo) + 1))
    return seeds


if __name__ == "__main__":
    raise SystemExit(main())
