"""CL604 reference-not-comparable: each reference left out of a run's comparison, and why."""

from __future__ import annotations

from coordlint.testing import check, make_reference, make_run

STEPS = range(100, 600, 100)
TEMP = "coord_soft_ce_w1.temperature"


def run(name, temperature=None):
    config = {} if temperature is None else {TEMP: temperature}
    return make_run({"eval/loss": dict.fromkeys(STEPS, 1.0)}, name=name, config=config)


def test_a_reference_with_another_temperature_is_left_out():
    refs = [make_reference(run("ref-hot", 2.0)), make_reference(run("ref-ok", 1.0))]
    (finding,) = check(run("cand", 1.0), "CL604", references=refs)
    assert finding.message == (
        "reference ref-hot is left out of this run's comparison: temperature is 2.0 there, "
        "1.0 here (1 reference left)"
    )
    assert finding.severity.name == "INFO"
    assert finding.data == {
        "reference": "ref-hot",
        "keys": TEMP,
        "reason": "temperature is 2.0 there, 1.0 here",
    }


def test_each_reference_left_out_is_one_finding_counting_those_left():
    refs = [make_reference(run(f"hot-{i}", 2.0)) for i in range(2)]
    refs += [make_reference(run(f"ok-{i}", 1.0)) for i in range(2)]
    found = check(run("cand", 1.0), "CL604", references=refs)
    assert [f.data["reference"] for f in found] == ["hot-0", "hot-1"]
    assert all(f.message.endswith("(2 references left)") for f in found)
    (alone,) = check(run("cand", 1.0), "CL604", references=refs[:1])
    assert alone.message.endswith("(0 references left)")


def test_comparable_references_say_nothing(outcomes):
    refs = [make_reference(run("ref", 1.0))]
    assert check(run("cand", 1.0), "CL604", references=refs) == []
    assert check(run("cand"), "CL604", references=refs) == []  # the run does not say
