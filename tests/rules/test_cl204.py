"""CL204 checkpoint-not-best: a kept checkpoint (or the run's best eval) clearly better than the
gated one. Runs are built from plain data with their kept checkpoints, gated as the CLI gates."""

from __future__ import annotations

import pytest

from coordlint import Checkpoint
from coordlint.testing import check, make_run

TAG = "eval/coord_diag/soft_ce"
# the analysis note's pure-CE curve: best at step 400, 4.72 at the end
CURVE = {100: 4.8, 200: 4.5, 300: 4.3, 400: 4.19, 500: 4.3, 600: 4.4, 700: 4.5, 800: 4.6}
CURVE |= {900: 4.65, 1000: 4.72}


def run_gated(values, step, kept=(), *, merged=(), config=None, tag=TAG):
    checkpoints = tuple(Checkpoint(f"out/run/checkpoint-{s}", s, "name") for s in kept)
    checkpoints += tuple(
        Checkpoint(f"out/run/checkpoint-{s}-merged", s, "name", True) for s in merged
    )
    return make_run(
        {tag: values, "train/loss": {10: 1.0, max(values): 0.5}},
        name="run",
        config=config,
        checkpoint=Checkpoint(f"out/run/checkpoint-{step}", step, "name"),
        kept_checkpoints=checkpoints,
    )


def test_a_kept_checkpoint_clearly_better_is_named():
    run = run_gated(CURVE, 1000, kept=range(200, 1001, 200))
    (finding,) = check(run, "CL204")
    assert finding.message == (
        f"{TAG} at this checkpoint (step 1000) is 4.72, 12.6% worse than 4.19 at checkpoint-400 "
        "(step 400), a kept checkpoint: evaluate checkpoint-400 before shipping this one"
    )
    assert (finding.severity.name, finding.tag, finding.step) == ("WARNING", TAG, 400)
    assert finding.data == {
        "tag": TAG,
        "step": 1000,
        "value": 4.72,
        "eval_step": 1000,
        "better": "checkpoint-400",
        "better_step": 400,
        "better_value": 4.19,
    }
    assert finding.series is not None and finding.series.index[-1] == 1000


@pytest.mark.parametrize(("value", "fires"), [(3.0, True), (2.999, False)])
def test_exactly_min_rise_worse_counts(value, fires):
    values = {100: 3.0, 200: 2.0, 300: 2.5, 400: 2.8, 500: value}
    run = run_gated(values, 500, kept=(200, 500))
    found = check(run, "CL204", params={"CL204": {"min_rise": 0.5}})
    assert [f.data.get("better_step") for f in found] == ([200] if fires else [])


def test_of_equally_good_kept_checkpoints_the_earlier_is_named():
    values = {100: 4.0, 200: 3.0, 300: 3.0, 400: 3.5, 500: 4.0}
    (finding,) = check(run_gated(values, 500, kept=(300, 200, 500)), "CL204")
    assert finding.data["better"] == "checkpoint-200"


def test_a_kept_checkpoint_at_zero_is_not_a_ratio_to_compare():
    values = {100: 1.0, 200: 0.0, 300: 0.5, 400: 0.8, 500: 1.0}
    assert check(run_gated(values, 500, kept=(200, 500)), "CL204") == []


def test_a_checkpoint_between_evals_is_judged_by_the_last_eval_before_it():
    run = run_gated(CURVE, 1050, kept=(450, 1050))
    (finding,) = check(run, "CL204")
    assert finding.data["eval_step"] == 1000 and finding.data["value"] == 4.72
    assert finding.data["better_step"] == 450 and finding.data["better_value"] == 4.19


def test_a_checkpoint_before_the_first_eval_is_not_judged():
    values = {100: 5.0, 200: 4.0, 300: 3.9, 400: 4.5}
    # checkpoint-50 has no eval yet; the best eval (300) has a kept checkpoint near it
    run = run_gated(values, 400, kept=(50, 300, 400), config={"training.save_steps": 100})
    (finding,) = check(run, "CL204")
    assert finding.data["better"] == "checkpoint-300"


