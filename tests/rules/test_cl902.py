"""CL902 non-finite-scalar: each tag's first NaN or ±inf, spelled, with how many there are."""

from __future__ import annotations

import math

import pytest

from coordlint.testing import check


@pytest.mark.parametrize(
    ("value", "spelled", "first"),
    [(math.nan, "NaN", "nan"), (math.inf, "+inf", "inf"), (-math.inf, "-inf", "-inf")],
)
def test_the_first_non_finite_value_is_spelled(write_run, value, spelled, first):
    run = write_run({"train/loss": {10: 1.0, 20: value, 30: 0.5}})
    (finding,) = check(run, "CL902")
    assert finding.message == f"train/loss is {spelled} at step 20 (1 non-finite point)"
    assert (finding.tag, finding.step, finding.severity.name) == ("train/loss", 20, "ERROR")
    assert finding.data == {"count": 1, "first": first}


def test_a_tag_counts_all_its_non_finite_points_and_names_the_first(write_run):
    run = write_run({"train/loss": {10: 1.0, 20: -math.inf, 30: math.nan, 40: math.inf}})
    (finding,) = check(run, "CL902")
    assert finding.message == "train/loss is -inf at step 20 (3 non-finite points)"
    assert finding.data == {"count": 3, "first": "-inf"}


def test_each_tag_is_its_own_finding_and_finite_tags_are_silent(write_run):
    run = write_run(
        {
            "eval/loss": {10: 2.0, 20: math.nan, 30: math.nan},
            "train/loss": {10: 1.0, 20: 0.9},
            "train/grad_norm": {10: math.inf, 20: 3.0},
        }
    )
    found = {f.tag: (f.step, f.data["count"], f.data["first"]) for f in check(run, "CL902")}
    assert found == {"eval/loss": (20, 2, "nan"), "train/grad_norm": (10, 1, "inf")}


def test_finite_run_passes(write_run):
    assert check(write_run({"train/loss": {10: 1.0, 20: 0.0, 30: -1e30}}), "CL902") == []
