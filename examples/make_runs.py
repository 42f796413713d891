"""Write coordlint's three bundled example runs as TensorBoard event files.

The runs reproduce the scalar curves of a stage-1 analysis note comparing three 4B
coordinate-token detectors: ``soft_ce_only`` (soft-target CE + W1 + gate, no hard CE on coord
tokens), ``pure_ce_only`` (plain CE only, so no ``coord_softce_w1`` block) and
``soft_ce_hard_ce_mixed`` (hard CE on coord tokens on top of soft CE + W1 + gate). The last
eval of every run equals the note's end-of-training table, and the note's quoted curve points
(``coord_diag/soft_ce`` of the pure-CE run, ``coord_vocab_mass`` at steps 40 and 200) are
written exactly; everything else is a smooth curve plus deterministic noise.

Tags are spelled as HuggingFace's TensorBoard callback writes them (``train/loss``,
``eval/loss``, ``eval/coord_diag/soft_ce`` ...), each point as a ``simple_value`` scalar the
way PyTorch's ``SummaryWriter.add_scalar`` does. Records are framed by TensorBoard's own
``RecordWriter``, the first being the ``brain.Event:2`` file-version event, and the file name,
wall times and noise are fixed, so the output is byte-identical on every invocation::

    python examples/make_runs.py [--out DIR]   # default: examples/runs next to this script
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

EVAL_EVERY = 40
LOG_EVERY = 10
HOST = "coordlint-example"
# Number of coord-token positions in the (fictional) eval split: flip rates are counts over it.
COORD_POSITIONS = 11788

# The note's section-2 table: the value of each column at the last eval of each run.
# ``ce``/``soft_ce``/``w1``/``gate`` come from ``eval/coord_softce_w1/*`` where that block is
# logged (and ``eval/coord_diag/*`` mirrors them); the others are ``eval/coord_diag/*`` and
# ``eval/coord_monitor/flip_coord_to_noncoord``.
FINAL = {
    "soft_ce_only": {
        "ce": 0.0,
        "soft_ce": 3.5260,
        "w1": 0.0803,
        "gate": 0.0026,
        "p_gt_mean": 0.0655,
        "acc_top5": 0.4085,
        "expected_bin_mae": 20.8764,
        "coord_vocab_mass": 0.9995,
        "margin_mean": 0.8338,
        "flip": 0.0,
    },
    "pure_ce_only": {
        "soft_ce": 4.8058,
        "w1": 0.0881,
        "gate": 0.0066,
        "p_gt_mean": 0.1234,
        "acc_top5": 0.5448,
        "expected_bin_mae": 20.9029,
        "coord_vocab_mass": 0.9988,
        "margin_mean": 1.0985,
        "flip": 0.0,
    },
    "soft_ce_hard_ce_mixed": {
        "ce": 3.4371,
        "soft_ce": 3.6293,
        "w1": 0.0296,
        "gate": 0.0029,
        "p_gt_mean": 0.0930,
        "acc_top5": 0.4782,
        "expected_bin_mae": 21.3715,
        "coord_vocab_mass": 0.9987,
        "margin_mean": 1.1014,
        "flip": 8.4831e-05,
    },
}

# Section 3.2: pure_ce_only's eval/coord_diag/soft_ce at quoted steps (the final is FINAL's).
PURE_SOFT_CE_POINTS = {40: 8.19, 200: 4.21, 400: 4.19, 800: 4.56, 1200: 4.72, 1600: 4.81}
# Section 3.3: eval/coord_diag/coord_vocab_mass at steps 40 and 200.
VOCAB_MASS_POINTS = {
    "soft_ce_only": {40: 0.34, 200: 0.9985},
    "pure_ce_only": {40: 0.0565, 200: 0.9916},
    "soft_ce_hard_ce_mixed": {40: 0.192, 200: 0.9959},
}


@dataclass(frozen=True)
class Spec:
    """What differs between the three runs besides their final values."""

    name: str
    seed: int
    start_time: int  # the wall time of the file-version event, and the file name's timestamp
    max_train_step: int  # last train log (every LOG_EVERY steps)
    max_eval_step: int  # the last step: evals every EVAL_EVERY steps, and once at the end
    softce_block: bool  # logs coord_softce_w1/* (the soft-CE + W1 + gate loss is on)
    sec_per_step: float
    eval_runtime: float
    epochs: int
    peak_lr: float
    # Values at step 40 of the curves that only have a final anchor.
    start: dict[str, float] = field(default_factory=dict)
    # Plateaus of curves that are not in the table.
    eval_loss: float = 1.0
    token_acc: float = 0.55
    text_token_acc: float = 0.85


SPECS = [
    Spec(
        name="soft_ce_only",
        seed=1771479835,
        start_time=1771479835,
        max_train_step=1830,
        max_eval_step=1832,
        softce_block=True,
        sec_per_step=6.84,
        eval_runtime=94.6,
        epochs=4,
        peak_lr=2e-5,
        start={
            "soft_ce": 5.62,
            "w1": 0.341,
            "p_gt_mean": 0.0071,
            "acc_top5": 0.061,
            "expected_bin_mae": 143.2,
            "margin_mean": 0.108,
            "eval_loss": 2.71,
        },
        eval_loss=1.384,
        token_acc=0.532,
        text_token_acc=0.851,
    ),
    Spec(
        name="pure_ce_only",
        seed=1771838172,
        start_time=1771838172,
        max_train_step=1930,
        max_eval_step=1932,
        softce_block=False,
        sec_per_step=6.52,
        eval_runtime=91.8,
        epochs=4,
        peak_lr=2e-5,
        start={
            "w1": 0.412,
            "p_gt_mean": 0.0052,
            "acc_top5": 0.048,
            "expected_bin_mae": 211.5,
            "margin_mean": 0.061,
            "eval_loss": 3.05,
        },
        eval_loss=1.471,
        token_acc=0.561,
        text_token_acc=0.556,
    ),
    Spec(
        name="soft_ce_hard_ce_mixed",
        seed=1772025838,
        start_time=1772025838,
        max_train_step=1340,
        max_eval_step=1344,
        softce_block=True,
        sec_per_step=7.31,
        eval_runtime=97.3,
        epochs=4,
        peak_lr=2e-5,
        start={
            "ce": 7.38,
            "soft_ce": 6.07,
            "w1": 0.297,
            "p_gt_mean": 0.0064,
            "acc_top5": 0.057,
            "expected_bin_mae": 168.4,
            "margin_mean": 0.094,
            "eval_loss": 3.32,
        },
        eval_loss=1.912,
        token_acc=0.547,
        text_token_acc=0.862,
    ),
]


# -- curves ---------------------------------------------------------------------------------


def approach(steps: np.ndarray, at40: float, final: float, tau: float) -> np.ndarray:
    """An exponential approach from ``at40`` (at step 40) towards ``final``."""
    return final + (at40 - final) * np.exp(-(steps - 40.0) / tau)


def jitter(rng: np.random.Generator, base: np.ndarray, rel_sd: float) -> np.ndarray:
    """``base`` with multiplicative Gaussian noise of relative size ``rel_sd``."""
    return base * (1.0 + rel_sd * rng.standard_normal(len(base)))


def pin(steps: np.ndarray, values: np.ndarray, points: dict[int, float]) -> np.ndarray:
    """Overwrite the values at ``points``'s steps with its exact values."""
    out = values.copy()
    for step, value in points.items():
        (index,) = np.flatnonzero(steps == step)
        out[index] = value
    return out


