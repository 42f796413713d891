"""CL201 soft-ce-rebound: fires on an improve-then-rise soft-CE curve, not on noisy plateaus."""

from __future__ import annotations

import numpy as np
import pytest
from _noise import ar1

from coordlint import Checkpoint
from coordlint.testing import check, load, make_run, write_events

STEPS = np.arange(40, 2001, 40)
DIAG = "eval/coord_diag/soft_ce"
SOFTCE = "eval/coord_softce_w1/soft_ce"


def rebound(steps=STEPS, best_step=400, best=4.2, start=8.2, final=4.8):
    """Linear drop from ``start`` to ``best`` at ``best_step``, then a linear rise to ``final``."""
    return np.where(
        steps <= best_step,
        start + (best - start) * (steps - steps[0]) / (best_step - steps[0]),
        best + (final - best) * (steps - best_step) / (steps[-1] - best_step),
    )


def plateau(rng, level=3.53, start=5.6, noise=0.01, steps=STEPS):
    base = level + (start - level) * np.exp(-(steps - 40) / 95.0)
    return base * (1 + noise * rng.standard_normal(len(steps)))


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.asarray(values).tolist(), strict=True))


def test_fires_on_rebound_and_names_checkpoint(write_run):
    rng = np.random.default_rng(1)
    values = rebound() * (1 + 0.002 * rng.standard_normal(len(STEPS)))
    run = write_run({DIAG: series(values)}, checkpoints=[400, 1200, 2000])
    (finding,) = check(run, "CL201")
    assert finding.severity.name == "WARNING"
    assert finding.data["tag"] == DIAG
    assert abs(finding.data["best_step"] - 400) <= 40
    assert finding.data["best"] == pytest.approx(4.2, rel=0.01)
    assert finding.data["final"] == pytest.approx(4.8, rel=0.01)
    assert finding.data["rise"] == pytest.approx(4.8 / 4.2 - 1, abs=0.02)
    assert finding.data["checkpoint"] == "checkpoint-400"
    assert "checkpoint-400" in finding.message


def test_checkpoint_in_parent_dir_is_found(tmp_path):
    (tmp_path / "checkpoint-440").mkdir()
    write_events(tmp_path / "tb", {DIAG: series(rebound())})
    (finding,) = check(load(tmp_path / "tb"), "CL201")
    assert finding.data["checkpoint"] == "checkpoint-440"


def test_names_no_checkpoint_when_only_far_ones_were_kept(write_run):
    run = write_run(
        {DIAG: series(rebound())},
        checkpoints=[1600, 1800],
        config={"training.save_steps": 200},
    )
    (finding,) = check(run, "CL201")
    assert "checkpoint" not in finding.data
    assert "checkpoint-1600" not in finding.message and "checkpoint-1800" not in finding.message
    assert "no checkpoint within one save interval (save_steps=200) of step 400 was kept" in (
        finding.message
    )


@pytest.mark.parametrize(
    ("kept", "named"),
    [
        ([600], "checkpoint-600"),  # one save interval after the best step, still low
        ([601], None),  # just over one save interval
        ([200, 600], "checkpoint-200"),  # equally near: the earlier one
    ],
)
def test_kept_checkpoint_within_one_save_interval(write_run, kept, named):
    run = write_run(
        {DIAG: series(rebound())}, checkpoints=kept, config={"training.save_steps": 200}
    )
    (finding,) = check(run, "CL201")
    assert finding.data.get("checkpoint") == named


@pytest.mark.parametrize(("kept", "named"), [([480], None), ([440, 480], "checkpoint-440")])
def test_a_kept_checkpoint_in_the_risen_part_is_not_named(write_run, kept, named):
    # best 4.0 at steps 400-440, 20% higher from step 480 on (a rise well clear of the noise
    # bar, which a one-step jump also widens); within 10% of the run: 100 steps
    steps = np.arange(40, 1001, 40)
    values = np.where(steps <= 400, 8.0 - 4.0 * (steps - 40) / 360, 4.8)
    values[steps == 440] = 4.0
    run = write_run({DIAG: series(values, steps)}, checkpoints=kept)
    (finding,) = check(run, "CL201")
    assert finding.data["best_step"] == 400 and finding.data.get("checkpoint") == named
    if named is None:
        assert "no checkpoint within 100 steps (10% of the run" in finding.message


