"""Families of labelled synthetic runs: each rule's positives, negatives and near-threshold cases,
healthy runs, and the nuisance variation every family shares.

A run starts healthy (``_healthy``): a soft-CE diagnostic that decays and stays flat, a bin MAE
that has converged, coord-vocab mass confined before step 170 and held above 0.993, a flip rate
well under 1e-3, a decode metric, consistent config; 30% of the healthy family are fine-tunes,
whose bin MAE is flat from the first eval. A family then changes the one aspect its rule is
about. Every run also draws the nuisances independently: run length 500-5,000 steps and eval
interval 20-200 (log-uniform), eval noise 0.2-3% (log-uniform) as Gaussian, Student-t or AR(1)
noise, the float32 encoding its values are written in, a resume that rewrites steps (12%), a
missing tag its family does not need (10%), and a config file (70%).

Every label of every run is then computed from its noise-free curves by ``labels.py``: the
family only shapes the curves, it does not decide the labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import curves as c
from . import labels as lb
from .curves import Curve, Noise

ENCODINGS = ("simple_value", "tensor_content", "float_val")
DECODE_TAGS = ("eval/bench/mAP", "eval/rollout/f1", "eval/detection/AP50")
OPTIONAL_TAGS = ("loss", "text_token_acc", "flip")
CODES = (
    "CL101",
    "CL201",
    "CL301",
    "CL302",
    "CL303",
    "CL401",
    "CL501",
    "CL502",
    "CL503",
    "CL903",
)
BASE_CONFIG = {
    "coord_soft_ce_w1.enabled": True,
    "coord_soft_ce_w1.ce_weight": 1.0,
    "coord_soft_ce_w1.soft_ce_weight": 1.0,
    "coord_soft_ce_w1.w1_weight": 0.5,
    "coord_soft_ce_w1.gate_weight": 0.9,
    "coord_soft_ce_w1.temperature": 1.0,
    "coord_soft_ce_w1.target_sigma": 2.0,
    "coord_soft_ce_w1.target_truncate": 8,
}
TARGET_KEYS = (
    "coord_soft_ce_w1.temperature",
    "coord_soft_ce_w1.target_sigma",
    "coord_soft_ce_w1.target_truncate",
)
WEIGHT_KEYS = (
    "coord_soft_ce_w1.ce_weight",
    "coord_soft_ce_w1.soft_ce_weight",
    "coord_soft_ce_w1.w1_weight",
    "coord_soft_ce_w1.gate_weight",
)


@dataclass
class RunSpec:
    """One synthetic run: what is written, and what an expert says about it."""

    name: str
    family: str
    case: str
    group: str
    length: int
    interval: int
    noise: Noise
    encoding: str
    mode: str  # "mixed" | "soft_only" | "pure_ce": what the logs show
    curves: dict[str, Curve]  # metric -> noise-free curve
    seed: int
    config: dict[str, object] | None = None
    config_mode: str | None = None  # the mode the config says (differs only when mismatched)
    token_types: bool = False
    decode_tag: str | None = DECODE_TAGS[0]
    resume: tuple[float, int] | None = None  # (where in the run, evals the first attempt ran on)
    missing: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    facts: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def steps(self) -> np.ndarray:
        """The eval steps: every ``interval`` steps, and once at the end."""
        grid = np.arange(self.interval, self.length + 1, self.interval)
        if grid[-1] != self.length:
            grid = np.append(grid, self.length)
        return grid

    @property
    def resume_steps(self) -> tuple[int, int] | None:
        """(the eval step the run resumed from, the first attempt's last eval step), or None."""
        grid = self.steps
        if self.resume is None or len(grid) < 4:
            return None
        where, extra = self.resume
        i = min(len(grid) - 3, max(1, round(where * len(grid))))
        return int(grid[i]), int(grid[min(len(grid) - 1, i + extra)])

    @property
    def counts_coord_tokens(self) -> bool:
        """Whether its text_token_acc counts coord tokens (pure CE, no token types)."""
        return self.mode == "pure_ce" and not self.token_types


def _loguniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _noise(rng: np.random.Generator) -> Noise:
    kind = str(rng.choice(["gauss", "t", "ar1"]))
    phi = float(rng.uniform(0.5, 0.85)) if kind == "ar1" else 0.0
    return Noise(kind, _loguniform(rng, 0.002, 0.03), phi)


def _healthy(rng: np.random.Generator, name: str, family: str, group: str, seed: int) -> RunSpec:
    length = round(_loguniform(rng, 500, 5000))
    interval = round(_loguniform(rng, 20, 200))
    level = rng.uniform(3.3, 4.6)
    tau = max(20.0, rng.uniform(0.03, 0.1) * length)
    drift = rng.uniform(-0.015, 0.015)
    mae_final = rng.uniform(19.0, 23.0)
    reach = rng.uniform(60, 165)
    curves: dict[str, Curve] = {
        "soft_ce": c.soft_ce(
            rng.uniform(5.5, 8.5), level, tau, drift, c.ramp(0.3 * length, length, "linear")
        ),
        "ce": c.decay(rng.uniform(5.5, 7.0), rng.uniform(3.0, 3.6), tau),
        "expected_bin_mae": c.mae_approach(
            rng.uniform(120, 150), mae_final, length / rng.uniform(12, 25)
        ),
        "coord_vocab_mass": c.logistic_mass(
            rng.uniform(0.04, 0.4), reach, rng.uniform(0.994, 0.9995)
        ),
        "flip": c.exp_level(_loguniform(rng, 1e-6, 3e-4), 0.05, reach / 3),
        "text_token_acc": c.decay(0.6, rng.uniform(0.83, 0.87), tau),
        "loss": c.decay(2.7, rng.uniform(1.0, 1.4), tau),
    }
    spec = RunSpec(
        name=name,
        family=family,
        case="healthy",
        group=group,
        length=length,
        interval=interval,
        noise=_noise(rng),
        encoding=str(rng.choice(ENCODINGS, p=[0.5, 0.25, 0.25])),
        mode="mixed",
        curves=curves,
        seed=seed,
        decode_tag=str(rng.choice(DECODE_TAGS)),
    )
    if rng.random() < 0.7:
        spec.config = dict(BASE_CONFIG)
    if rng.random() < 0.12:
        spec.resume = (float(rng.uniform(0.1, 0.9)), int(rng.integers(1, 6)))
    if rng.random() < 0.10:
        spec.missing = (str(rng.choice(OPTIONAL_TAGS)),)
    return spec


def _set_mode(spec: RunSpec, mode: str, config_mode: str | None = None) -> None:
    spec.mode = mode
    spec.config_mode = config_mode or mode
    if spec.config is not None:
        spec.config["coord_soft_ce_w1.enabled"] = spec.config_mode != "pure_ce"
        spec.config["coord_soft_ce_w1.ce_weight"] = 1.0 if spec.config_mode == "mixed" else 0.0
    if mode == "pure_ce":
        level = float(spec.curves["text_token_acc"](np.array([1e9]))[0])
        if not spec.token_types:
            spec.curves["text_token_acc"] = c.decay(0.35, level - 0.29, spec.length * 0.05)


# -- families -----------------------------------------------------------------------------------

Builder = Callable[[np.random.Generator, Callable[[str], RunSpec]], list[RunSpec]]


FINE_TUNE_SHARE = 0.3  # of healthy runs: bin MAE flat from the first eval


def _fine_tune(r: RunSpec) -> None:
    """A fine-tune from a converged checkpoint (or a resumed run checked alone): its bin MAE is
    at its final level from the first eval, with no early descent to hide the eval noise in.
    Drawn from the run's own seed, so the other runs' draws stay as they were."""
    if np.random.default_rng([r.seed, 401]).random() >= FINE_TUNE_SHARE:
        return
    level = float(r.curves["expected_bin_mae"](np.array([float(r.length)]))[0])
    r.curves["expected_bin_mae"] = lambda t: np.full(np.shape(t), level)
    r.case = "fine-tune"


def healthy(rng, new) -> list[RunSpec]:
    """2-3 healthy runs of one sweep: same mode and config; some are fine-tunes."""
    runs = [new("healthy") for _ in range(int(rng.integers(2, 4)))]
    mode = "pure_ce" if rng.random() < 0.25 else "mixed"
    token_types = bool(rng.random() < 0.5)
    for r in runs:
        r.token_types = token_types
        r.config = dict(BASE_CONFIG) if runs[0].config is not None else None
        if r.config is not None:
            r.config["token_type_metrics.enabled"] = token_types
        _set_mode(r, mode)
        _fine_tune(r)
    return runs


def rebound(rng, new) -> list[RunSpec]:
    """CL201: soft-CE that rebounds, recovers, drifts, or rises without improving first."""
    r = new("rebound")
    if rng.random() < 0.5:
        _set_mode(r, "pure_ce")
    length = r.length
    level = rng.uniform(3.4, 4.6)
    start = rng.uniform(5.5, 8.5)
    tau = max(20.0, rng.uniform(0.02, 0.07) * length)
    case = str(
        rng.choice(
            ["rebound", "coarse-start", "recovering", "drift", "rising-from-start", "last-eval"],
            p=[0.55, 0.15, 0.1, 0.08, 0.04, 0.08],
        )
    )
    shape = str(rng.choice(["linear", "saturating", "accelerating"]))
    if case == "rebound":
        rise = _loguniform(rng, 0.04, 0.3)
        ramp = c.ramp(rng.uniform(0.1, 0.5) * length, length, shape)
        r.curves["soft_ce"] = c.soft_ce(start, level, tau, rise, ramp)
    elif case == "coarse-start":
        r.interval = int(rng.integers(120, 201))
        r.length = length = max(length, 8 * r.interval)
        rise = _loguniform(rng, 0.05, 0.3)
        ramp = c.ramp(2 * r.interval, length, shape)
        # One eval on the way down: the curve is well above its level at the first eval only.
        tau = r.interval * rng.uniform(0.4, 0.7)
        r.curves["soft_ce"] = c.soft_ce(start, level, tau, rise, ramp)
    elif case == "recovering":
        bump = c.bump(rng.uniform(0.3, 0.55) * length, rng.uniform(0.1, 0.2) * length)
        r.curves["soft_ce"] = c.soft_ce(start, level, tau, rng.uniform(0.08, 0.2), bump)
    elif case == "drift":
        ramp = c.ramp(0.2 * length, length, "linear")
        r.curves["soft_ce"] = c.soft_ce(start, level, tau, rng.uniform(-0.03, 0.03), ramp)
    elif case == "rising-from-start":
        ramp = c.ramp(0.0, length, shape)
        r.curves["soft_ce"] = c.soft_ce(level, level, tau, _loguniform(rng, 0.05, 0.3), ramp)
    else:  # a single high last eval
        bump = c.bump(length, 0.6 * r.interval)
        r.curves["soft_ce"] = c.soft_ce(start, level, tau, rng.uniform(0.1, 0.3), bump)
    r.case = case
    return [r]


def late_confinement(rng, new) -> list[RunSpec]:
    """CL301: coord-vocab mass reaching 0.99 at various steps, or never."""
    r = new("confinement")
    r.length = max(r.length, 600)
    m0 = rng.uniform(0.03, 0.4)
    if rng.random() < 0.2:
        r.case = "never"
        ceiling = rng.uniform(0.95, 0.989)
        r.curves["coord_vocab_mass"] = c.logistic_mass(m0, rng.uniform(100, 600), ceiling, ceiling)
    else:
        r.case = "reach"
        reach = min(_loguniform(rng, 60, 1500), 0.8 * r.length)
        r.curves["coord_vocab_mass"] = c.logistic_mass(m0, reach, rng.uniform(0.993, 0.9995))
    return [r]


def lost_confinement(rng, new) -> list[RunSpec]:
    """CL303: mass that confines, then loses it for good, dips once, or hovers near 0.99."""
    r = new("lost")
    length = r.length
    ceiling = rng.uniform(0.994, 0.9995)
    mass = c.logistic_mass(rng.uniform(0.04, 0.4), rng.uniform(60, 165), ceiling)
    case = str(rng.choice(["lost", "dip", "hover"], p=[0.6, 0.25, 0.15]))
    if case == "lost":
        final = rng.uniform(0.955, 0.992)
        at = rng.uniform(0.3, 0.8) * length
        shape = str(rng.choice(["linear", "saturating"]))
        ramp = c.ramp(at, at + rng.uniform(0.02, 0.15) * length, shape)
        gain = (1 - final) / (1 - ceiling) - 1
        r.curves["coord_vocab_mass"] = c.with_deficit_change(mass, lambda t: 1 + gain * ramp(t))
    elif case == "dip":
        low = rng.uniform(0.96, 0.985)
        width = rng.uniform(0.5, 2.0) * r.interval
        # After confinement shows in the logs: a dip over the first evals would look like a
        # late confinement, not a dip.
        at = max(rng.uniform(0.3, 0.8) * length, 200 + 2 * r.interval + width)
        bump = c.bump(at, width)
        gain = (1 - low) / (1 - ceiling) - 1
        r.curves["coord_vocab_mass"] = c.with_deficit_change(mass, lambda t: 1 + gain * bump(t))
    else:
        r.curves["coord_vocab_mass"] = c.logistic_mass(
            rng.uniform(0.04, 0.4), rng.uniform(60, 165), rng.uniform(0.9905, 0.996)
        )
    r.case = case
    return [r]


def convergence(rng, new) -> list[RunSpec]:
    """CL401: bin MAE still falling (or rising) over the last quarter by various amounts."""
    r = new("convergence")
    length = r.length
    band = rng.random()
    if band < 0.5:
        change = _loguniform(rng, 0.04, 0.15)
    elif band < 0.7:
        change = _loguniform(rng, 0.01, 0.04)
    else:
        change = _loguniform(rng, 0.001, 0.01)
    start, final = rng.uniform(120, 150), rng.uniform(19, 23)
    if rng.random() < 0.8:
        r.case = "falling"
        tau = c.solve_tau_for_change(start, final, length, change)
        r.curves["expected_bin_mae"] = c.mae_approach(start, final, tau)
    else:
        r.case = "rising"
        base = c.mae_approach(start, final, length / rng.uniform(12, 25))
        shape = str(rng.choice(["linear", "accelerating"]))
        ramp = c.ramp(rng.uniform(0.4, 0.65) * length, length, shape)
        r0, r1 = ramp(np.array([0.75 * length, float(length)]))
        amplitude = change * final / ((r1 - r0) - change * r1)
        r.curves["expected_bin_mae"] = lambda t: base(t) + amplitude * ramp(t)
    return [r]


def leakage(rng, new) -> list[RunSpec]:
    """CL302: flip rates ending anywhere from 1e-4 to 1e-2."""
    r = new("leakage")
    r.case = "flip"
    r.curves["flip"] = c.exp_level(_loguniform(rng, 1e-4, 1e-2), 0.05, 60)
    r.missing = tuple(t for t in r.missing if t != "flip")
    return [r]


def objective(rng, new) -> list[RunSpec]:
    """CL101: soft-only, pure-CE, mixed, and config from another attempt."""
    r = new("objective")
    if r.config is None:
        r.config = dict(BASE_CONFIG)
    case = str(rng.choice(["soft_only", "pure_ce", "mixed", "mismatch"], p=[0.4, 0.2, 0.2, 0.2]))
    if case == "mismatch":
        logs, config = [str(m) for m in rng.permutation(["mixed", "soft_only", "pure_ce"])[:2]]
        _set_mode(r, logs, config)
    else:
        _set_mode(r, case)
    r.case = case
    return [r]


def text_acc(rng, new) -> list[RunSpec]:
    """CL501: a sweep mixing pure-CE runs (counting coord tokens, or not) with soft-CE runs."""
    runs = [new("text_acc") for _ in range(int(rng.integers(2, 4)))]
    modes = [str(rng.choice(["pure_ce", "mixed", "soft_only"], p=[0.5, 0.3, 0.2])) for _ in runs]
    for r, mode in zip(runs, modes, strict=True):
        r.token_types = bool(mode == "pure_ce" and rng.random() < 0.3)
        if r.token_types:
            r.config = dict(BASE_CONFIG)
            r.config["token_type_metrics.enabled"] = True
        _set_mode(r, mode)
        r.missing = tuple(t for t in r.missing if t != "text_token_acc")
        r.case = mode + ("+token_types" if r.token_types else "")
    return runs


def config_mismatch(rng, new) -> list[RunSpec]:
    """CL502: a sweep whose soft-CE settings differ, or are equal up to float32 rounding."""
    runs = [new("config") for _ in range(int(rng.integers(2, 5)))]
    cases = ["target", "weight", "float32", "pure_weights"]
    case = str(rng.choice(cases, p=[0.3, 0.3, 0.25, 0.15]))
    for r in runs:
        r.config = dict(BASE_CONFIG)
    odd = runs[int(rng.integers(len(runs)))]
    if case == "target":
        key = str(rng.choice(TARGET_KEYS))
        odd.config[key] = {"temperature": 0.5, "target_sigma": 1.0, "target_truncate": 4}[
            key.rpartition(".")[2]
        ]
    elif case == "weight":
        key = str(rng.choice(WEIGHT_KEYS))
        odd.config[key] = float(BASE_CONFIG[key]) * float(rng.choice([0.5, 2.0]))
    elif case == "float32":
        # Written through float32 by one run's tooling: 0.9 -> 0.8999999761581421.
        for key in (*TARGET_KEYS, *WEIGHT_KEYS):
            odd.config[key] = float(np.float32(odd.config[key]))
    else:  # a pure-CE run whose (unused) weights differ: not compared
        _set_mode(odd, "pure_ce")
        odd.config["coord_soft_ce_w1.soft_ce_weight"] = 0.0
        odd.config["coord_soft_ce_w1.w1_weight"] = 0.0
    for r in runs:
        r.case = case
    return runs


def decode_metric(rng, new) -> list[RunSpec]:
    """CL503: runs with no decode-based metric, or one under any of the usual names."""
    r = new("decode")
    r.case = "absent" if rng.random() < 0.6 else "present"
    if r.case == "absent":
        r.decode_tag = None
    return [r]


#: (builder, share of the runs)
FAMILIES: dict[str, tuple[Builder, float]] = {
    "healthy": (healthy, 0.20),
    "rebound": (rebound, 0.20),
    "confinement": (late_confinement, 0.10),
    "lost": (lost_confinement, 0.12),
    "convergence": (convergence, 0.18),
    "leakage": (leakage, 0.04),
    "objective": (objective, 0.04),
    "text_acc": (text_acc, 0.05),
    "config": (config_mismatch, 0.05),
    "decode": (decode_metric, 0.02),
}


# -- labels ------------------------------------------------------------------------------------


def _label_run(r: RunSpec) -> None:
    steps = r.steps
    at = {k: f(steps.astype(float)) for k, f in r.curves.items()}
    r.labels["CL201"], r.facts["CL201"] = lb.soft_ce_rebound(at["soft_ce"], steps)
    mass = r.curves["coord_vocab_mass"]
    r.labels["CL301"], r.facts["CL301"] = lb.slow_confinement(mass, steps, r.length)
    r.labels["CL303"], r.facts["CL303"] = lb.confinement_lost(mass, steps, r.length)
    r.labels["CL302"] = lb.NEG if "flip" in r.missing else lb.coord_leakage(float(at["flip"][-1]))
    r.labels["CL401"], r.facts["CL401"] = lb.bin_mae_not_converged(
        r.curves["expected_bin_mae"], r.length
    )
    mismatch = r.config is not None and r.config_mode is not None and r.config_mode != r.mode
    r.labels["CL101"] = lb.POS if r.mode == "soft_only" or mismatch else lb.NEG
    r.labels["CL503"] = lb.POS if r.decode_tag is None else lb.NEG
    r.labels["CL903"] = lb.POS if r.resume_steps is not None else lb.NEG


def _label_group(runs: list[RunSpec]) -> None:
    logging = [r for r in runs if "text_token_acc" not in r.missing]
    clean = [r for r in logging if not r.counts_coord_tokens]
    for r in runs:
        counted = r in logging and r.counts_coord_tokens
        r.labels["CL501"] = lb.POS if counted and clean else lb.NEG
    compared = [r for r in runs if r.config is not None]
    flagged: set[str] = set()
    if len(compared) >= 2:
        trained = [r for r in compared if r.config.get("coord_soft_ce_w1.enabled") is not False]
        for keys, members in ((TARGET_KEYS, compared), (WEIGHT_KEYS, trained)):
            for key in keys:
                known = [(r.name, r.config[key]) for r in members if key in r.config]
                flagged |= lb.odd_ones_out(known)
    for r in runs:
        r.labels["CL502"] = lb.POS if r.name in flagged else lb.NEG


def generate(total: int, seed: int) -> list[list[RunSpec]]:
    """About ``total`` labelled runs in groups (a group is checked together, like a sweep)."""
    rng = np.random.default_rng(seed)
    groups: list[list[RunSpec]] = []
    counter = iter(range(10**9))
    shares = {name: share for name, (_, share) in FAMILIES.items()}
    target = {name: share * total for name, share in shares.items()}
    made = dict.fromkeys(FAMILIES, 0)
    while sum(made.values()) < total:
        # The family furthest behind its share goes next, so the mix holds at any total.
        family = min(FAMILIES, key=lambda f: (made[f] / target[f] if target[f] else 1.0, f))
        group = f"g{len(groups):04d}"

        def new(fam: str, group: str = group) -> RunSpec:
            i = next(counter)
            run_seed = int(rng.integers(2**32))
            return _healthy(np.random.default_rng(run_seed), f"r{i:05d}", fam, group, run_seed)

        builder = FAMILIES[family][0]
        runs = builder(np.random.default_rng(int(rng.integers(2**32))), new)
        for r in runs:
            _label_run(r)
        _label_group(runs)
        groups.append(runs)
        made[family] += len(runs)
    return groups
