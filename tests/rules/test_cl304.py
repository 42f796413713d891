"""CL304 checkpoint-before-confinement: the gated checkpoint's last eval of the coord-vocab mass
below the threshold."""

from __future__ import annotations

import pytest

from coordlint import Checkpoint
from coordlint.testing import check, make_run

TAG = "eval/coord_diag/coord_vocab_mass"


def gated(values, step):
    return make_run(
        {TAG: values}, name="run", checkpoint=Checkpoint(f"out/checkpoint-{step}", step, "name")
    )


def test_a_checkpoint_before_confinement_warns():
    (finding,) = check(gated({40: 0.5, 80: 0.9, 120: 0.97, 160: 0.995}, 150), "CL304")
    assert finding.message == (
        f"{TAG} is 0.97 at step 120, this checkpoint's last eval, below 0.99: it may still emit "
        "non-coord tokens at coord positions"
    )
    assert (finding.severity.name, finding.tag, finding.step) == ("WARNING", TAG, 120)
    assert finding.data == {"value": 0.97, "eval_step": 120, "threshold": 0.99}
    assert list(finding.series.index) == [40, 80, 120]  # the run as of the checkpoint


@pytest.mark.parametrize(("last", "fires"), [(0.99, False), (0.9899, True)])
def test_the_threshold_itself_is_confined(last, fires):
    assert len(check(gated({40: 0.5, 80: last}, 80), "CL304")) == int(fires)


def test_threshold_param():
    run = gated({40: 0.5, 80: 0.95}, 80)
    assert check(run, "CL304", params={"CL304": {"threshold": 0.95}}) == []
    (finding,) = check(run, "CL304", params={"CL304": {"threshold": 0.96}})
    assert "below 0.96:" in finding.message and finding.data["threshold"] == 0.96


def test_the_newer_block_is_read_and_a_run_without_the_mass_is_quiet():
    newer = "eval/coord_softce_w1/coord_vocab_mass"
    run = make_run(
        {newer: {40: 0.9}, TAG: {40: 1.0}},
        checkpoint=Checkpoint("out/checkpoint-40", 40, "name"),
    )
    assert check(run, "CL304")[0].tag == newer
    no_mass = make_run(
        {"train/loss": {40: 1.0}}, checkpoint=Checkpoint("out/checkpoint-40", 40, "name")
    )
    assert check(no_mass, "CL304") == []
    # the checkpoint is before the first eval: nothing to judge it by
    assert check(gated({80: 0.5}, 40), "CL304") == []


def test_a_run_that_is_not_gated_is_not_applicable(outcomes):
    outcome = outcomes(make_run({TAG: {40: 0.5}}), "CL304")["run"]
    assert outcome.status == "skipped" and "not a checkpoint" in outcome.reason
