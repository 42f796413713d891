"""CL503 no-decode-validation: coord runs that log only teacher-forcing metrics."""

from __future__ import annotations

import numpy as np
import pytest

from coordlint.testing import check, make_run

STEPS = np.arange(40, 401, 40)


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.broadcast_to(values, steps.shape).tolist(), strict=True))


def coord_run(seed=0, **extra):
    rng = np.random.default_rng(seed)
    return {
        "eval/coord_diag/soft_ce": series(3.5 * (1 + 0.01 * rng.standard_normal(len(STEPS)))),
        "eval/coord_diag/expected_bin_mae": series(21.0),
        "eval/loss": series(1.2),
        **{tag: series(v) for tag, v in extra.items()},
    }


def test_teacher_forcing_only_is_reported(write_run):
    (finding,) = check(write_run(coord_run()), "CL503")
    assert finding.severity.name == "INFO"
    assert "decode" in finding.message


@pytest.mark.parametrize(
    "tag", ["eval/bbox_mAP", "eval/coco/map_50", "rollout/recall", "eval/detection/ap", "eval/f1"]
)
def test_decode_metric_present_is_clean(write_run, tag):
    assert check(write_run(coord_run(**{tag: 0.3})), "CL503") == []


def test_noisy_coord_run_with_decode_metric_is_clean(write_run):
    rng = np.random.default_rng(5)
    run = write_run(coord_run(5, **{"eval/bench/mAP50": 0.3 + 0.02 * rng.standard_normal(10)}))
    assert check(run, "CL503") == []


def test_patterns_param(write_run):
    run = write_run(coord_run(**{"eval/bench/recall": 0.4}))
    assert len(check(run, "CL503")) == 1
    assert check(run, "CL503", params={"CL503": {"patterns": ["eval/bench/*"]}}) == []


def test_run_without_coord_metrics_is_not_applicable(write_run, outcomes):
    run = write_run({"eval/loss": series(1.0), "train/loss": series(1.1)})
    assert check(run, "CL503") == []
    assert outcomes(run, "CL503")["run"].status == "skipped"


def test_the_message_shows_the_first_four_patterns():
    run = make_run({"eval/coord_diag/soft_ce": {100: 4.0}})
    (finding,) = check(run, "CL503")
    assert finding.message == (
        "no decode-based validation metric is logged (no tag matches *map*, *mAP*, *AP50*, "
        "*f1*, ...): only teacher-forcing coord metrics, which predict rollout mAP poorly; add "
        "a periodic decode-based metric (e.g. mAP on a small eval slice) to stage-1 training"
    )
    assert (finding.severity.name, finding.data, finding.tag) == ("INFO", {}, None)


@pytest.mark.parametrize(
    ("count", "shown"),
    [(4, "x1*, x2*, x3*, x4*)"), (5, "x1*, x2*, x3*, x4*, ...)")],
)
def test_up_to_four_patterns_are_shown_in_full(count, shown):
    run = make_run({"eval/coord_diag/soft_ce": {100: 4.0}})
    patterns = [f"x{i}*" for i in range(1, count + 1)]
    (finding,) = check(run, "CL503", params={"CL503": {"patterns": patterns}})
    assert f"(no tag matches {shown}:" in finding.message


@pytest.mark.parametrize(
    "tag", ["eval/bbox_mAP", "eval/f1", "rollout/ap", "eval/rollout/x", "val/detection/ap"]
)
def test_each_default_pattern_counts(tag):
    assert check(make_run({"eval/coord_diag/soft_ce": {100: 4.0}, tag: {100: 0.3}}), "CL503") == []


def test_a_flip_rate_alone_is_a_coord_metric():
    run = make_run({"eval/coord_monitor/flip_coord_to_noncoord": {100: 0.0}})
    assert len(check(run, "CL503")) == 1