def test_prefers_softce_block_over_diag(write_run):
    run = write_run({SOFTCE: series(rebound()), DIAG: series(rebound())})
    (finding,) = check(run, "CL201")
    assert finding.data["tag"] == SOFTCE


def test_clean_decrease_then_flat(write_run):
    run = write_run({DIAG: series(plateau(np.random.default_rng(0), noise=0.0))})
    assert check(run, "CL201") == []


@pytest.mark.parametrize("seed", range(3))
def test_noisy_plateau_event_files(write_run, seed):
    run = write_run({DIAG: series(plateau(np.random.default_rng(seed)))})
    assert check(run, "CL201") == []


def test_noisy_plateaus_do_not_cry_wolf():
    # 1% eval noise (several times the real diagnostics' noise) on 200 plateaus: no alarm.
    rng = np.random.default_rng(2024)
    runs = [make_run({DIAG: series(plateau(rng))}, name=f"r{i}") for i in range(200)]
    assert check(runs, "CL201") == []


def test_small_drift_below_min_rise_does_not_fire(write_run):
    values = rebound(final=4.2 * 1.03) * (1 + 0.003 * np.random.default_rng(5).standard_normal(50))
    assert check(write_run({DIAG: series(values)}), "CL201") == []


def test_rise_that_recovers_is_not_sustained(write_run):
    values = rebound()
    values[-2:] = 4.21  # back down to the best for the last two evals
    assert check(write_run({DIAG: series(values)}), "CL201") == []


def test_single_bad_last_eval_does_not_fire(write_run):
    values = plateau(np.random.default_rng(3), noise=0.002)
    values[-1] *= 1.2
    assert check(write_run({DIAG: series(values)}), "CL201") == []


def test_min_rise_param_is_honoured():
    run = make_run({DIAG: series(rebound())})
    assert check(run, "CL201", params={"CL201": {"min_rise": 0.2}}) == []
    assert len(check(run, "CL201", params={"CL201": {"min_rise": 0.1}})) == 1


def test_missing_tag_is_not_applicable(write_run, outcomes):
    run = write_run({"eval/loss": series(np.linspace(2, 1, 50))})
    outcome = outcomes(run, "CL201")["run"]
    assert outcome.status == "skipped"
    assert outcome.findings == []


def test_resumed_run_latest_write_wins_clean(resumed_run):
    # The first attempt rebounded after step 400; the resume from step 600 rewrote every later
    # step with a flat curve, so the run as it now stands has no rebound.
    first = rebound(final=6.0)
    flat_steps = STEPS[STEPS >= 600]
    second = np.full(len(flat_steps), 4.22)
    run = resumed_run({DIAG: series(first)}, {DIAG: series(second, flat_steps)})
    assert run.rewritten.get(DIAG, 0) > 0  # the resume really rewrote steps
    assert check(run, "CL201") == []


def test_resumed_run_rebound_after_resume_fires(resumed_run):
    first_steps = STEPS[STEPS <= 1200]
    first = plateau(np.random.default_rng(4), level=4.2, noise=0.002, steps=first_steps)
    resume_steps = STEPS[STEPS >= 800]
    second = np.linspace(4.25, 5.0, len(resume_steps))
    run = resumed_run({DIAG: series(first, first_steps)}, {DIAG: series(second, resume_steps)})
    assert run.rewritten.get(DIAG, 0) > 0
    (finding,) = check(run, "CL201")
    assert finding.data["best_step"] < 800
    assert finding.data["final"] == pytest.approx(5.0, rel=1e-6)


def warnings(findings):
    return [f for f in findings if f.severity.name != "INFO"]


def test_one_eval_descent_on_a_coarse_grid_fires():
    # The failure the running median used to hide: eval every 200 steps, the curve fell from
    # 4.24 to 3.85 in one eval and rose 13%. The first eval is not averaged into the second.
    steps = np.arange(1, 11) * 200
    values = [4.24, 3.85, 3.93, 4.02, 4.12, 4.21, 4.30, 4.35, 4.36, 4.35]
    (finding,) = check(make_run({DIAG: series(values, steps)}), "CL201")
    assert finding.severity.name == "WARNING"
    assert finding.data["best_step"] == 400
    assert finding.data["best"] == pytest.approx(3.85)


