"""CL503 no-decode-validation: coord runs that log only teacher-forcing metrics."""

from __future__ import annotations

import numpy as np
import pytest

from coordlint.testing import check

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
