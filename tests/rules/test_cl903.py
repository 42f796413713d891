"""CL903 rewritten-steps: writes that changed an already written (tag, step), counted."""

from __future__ import annotations

from coordlint.testing import check


def test_one_rewritten_point_in_one_tag_names_the_tag(resumed_run):
    run = resumed_run({"train/loss": {10: 1.0, 20: 0.9}}, {"train/loss": {20: 0.8, 30: 0.7}})
    (finding,) = check(run, "CL903")
    assert finding.message == (
        "1 point was rewritten in 1 tag (first: train/loss); the latest write of each step was kept"
    )
    assert (finding.tag, finding.severity.name) == ("train/loss", "INFO")
    assert finding.data == {"count": 1, "tags": 1}


def test_points_in_several_tags_are_summed_and_the_first_tag_named(resumed_run):
    first = {"train/loss": {10: 1.0, 20: 0.9, 30: 0.8}, "eval/loss": {20: 2.0, 30: 1.9}}
    second = {"train/loss": {20: 0.5, 30: 0.4}, "eval/loss": {30: 1.0}}
    (finding,) = check(resumed_run(first, second), "CL903")
    assert finding.message.startswith("3 points were rewritten in 2 tags (first: eval/loss); ")
    assert finding.tag is None  # several tags: the finding is about the run
    assert finding.data == {"count": 3, "tags": 2}


def test_a_repeated_step_with_the_same_value_is_not_a_rewrite(resumed_run):
    run = resumed_run({"train/loss": {10: 1.0, 20: 0.9}}, {"train/loss": {20: 0.9, 30: 0.7}})
    assert check(run, "CL903") == []