@pytest.mark.parametrize(("sd", "phi", "most"), [(0.02, 0.6, 0), (0.02, 0.8, 9), (0.01, 0.8, 0)])
def test_autocorrelated_noisy_plateaus_rarely_warn(sd, phi, most):
    # Eval noise correlated from eval to eval: a long flat curve's minimum sits well below its
    # level and its end wanders above it. The docs' operating range: no false alarm at 2% noise
    # with correlation 0.6; about 3% of long flat curves still warn at correlation 0.8.
    rng = np.random.default_rng(8)
    runs = [
        make_run({DIAG: series(plateau(rng, noise=0.0) * (1 + sd * ar1(rng, 50, phi)))}, f"r{i}")
        for i in range(300)
    ]
    findings = check(runs, "CL201")
    assert len(warnings(findings)) <= most
    assert all("too noisy" in f.message for f in findings if f.severity.name == "INFO")


def test_rises_within_the_noise_are_info():
    # Flat curves with 3% white eval noise: many end min_rise above their (noise-low) minimum by
    # chance. The rule says it cannot tell, at info; at most 1% warn.
    rng = np.random.default_rng(4)
    runs = [make_run({DIAG: series(plateau(rng, noise=0.03))}, f"r{i}") for i in range(300)]
    findings = check(runs, "CL201")
    infos = [f for f in findings if f.severity.name == "INFO"]
    assert len(infos) >= 20
    assert all("too noisy" in f.message and f.data["noise"] > 0.015 for f in infos)
    assert len(warnings(findings)) <= 3


def test_noise_bar_boundary():
    # Scale one noise pattern so the rise sits just inside, then just outside, the noise bar.
    from coordlint.rules._curves import running_median
    from coordlint.rules.cl201_soft_ce_rebound import FALSE_ALARM, _rise_noise

    pattern = np.random.default_rng(9).standard_normal(len(STEPS))
    clean = rebound(final=4.2 * 1.12)

    def verdict(scale):
        values = clean * np.exp(scale * pattern)
        (finding,) = check(make_run({DIAG: series(values)}), "CL201")
        return finding.severity.name, values

    def z(scale):
        values = clean * np.exp(scale * pattern)
        s = make_run({DIAG: series(values)}).series(DIAG)
        smooth = np.concatenate([values[:1], running_median(s.iloc[1:], 3).to_numpy()])
        best_i = int(np.argmin(smooth))
        sd, _, candidates = _rise_noise(values, smooth, best_i, 3)
        lo, hi = max(0, best_i - 1), best_i + 2
        margin = np.log(np.median(values[-3:]) / values[lo:hi].mean())
        from statistics import NormalDist

        return margin / sd / NormalDist().inv_cdf(1 - FALSE_ALARM / 2 / candidates)

    lo, hi = 1e-4, 0.05
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if z(mid) > 1 else (lo, mid)
    assert verdict(lo * 0.97)[0] == "WARNING"
    assert verdict(hi * 1.03)[0] == "INFO"


def test_non_positive_values_are_not_judged():
    values = rebound()
    values[5] = 0.0
    assert check(make_run({DIAG: series(values)}), "CL201") == []


SHAPE = (
    f"{DIAG} bottomed out at 4.2 at step 400 and ended 14.3% higher at 4.8 (step 2000), above its "
    "best for the last 3 evals: "
)


def test_the_message_without_any_checkpoint_known():
    (finding,) = check(make_run({DIAG: series(rebound())}), "CL201")
    assert finding.message == (
        f"{SHAPE}evaluate the checkpoint nearest step 400 with a decode-based metric; the later "
        "checkpoints fit the soft target worse"
    )
    assert (finding.tag, finding.step, finding.severity.name) == (DIAG, 400, "WARNING")
    data = dict(finding.data)
    assert data.pop("noise") < 1e-4
    assert data == pytest.approx(
        {"tag": DIAG, "best_step": 400, "best": 4.2, "final": 4.8, "rise": 4.8 / 4.2 - 1}
    )
    assert finding.series is not None and len(finding.series) == len(STEPS)


