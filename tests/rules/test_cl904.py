"""CL904 checkpoint-beyond-logs: the gated step past the logs, or with no eval shortly before."""

from __future__ import annotations

import pytest

from coordlint import Checkpoint
from coordlint.testing import check, make_run

EVAL = "eval/loss"


def gated(step: int, scalars, config=None):
    checkpoint = Checkpoint(f"out/checkpoint-{step}", step, "name")
    return make_run(scalars, name="run", config=config, checkpoint=checkpoint)


def evals(*steps: int) -> dict[int, float]:
    return {s: 1.0 for s in steps}


def test_a_checkpoint_past_the_last_logged_step_is_an_error(outcomes):
    run = gated(1001, {"train/loss": evals(10, 1000), EVAL: evals(500, 1000)})
    (finding,) = check(run, "CL904")
    assert finding.severity.name == "ERROR" and finding.step == 1001
    assert "checkpoint step 1001 is past the last logged step (1000)" in finding.message
    assert finding.data == {"step": 1001, "last_step": 1000, "last_eval": -1, "eval_steps": -1}


def test_the_last_logged_step_is_of_any_tag(outcomes):
    run = gated(1000, {"train/loss": evals(10, 1000), EVAL: evals(100, 900, 1000)})
    assert check(run, "CL904") == []


@pytest.mark.parametrize(("step", "fires"), [(1200, False), (1201, True)])
def test_no_eval_within_two_configured_intervals(step, fires):
    """eval_steps=100: the last eval (1000) may be up to 200 steps before the checkpoint."""
    scalars = {"train/loss": evals(10, 2000), EVAL: evals(1000, 1400)}
    found = check(gated(step, scalars, config={"training.eval_steps": 100}), "CL904")
    if not fires:
        assert found == []
        return
    (finding,) = found
    assert finding.message.startswith(
        "checkpoint step 1201: the last eval was at step 1000, more than 200 steps before it "
        "(eval_steps=100)"
    )
    assert finding.data == {"step": 1201, "last_step": 2000, "last_eval": 1000, "eval_steps": 100}


def test_the_interval_is_the_median_eval_spacing_without_config():
    # evals every 300 steps (one gap of 100): the window is 2 x 300
    scalars = {"train/loss": evals(10, 3000), EVAL: evals(300, 600, 700, 1000, 1300, 2500)}
    assert check(gated(1900, scalars), "CL904") == []
    (finding,) = check(gated(1901, scalars), "CL904")
    assert finding.data["eval_steps"] == 300 and finding.data["last_eval"] == 1300
    assert "more than 600 steps before it" in finding.message


@pytest.mark.parametrize("eval_steps", [0, True])
def test_a_configured_interval_that_is_not_a_positive_number_is_ignored(eval_steps):
    scalars = {"train/loss": evals(10, 3000), EVAL: evals(100, 200, 300)}
    (finding,) = check(gated(501, scalars, config={"training.eval_steps": eval_steps}), "CL904")
    assert finding.data["eval_steps"] == 100  # the evals' own spacing


def test_the_argument_evals_within_widens_the_window():
    scalars = {"train/loss": evals(10, 3000), EVAL: evals(100, 200, 300)}
    run = gated(600, scalars)
    assert len(check(run, "CL904")) == 1
    assert check(run, "CL904", params={"CL904": {"evals_within": 3}}) == []


def test_no_eval_at_or_before_the_checkpoint():
    scalars = {"train/loss": evals(10, 3000), EVAL: evals(500, 600)}
    (finding,) = check(gated(400, scalars), "CL904")
    assert "checkpoint step 400: no eval was logged at or before it (eval_steps=100)" in (
        finding.message
    )
    assert finding.data["last_eval"] == -1


def test_an_eval_at_the_checkpoint_counts_and_one_eval_has_no_interval():
    # one eval: no interval to measure, so any eval before the checkpoint will do
    scalars = {"train/loss": evals(10, 3000), EVAL: evals(100)}
    assert check(gated(2900, scalars), "CL904") == []
    assert check(gated(100, {"train/loss": evals(10, 3000), EVAL: evals(100, 200)}), "CL904") == []


def test_only_eval_tags_are_evals():
    scalars = {"train/loss": evals(*range(100, 3001, 100)), EVAL: evals(100, 200)}
    (finding,) = check(gated(2000, scalars), "CL904")
    assert finding.data["last_eval"] == 200


def test_a_run_that_is_not_gated_is_not_applicable(outcomes):
    run = make_run({"train/loss": evals(10, 20), EVAL: evals(10, 20)})
    assert outcomes(run, "CL904")["run"].status == "skipped"


def test_two_evals_give_an_interval():
    scalars = {"train/loss": evals(10, 3000), EVAL: evals(100, 200)}
    (finding,) = check(gated(600, scalars), "CL904")
    assert finding.data["eval_steps"] == 100 and "more than 200 steps before it" in finding.message


def test_a_configured_interval_of_one_step_is_used():
    scalars = {"train/loss": evals(10, 3000), EVAL: evals(100, 200, 300)}
    (finding,) = check(gated(600, scalars, config={"training.eval_steps": 1}), "CL904")
    assert finding.data["eval_steps"] == 1


def test_the_messages_in_full_and_the_step_they_point_at():
    (past,) = check(gated(1001, {"train/loss": evals(10, 1000), EVAL: evals(500, 1000)}), "CL904")
    assert past.message == (
        "checkpoint step 1001 is past the last logged step (1000): the logs are incomplete, or "
        "not this checkpoint's run"
    )
    (late,) = check(gated(900, {"train/loss": evals(10, 3000), EVAL: evals(100, 200)}), "CL904")
    assert late.message == (
        "checkpoint step 900: the last eval was at step 200, more than 200 steps before it "
        "(eval_steps=100): the gate cannot see this checkpoint; the logs are incomplete, or not "
        "this checkpoint's run"
    )
    assert late.step == 900


def test_a_run_with_no_eval_tags_at_all():
    (finding,) = check(gated(400, {"train/loss": evals(10, 3000)}), "CL904")
    assert finding.message.startswith(
        "checkpoint step 400: no eval was logged at or before it (eval_steps=-1)"
    )
    assert finding.data == {"step": 400, "last_step": 3000, "last_eval": -1, "eval_steps": -1}