def test_a_merged_copy_is_named_only_when_its_checkpoint_is_gone():
    both = run_gated(CURVE, 1000, kept=(400, 1000), merged=(400,))
    assert check(both, "CL204")[0].data["better"] == "checkpoint-400"
    merged_only = run_gated(CURVE, 1000, kept=(1000,), merged=(400,))
    assert check(merged_only, "CL204")[0].data["better"] == "checkpoint-400-merged"


def test_the_run_best_eval_with_no_checkpoint_kept_near_it():
    run = run_gated(
        CURVE, 1000, kept=(800, 1000), config={"save_total_limit": 2, "training.save_steps": 200}
    )
    (finding,) = check(run, "CL204")
    assert finding.message == (
        f"{TAG} at this checkpoint (step 1000) is 4.72, 12.6% worse than the run's best eval "
        "(4.19 at step 400), but no checkpoint within one save interval (save_steps=200) of step "
        "400 was kept: save_total_limit=2 kept only the last 2; raise save_total_limit, or set "
        "load_best_model_at_end with metric_for_best_model=coord_diag/soft_ce "
        "(greater_is_better false) to keep the best one"
    )
    assert (finding.tag, finding.step) == (TAG, 400)
    assert finding.data["best_step"] == 400 and finding.data["best_value"] == 4.19
    assert finding.data["rise"] == pytest.approx(4.72 / 4.19 - 1)
    assert "better" not in finding.data
    assert finding.series is not None and len(finding.series) == len(CURVE)


def test_without_save_steps_near_is_a_tenth_of_the_run():
    (finding,) = check(run_gated(CURVE, 1000, kept=(1000,)), "CL204")
    assert (
        "no checkpoint within 100 steps (10% of the run; save_steps unknown) of step 400 was "
        "kept: none was kept; raise save_total_limit" in finding.message
    )


@pytest.mark.parametrize(("save_steps", "fires"), [(200, False), (199, True)])
def test_a_checkpoint_kept_one_save_interval_from_the_best_is_near(save_steps, fires):
    # checkpoint-600 is not better than the gated one, but it is near the best eval (400)
    values = CURVE | {600: 4.72}
    run = run_gated(values, 1000, kept=(600, 1000), config={"training.save_steps": save_steps})
    assert len(check(run, "CL204")) == int(fires)


def test_a_single_low_first_eval_is_not_the_runs_best():
    # the best is judged on a running median (the ends' shorter window too): 3.9 is one eval
    values = {100: 3.9, 200: 4.5, 300: 4.5, 400: 4.5, 500: 4.4}
    assert check(run_gated(values, 500, kept=(500,)), "CL204") == []


def test_the_best_step_is_the_lowest_raw_eval_beside_the_smoothed_minimum():
    values = {100: 5.0, 200: 4.9, 300: 4.2, 400: 4.3, 500: 4.25, 600: 4.8, 700: 4.9}
    (finding,) = check(run_gated(values, 700, kept=(700,)), "CL204")
    # the smoothed minimum is at 400 (median 4.25); its neighbours' raw minimum is 4.2 at 300
    assert (finding.data["best_step"], finding.data["best_value"]) == (300, 4.2)


def test_the_run_best_not_clearly_better_is_quiet():
    values = {100: 4.8, 200: 4.5, 300: 4.4, 400: 4.5, 500: 4.6}
    assert check(run_gated(values, 500, kept=(500,)), "CL204") == []


def test_metrics_choose_the_curves_and_a_missing_one_is_skipped():
    w1 = "eval/coord_diag/w1"
    run = run_gated(CURVE, 1000, kept=(400, 1000), tag=w1)
    assert check(run, "CL204") == []  # soft_ce is not logged
    found = check(run, "CL204", params={"CL204": {"metrics": ["soft_ce", "w1"]}})
    assert [f.data["tag"] for f in found] == [w1]