@pytest.mark.parametrize(
    ("save_steps", "hint"),
    [
        (200, "evaluate the checkpoint nearest step 400 (save_steps=200: checkpoint-400, if it"),
        (300, "evaluate the checkpoint nearest step 400 (save_steps=300: checkpoint-300, if it"),
        (1, "evaluate the checkpoint nearest step 400 (save_steps=1: checkpoint-400, if it"),
        (0.5, "evaluate the checkpoint nearest step 400 with a decode-based metric"),  # a ratio
    ],
)
def test_the_save_interval_names_the_nearest_checkpoint(save_steps, hint):
    run = make_run({DIAG: series(rebound())}, config={"training.save_steps": save_steps})
    assert check(run, "CL201")[0].message.startswith(SHAPE + hint)


def test_a_save_interval_longer_than_the_best_step_names_the_first_save():
    run = make_run({DIAG: series(rebound(best_step=200))}, config={"training.save_steps": 500})
    (finding,) = check(run, "CL201")
    assert "(save_steps=500: checkpoint-500, if it was kept)" in finding.message


def kept(*steps):
    return tuple(Checkpoint(f"out/checkpoint-{s}", s, "name") for s in steps)


def test_a_kept_checkpoint_near_the_best_is_named():
    run = make_run({DIAG: series(rebound())}, kept_checkpoints=kept(400, 2000))
    (finding,) = check(run, "CL201")
    assert finding.message == (
        f"{SHAPE}evaluate checkpoint-400 (a kept checkpoint within 200 steps (10% of the run; "
        "save_steps unknown) of step 400); the later checkpoints fit the soft target worse"
    )
    assert finding.data["checkpoint"] == "checkpoint-400"


def test_of_two_kept_checkpoints_equally_near_the_earlier_is_named():
    run = make_run({DIAG: series(rebound())}, kept_checkpoints=kept(500, 300))
    assert check(run, "CL201")[0].data["checkpoint"] == "checkpoint-300"


def test_kept_checkpoints_none_near_the_best_say_what_would_have_kept_one():
    run = make_run(
        {DIAG: series(rebound())}, config={"save_total_limit": 1}, kept_checkpoints=kept(2000)
    )
    (finding,) = check(run, "CL201")
    assert finding.message == (
        f"{SHAPE}no checkpoint within 200 steps (10% of the run; save_steps unknown) of step 400 "
        "was kept (save_total_limit=1 kept only the last 1; raise save_total_limit, or set "
        "load_best_model_at_end with metric_for_best_model=coord_diag/soft_ce "
        "(greater_is_better false) to keep the best one); the later checkpoints fit the soft "
        "target worse"
    )
    assert "checkpoint" not in finding.data


def test_sustain_is_named_in_the_message():
    (finding,) = check(
        make_run({DIAG: series(rebound())}), "CL201", params={"CL201": {"sustain": 5}}
    )
    assert "above its best for the last 5 evals: " in finding.message


def test_w1_is_checked_when_asked():
    w1 = "eval/coord_diag/w1"
    run = make_run({w1: series(rebound(best=0.02, start=0.3, final=0.03))})
    assert check(run, "CL201") == []
    (finding,) = check(run, "CL201", params={"CL201": {"metrics": ["soft_ce", "w1"]}})
    assert finding.tag == w1 and finding.data["best"] == pytest.approx(0.02)


def test_the_too_noisy_message_gives_the_noise_and_the_bar():
    rng = np.random.default_rng(1)
    values = rebound(final=4.4) * (1 + 0.05 * rng.standard_normal(len(STEPS)))
    (finding,) = check(make_run({DIAG: series(values)}), "CL201")
    assert finding.severity.name == "INFO"
    noise = finding.data["noise"]
    assert f"but its evals are too noisy to call that a rebound (eval noise ±{noise:.1%}; " in (
        finding.message
    )
    assert finding.message.endswith(
        "): cannot tell; compare the checkpoints around both steps if it matters"
    )
    assert "the rise would need to clear ±" in finding.message
