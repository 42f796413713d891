"""CL201 soft-ce-rebound: fires on an improve-then-rise soft-CE curve, not on noisy plateaus."""

from __future__ import annotations

import numpy as np
import pytest

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
    # best 4.0 at steps 400-440, 10% higher from step 480 on; within 10% of the run: 100 steps
    steps = np.arange(40, 1001, 40)
    values = np.where(steps <= 400, 8.0 - 4.0 * (steps - 40) / 360, 4.4)
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
