"""CL601 outside-reference-envelope: what the finding says, on small hand-made references."""

from __future__ import annotations

import math

import pytest

from coordlint.testing import check, make_reference, make_run

STEPS = range(100, 1100, 100)
TAG = "eval/foo"  # no known direction: both sides count


def ref(name, value, tag=TAG, steps=STEPS):
    return make_reference(make_run({tag: dict.fromkeys(steps, value)}, name=name))


REFS = [ref("ref-a", 1.0), ref("ref-b", 1.01), ref("ref-c", 0.99)]
LATE = {700: 1.4, 800: 1.6, 900: 1.5, 1000: 1.45}


def candidate(values, tag=TAG, **tags):
    return make_run({tag: {s: values.get(s, 1.0) for s in STEPS}, **tags}, name="cand")


def test_the_finding_names_the_stretch_the_worst_eval_and_the_references():
    (finding,) = check(candidate(LATE), "CL601", references=REFS)
    assert finding.message == (
        "eval/foo is above the reference band for 4 evals from step 700: at step 800 it is 1.6, "
        "1.9 band half-widths above the references' median 1 (band 0.688–1.312; references "
        "there: ref-a 1, ref-b 1.01, ref-c 0.99): this run does not train like its references; "
        "check what changed (data, loss, trainer)"
    )
    assert (finding.severity.name, finding.tag, finding.step) == ("WARNING", TAG, 700)
    data = dict(finding.data)
    assert data.pop("low") == pytest.approx(0.688, abs=5e-4)
    assert data.pop("high") == pytest.approx(1.312, abs=5e-4)
    assert data.pop("deviation") == pytest.approx(0.6 / (1.312 - 1.0), rel=2e-3)
    assert data == {
        "first_step": 700,
        "evals_outside": 4,
        "worst_step": 800,
        "value": 1.6,
        "center": 1.0,
        "direction": "unknown",
        "references": 3,
        "reference_values": "ref-a 1, ref-b 1.01, ref-c 0.99",
    }
    assert finding.band is not None and finding.band.references == ("ref-a", "ref-b", "ref-c")
    assert list(finding.band.steps) == list(STEPS)
    assert finding.series is not None and len(finding.series) == len(STEPS)


def test_below_the_band_is_said_so():
    low = {s: 2 - v for s, v in LATE.items()}
    (finding,) = check(candidate(low), "CL601", references=REFS)
    assert "eval/foo is below the reference band for 4 evals from step 700: at step 800" in (
        finding.message
    )
    assert "band half-widths below the references' median 1 " in finding.message
    assert finding.data["deviation"] < -1


@pytest.mark.parametrize(("count", "word"), [(1, "value 1 "), (2, "mean 1.005 ")])
def test_the_center_is_the_value_or_the_mean_of_fewer_references(count, word):
    (finding,) = check(candidate(LATE), "CL601", references=REFS[:count])
    assert f"the references' {word}" in finding.message
    assert finding.data["references"] == count


def test_references_that_do_not_reach_the_step_are_left_out_there():
    short = ref("ref-c", 0.99, steps=range(100, 600, 100))
    (finding,) = check(candidate(LATE), "CL601", references=[*REFS[:2], short])
    assert finding.data["reference_values"] == "ref-a 1, ref-b 1.01"
    assert finding.data["references"] == 2
    assert "the references' mean 1.005 " in finding.message


def test_a_single_eval_outside_is_sustain_short_and_zero_sustain_is_one():
    spike = {800: 1.6}
    assert check(candidate(spike), "CL601", references=REFS) == []
    (finding,) = check(candidate(spike), "CL601", references=REFS, params={"CL601": {"sustain": 0}})
    assert (finding.step, finding.data["evals_outside"]) == (800, 1)


def test_several_stretches_count_every_eval_outside_from_the_first():
    values = {200: 1.6, 300: 1.6, 400: 1.6, 700: 1.5, 800: 1.7, 900: 1.5}
    (finding,) = check(candidate(values), "CL601", references=REFS)
    assert (finding.step, finding.data["evals_outside"]) == (200, 6)
    assert finding.data["worst_step"] == 800


def test_only_eval_tags_outside_the_ignore_globs_are_judged():
    refs = [
        make_reference(
            make_run({t: dict.fromkeys(STEPS, 1.0) for t in (TAG, "train/foo", "eval/runtime")})
        )
    ]
    far = dict.fromkeys(STEPS, 3.0)
    run = make_run({"train/foo": far, "eval/runtime": far, TAG: far}, name="cand")
    assert [f.tag for f in check(run, "CL601", references=refs)] == [TAG]
    only = {"CL601": {"ignore": ["eval/f*"]}}  # replaces the default globs
    assert [f.tag for f in check(run, "CL601", references=refs, params=only)] == ["eval/runtime"]


def test_non_finite_evals_are_left_out_of_the_comparison():
    values = dict(LATE) | {900: math.nan}
    (finding,) = check(candidate(values), "CL601", references=REFS)
    assert finding.data["evals_outside"] == 3


def test_a_tag_no_reference_logs_is_not_judged():
    run = candidate({}, **{"eval/bar": dict.fromkeys(STEPS, 9.0)})
    assert check(run, "CL601", references=REFS) == []


def test_a_run_outside_every_references_steps_is_not_judged():
    run = make_run({TAG: dict.fromkeys(range(2000, 2500, 100), 9.0)}, name="cand")
    assert check(run, "CL601", references=REFS) == []