def test_the_newer_soft_ce_block_is_preferred():
    run = make_run(
        {"eval/coord_softce_w1/soft_ce": CURVE, TAG: {s: 1.0 for s in CURVE}},
        name="run",
        checkpoint=Checkpoint("out/run/checkpoint-1000", 1000, "name"),
        kept_checkpoints=(Checkpoint("out/run/checkpoint-400", 400, "name"),),
    )
    (finding,) = check(run, "CL204")
    assert finding.data["tag"] == "eval/coord_softce_w1/soft_ce"


def test_a_run_that_is_not_gated_is_not_applicable(outcomes):
    outcome = outcomes(make_run({TAG: CURVE}), "CL204")["run"]
    assert outcome.status == "skipped" and "not a checkpoint" in outcome.reason


def test_a_checkpoint_at_the_first_eval_is_judged_by_it():
    values = {100: 2.0, 200: 3.0, 300: 3.5}
    (finding,) = check(run_gated(values, 300, kept=(100, 300)), "CL204")
    assert (finding.data["better"], finding.data["better_value"]) == ("checkpoint-100", 2.0)


@pytest.mark.parametrize(
    ("save_steps", "near"),
    [
        (0, "100 steps (10% of the run; save_steps unknown)"),  # 0 is no interval
        (1, "one save interval (save_steps=1)"),
    ],
)
def test_a_save_interval_is_a_positive_save_steps(save_steps, near):
    run = run_gated(CURVE, 1000, kept=(1000,), config={"training.save_steps": save_steps})
    (finding,) = check(run, "CL204")
    assert f"no checkpoint within {near} of step 400 was kept" in finding.message


def test_near_is_at_least_one_step_in_a_short_run():
    values = {1: 4.8, 2: 4.19, 3: 4.5, 4: 4.6, 5: 4.72}
    (finding,) = check(run_gated(values, 5, kept=(5,)), "CL204")
    assert "no checkpoint within 1 steps (10% of the run; save_steps unknown) of step 2" in (
        finding.message
    )


def test_a_best_eval_exactly_min_rise_better_counts():
    values = {100: 4.0, 200: 2.0, 300: 2.0, 400: 2.0, 500: 3.0}  # smoothed best 2.0; 3.0 is +50%
    (finding,) = check(
        run_gated(values, 500, kept=(500,)), "CL204", params={"CL204": {"min_rise": 0.5}}
    )
    assert (finding.data["best_step"], finding.data["rise"]) == (200, 0.5)


def test_a_best_eval_at_the_first_eval_is_found():
    values = {100: 3.0, 200: 3.2, 300: 3.1, 400: 4.0, 500: 4.5}
    (finding,) = check(run_gated(values, 500, kept=(500,)), "CL204")
    assert (finding.data["best_step"], finding.data["best_value"]) == (100, 3.0)


def test_values_below_one_are_judged_too():
    small = {s: v / 10 for s, v in CURVE.items()}
    (finding,) = check(run_gated(small, 1000, kept=(1000,)), "CL204")
    assert finding.data["best_step"] == 400


def test_every_metric_asked_is_judged():
    w1 = "eval/coord_diag/w1"
    run = make_run(
        {TAG: CURVE, w1: CURVE},
        name="run",
        checkpoint=Checkpoint("out/run/checkpoint-1000", 1000, "name"),
        kept_checkpoints=tuple(
            Checkpoint(f"out/run/checkpoint-{s}", s, "name") for s in (400, 1000)
        ),
    )
    found = check(run, "CL204", params={"CL204": {"metrics": ["soft_ce", "w1"]}})
    assert [f.data["tag"] for f in found] == [TAG, w1]


def test_a_best_eval_of_zero_is_not_a_ratio_to_compare_either():
    values = {100: 0.0, 200: 0.0, 300: 0.0, 400: 1.0, 500: 2.0}
    assert check(run_gated(values, 500, kept=(500,)), "CL204") == []


def test_a_checkpoint_saved_before_any_eval_is_never_the_better_one():
    values = {100: 5.0, 200: 4.0, 300: 4.5, 400: 3.0}  # the last eval is the run's lowest
    (finding,) = check(run_gated(values, 300, kept=(50, 200, 300)), "CL204")
    assert finding.data["better"] == "checkpoint-200"