def logit(p: float | np.ndarray) -> float | np.ndarray:
    return np.log(p) - np.log1p(-p)


def vocab_mass(rng: np.random.Generator, steps: np.ndarray, name: str) -> np.ndarray:
    """Coord-vocab mass: logit-linear rise from step 40 to 200, then ≥0.99 towards the final."""
    m40, m200 = VOCAB_MASS_POINTS[name][40], VOCAB_MASS_POINTS[name][200]
    final = FINAL[name]["coord_vocab_mass"]
    early = logit(m40) + (logit(m200) - logit(m40)) * (steps - 40.0) / 160.0
    late = logit(final) + (logit(m200) - logit(final)) * np.exp(-(steps - 200.0) / 150.0)
    z = np.where(steps <= 200, early, late) + 0.06 * rng.standard_normal(len(steps))
    mass = 1.0 / (1.0 + np.exp(-z))
    mass = np.where(steps > 200, np.clip(mass, 0.9903, 0.9998), mass)
    return pin(steps, mass, {40: m40, 200: m200, int(steps[-1]): final})


def pure_soft_ce(rng: np.random.Generator, steps: np.ndarray) -> np.ndarray:
    """Section 3.2: improves to a minimum at step 400, then rises >5% above it and stays up."""
    final_step = int(steps[-1])
    anchors = {**PURE_SOFT_CE_POINTS, final_step: FINAL["pure_ce_only"]["soft_ce"]}
    # Extra knots give the first 160 steps an exponential-looking drop.
    knots = {**anchors, 80: 6.02, 120: 5.01, 160: 4.52, 600: 4.41, 1000: 4.65, 1400: 4.77}
    xs = np.array(sorted(knots), dtype=float)
    base = np.interp(steps, xs, [knots[int(x)] for x in xs])
    noise = 0.004 * rng.standard_normal(len(steps))
    # Around the minimum the noise only goes up, so step 400 stays the minimum.
    near_min = (steps > 200) & (steps < 640)
    noise = np.where(near_min, np.abs(noise) + 0.0015, noise)
    return pin(steps, base * (1.0 + noise), anchors)


def flips(rng: np.random.Generator, steps: np.ndarray, at40: float, final: float) -> np.ndarray:
    """Flip rate: a count of coord positions whose argmax left the coord vocab, over all."""
    rate = at40 * np.exp(-(steps - 40.0) / 45.0) + 0.4
    counts = rng.poisson(rate)
    return pin(steps, counts / COORD_POSITIONS, {int(steps[-1]): final})


def eval_curves(spec: Spec, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every eval tag's values at the run's eval steps."""
    last = spec.max_eval_step
    steps = np.array([*range(EVAL_EVERY, last, EVAL_EVERY), last], dtype=np.int64)
    final, start = FINAL[spec.name], spec.start
    n = len(steps)

    def curve(key: str, tau: float, rel_sd: float) -> np.ndarray:
        values = jitter(rng, approach(steps, start[key], final[key], tau), rel_sd)
        return pin(steps, values, {last: final[key]})

    mass = vocab_mass(rng, steps, spec.name)
    m40 = VOCAB_MASS_POINTS[spec.name][40]
    gate_base = approach(steps, -np.log(m40), final["gate"], 38.0)
    gate = pin(steps, jitter(rng, gate_base, 0.03), {last: final["gate"]})
    w1 = curve("w1", 150.0, 0.012)
    if spec.name == "pure_ce_only":
        soft_ce = pure_soft_ce(rng, steps)
    else:
        soft_ce = curve("soft_ce", 95.0, 0.003)

    coord: dict[str, np.ndarray] = {}
    if spec.softce_block:
        ce = curve("ce", 110.0, 0.004) if final["ce"] else np.zeros(n)
        coord = {
            "eval/coord_softce_w1/ce": ce,
            "eval/coord_softce_w1/soft_ce": soft_ce,
            "eval/coord_softce_w1/w1": w1,
            "eval/coord_softce_w1/gate": gate,
        }
    diag = {
        "eval/coord_diag/soft_ce": soft_ce,  # mirrors coord_softce_w1/* where that is on
        "eval/coord_diag/w1": w1,
        "eval/coord_diag/gate": gate,
        "eval/coord_diag/p_gt_mean": curve("p_gt_mean", 230.0, 0.015),
        "eval/coord_diag/acc_top5": curve("acc_top5", 200.0, 0.008),
        "eval/coord_diag/expected_bin_mae": curve("expected_bin_mae", 85.0, 0.003),
        "eval/coord_diag/coord_vocab_mass": mass,
        "eval/coord_diag/margin_mean": curve("margin_mean", 260.0, 0.01),
        "eval/coord_diag/enabled": np.full(n, 1.0 if spec.softce_block else 0.0),
    }
    flip = flips(rng, steps, 200.0 * (1.0 - m40), final["flip"])
    loss = jitter(rng, approach(steps, start["eval_loss"], spec.eval_loss, 120.0), 0.004)
    text_acc = jitter(
        rng, approach(steps, spec.text_token_acc - 0.17, spec.text_token_acc, 140.0), 0.002
    )
    token_acc = jitter(rng, approach(steps, spec.token_acc - 0.21, spec.token_acc, 160.0), 0.002)
    runtime = spec.eval_runtime * (1.0 + 0.012 * rng.standard_normal(n))
    runtime[0] += 14.2  # the first eval pays for compilation and dataloader warm-up
    curves = {
        "eval/loss": loss,
        **coord,
        **diag,
        "eval/coord_monitor/flip_coord_to_noncoord": flip,
        "eval/text_token_acc": text_acc,
        "eval/token_acc": token_acc,
        "eval/runtime": np.round(runtime, 4),
    }
    return steps, curves


def train_curves(
    spec: Spec, rng: np.random.Generator, eval_steps: np.ndarray, evals: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every train tag's values at the run's logging steps (noisier than eval, a bit lower)."""
    steps = np.arange(LOG_EVERY, spec.max_train_step + 1, LOG_EVERY, dtype=np.int64)
    n = len(steps)
    total = spec.max_eval_step
    warmup = max(1, round(0.03 * total))
    progress = np.clip((steps - warmup) / (total - warmup), 0.0, 1.0)
    lr = np.where(
        steps < warmup,
        spec.peak_lr * steps / warmup,
        spec.peak_lr * 0.5 * (1.0 + np.cos(np.pi * progress)),
    )
    epoch = np.round(steps * spec.epochs / total, 4)
    grad_norm = (1.3 + 9.0 * np.exp(-steps / 120.0)) * np.exp(0.18 * rng.standard_normal(n))

    def follow(tag: str, gap: float, rel_sd: float) -> np.ndarray:
        # Interpolate the eval curve (extrapolated below step 40) and add training noise.
        xs = eval_steps.astype(float)
        ys = evals[tag]
        base = np.interp(steps, xs, ys)
        early = steps < xs[0]
        slope = (ys[1] - ys[0]) / (xs[1] - xs[0])
        base[early] = ys[0] + slope * (steps[early] - xs[0]) * 0.5
        return jitter(rng, base * (1.0 - gap), rel_sd)

    curves = {"train/loss": follow("eval/loss", 0.03, 0.04), "train/grad_norm": grad_norm}
    curves["train/learning_rate"] = lr
    if spec.softce_block:
        ce = evals["eval/coord_softce_w1/ce"]
        curves["train/coord_softce_w1/ce"] = (
            follow("eval/coord_softce_w1/ce", 0.012, 0.025) if ce.any() else np.zeros(n)
        )
        curves["train/coord_softce_w1/soft_ce"] = follow("eval/coord_softce_w1/soft_ce", 0.01, 0.02)
        curves["train/coord_softce_w1/w1"] = follow("eval/coord_softce_w1/w1", 0.02, 0.05)
        curves["train/coord_softce_w1/gate"] = follow("eval/coord_softce_w1/gate", 0.0, 0.08)
    curves["train/epoch"] = epoch
    return steps, curves


# -- writing --------------------------------------------------------------------------------

Logs = list[tuple[int, dict[str, float]]]  # (step, {tag: value}) in the order they were logged


def run_logs(spec: Spec) -> tuple[Logs, Callable[[int, bool], float]]:
    """The run's log calls in order (train log before eval at a shared step) and a clock."""
    rng = np.random.default_rng(spec.seed)
    eval_steps, evals = eval_curves(spec, rng)
    train_steps, trains = train_curves(spec, rng, eval_steps, evals)
    step_jitter = 0.03 * rng.standard_normal(spec.max_eval_step + 1)
    step_secs = np.cumsum(spec.sec_per_step * (1.0 + step_jitter))
    runtimes = dict(zip(eval_steps.tolist(), evals["eval/runtime"].tolist(), strict=True))

    def clock(step: int, after_eval: bool) -> float:
        spent = sum(r for s, r in runtimes.items() if s < step or (after_eval and s == step))
        return round(spec.start_time + 11.0 + float(step_secs[step]) + spent, 3)

    logs: Logs = []
    for step in sorted({*train_steps.tolist(), *eval_steps.tolist()}):
        if step in train_steps:
            (i,) = np.flatnonzero(train_steps == step)
            logs.append((step, {tag: float(v[i]) for tag, v in trains.items()}))
        if step in eval_steps:
            (i,) = np.flatnonzero(eval_steps == step)
            logs.append((-step, {tag: float(v[i]) for tag, v in evals.items()}))
    return logs, clock


def scalar_event(tag: str, value: float, step: int, wall_time: float) -> event_pb2.Event:
    """The event ``SummaryWriter.add_scalar`` writes: one ``simple_value`` (a float32)."""
    summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
    return event_pb2.Event(wall_time=wall_time, step=step, summary=summary)


def write_run(spec: Spec, out: Path) -> Path:
    """Write one run into ``out/<name>/`` (replacing it) and return the event file's path."""
    run_dir = out / spec.name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    path = run_dir / f"events.out.tfevents.{spec.start_time}.{HOST}.0"
    logs, clock = run_logs(spec)
    with open(path, "wb") as handle:
        writer = RecordWriter(handle)
        header = event_pb2.Event(
            wall_time=float(spec.start_time),
            file_version="brain.Event:2",
            source_metadata=event_pb2.SourceMetadata(
                writer="tensorboard.summary.writer.event_file_writer"
            ),
        )
        writer.write(header.SerializeToString())
        for signed_step, values in logs:
            step, is_eval = abs(signed_step), signed_step < 0
            wall_time = clock(step, is_eval)
            for tag, value in values.items():
                writer.write(scalar_event(tag, value, step, wall_time).SerializeToString())
        writer.flush()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "runs",
        help="directory to write the runs into (default: examples/runs next to this script)",
    )
    args = parser.parse_args(argv)
    for spec in SPECS:
        path = write_run(spec, args.out)
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
