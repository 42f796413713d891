"""Issue 17's acceptance: five healthy references with different seeds and eval grids, then
candidates that are healthy, settle higher, confine late, end worse, or were trained at another
temperature; and the one-reference (golden value) case with rtol/atol."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from _coord_runs import BIN_MAE, MASS, SOFT_CE, Draw, write_coord_run

import coordlint
from coordlint.testing import write_events

CL60 = ["CL601", "CL602", "CL603", "CL604"]


def check(
    run: Path, references: list[Path], select: list[str] = CL60, **params: dict
) -> coordlint.Report:
    """The CL60x outcome of ``run`` against ``references``, with ``params`` from a config."""
    if not params:
        return coordlint.check(run, select=select, isolated=True, references=references)
    lines = ["params:"]
    for code, values in params.items():
        lines += [f"  {code}:", *(f"    {k}: {v!r}" for k, v in values.items())]
    config = run.parent / "coordlint.yaml"
    config.write_text("\n".join(lines) + "\n")
    return coordlint.check(run, select=select, config=config, references=references)


def found(report: coordlint.Report) -> list[tuple[str, str | None]]:
    return sorted((f.code, f.tag) for f in report.findings)


def test_a_healthy_candidate_passes_every_reference_rule(reference_file, candidate):
    report = check(candidate("healthy", seed=1000, eval_every=50), [reference_file])
    assert report.findings == []
    statuses = {o.code: o.status for o in report.outcomes}
    assert statuses == dict.fromkeys(CL60, "passed")  # judged, not skipped


def test_a_bin_mae_that_settles_20_percent_higher_leaves_the_band(reference_file, candidate):
    report = check(candidate("mae", seed=1001, eval_every=50, bin_mae_scale=1.2), [reference_file])
    outside = [f for f in report.findings if f.code == "CL601"]
    assert [f.tag for f in outside] == [BIN_MAE]  # that tag only
    (finding,) = outside
    assert finding.data["direction"] == "lower" and finding.data["deviation"] > 1
    assert finding.data["references"] == 5 and finding.data["evals_outside"] >= 3
    assert finding.band is not None and finding.step >= 500  # it settles, then stays above


def test_late_confinement_is_slower_than_the_references(reference_file, candidate):
    report = check(candidate("late", seed=1002, eval_every=50, confine_delay=4.0), [reference_file])
    (slow,) = [f for f in report.findings if f.code == "CL602"]
    assert slow.tag == MASS and slow.data["milestone"] == "confinement"
    assert slow.data["reached_step"] > slow.data["limit"] > slow.data["references_mean"]
    assert slow.data["threshold"] == 0.99


def test_a_soft_ce_that_decays_slowly_is_slower_than_the_references(reference_file, candidate):
    slow = check(candidate("slow", seed=1010, eval_every=50, soft_ce_slow=3.0), [reference_file])
    late = [f for f in slow.findings if f.code == "CL602"]
    assert [f.data["milestone"] for f in late] == ["soft_ce"]


def _decay(final: float, tau: float) -> dict[int, float]:
    return {s: final + (5.6 - final) * math.exp(-s / tau) for s in range(50, 2001, 50)}


def test_a_soft_ce_that_ends_higher_at_the_same_speed_is_not_slower(tmp_path):
    """Five tight references reach 5% above their final level (3.63) at step ~470. A run that
    ends 4% higher at their speed would crawl to that level until step ~800 (a level, CL601 and
    CL603's business); it reaches 5% above its own end at step ~470, in time."""
    refs = []
    for i, tau in enumerate((195.0, 200.0, 205.0, 198.0, 202.0)):
        write_events(tmp_path / f"ref-{i}", {SOFT_CE: _decay(3.63, tau)})
        refs.append(tmp_path / f"ref-{i}")
    write_events(tmp_path / "higher", {SOFT_CE: _decay(3.63 * 1.04, 200.0)})
    write_events(tmp_path / "slower", {SOFT_CE: _decay(3.63, 320.0)})
    assert check(tmp_path / "higher", refs, ["CL602"]).findings == []
    (late,) = check(tmp_path / "slower", refs, ["CL602"]).findings
    assert late.data["milestone"] == "soft_ce"
    assert late.data["threshold"] == pytest.approx(3.63 * 1.05, rel=2e-3)


def test_a_soft_ce_that_ends_worse_is_below_the_references_at_the_end(reference_file, candidate):
    run = candidate("end", seed=1003, eval_every=50, soft_ce_end_rise=0.15)
    report = check(run, [reference_file])
    assert found(report) == [("CL603", SOFT_CE)]  # two evals outside: not CL601's sustain of 3
    (end,) = report.findings
    assert end.step == 2000 and end.data["final"] > end.data["worst_reference"]
    assert end.data["excess"] > 1


def test_a_reference_at_another_temperature_is_left_out(reference_runs, candidate, tmp_path):
    hot = write_coord_run(tmp_path / "ref-hot", Draw(seed=105, eval_every=50, temperature=2.0))
    report = check(candidate("healthy", seed=1004, eval_every=50), [*reference_runs, hot])
    (left,) = [f for f in report.findings if f.code == "CL604"]
    assert left.data["reference"].endswith("ref-hot") and "temperature" in left.data["keys"]
    assert "temperature is 2.0 there, 1.0 here" in left.message
    # Its soft-CE floor is 0.4 higher: judged with it, the band would have moved; left out, the
    # five healthy references pass the run.
    assert [f.code for f in report.findings] == ["CL604"]


def test_a_candidate_at_another_temperature_has_no_comparable_reference(reference_file, candidate):
    report = check(candidate("hot", seed=1005, eval_every=50, temperature=2.0), [reference_file])
    assert [f.code for f in report.findings] == ["CL604"] * 5
    skipped = {o.code: o.reason for o in report.outcomes if o.status == "skipped"}
    assert set(skipped) == {"CL601", "CL602", "CL603"}
    assert all("no reference run is comparable" in reason for reason in skipped.values())


def test_without_references_the_reference_rules_are_not_applicable(candidate):
    report = coordlint.check(candidate("alone", seed=1006), select=CL60, isolated=True)
    assert report.findings == []
    reasons = {o.code: o.reason for o in report.outcomes}
    assert reasons == dict.fromkeys(CL60, "no reference runs (check --reference FILE_OR_RUN)")


def test_references_given_as_runs_judge_as_their_file(reference_runs, reference_file, candidate):
    run = candidate("mae", seed=1007, eval_every=60, bin_mae_scale=1.2)
    from_file = check(run, [reference_file]).findings
    from_runs = check(run, reference_runs).findings
    assert [(f.code, f.tag, f.step, f.data) for f in from_file] == [
        (f.code, f.tag, f.step, f.data) for f in from_runs
    ]
    assert from_file  # the comparison is about something


# -- one reference: a golden value, rtol/atol only ------------------------------------------
def _golden(tmp_path: Path, name: str, values: dict) -> Path:
    """A run of ``eval/loss`` ``{step: value}``, or of several ``{leaf: {step: value}}``."""
    first = next(iter(values.values()))
    scalars = {f"eval/{k}": v for k, v in values.items()} if isinstance(first, dict) else None
    write_events(tmp_path / name, scalars or {"eval/loss": values})
    return tmp_path / name


STEPS = range(100, 1100, 100)
ONLY = ["CL601"]


def test_one_reference_is_a_golden_value_with_rtol(tmp_path):
    ref = _golden(tmp_path, "golden", dict.fromkeys(STEPS, 1.0))
    # rtol 0.25 of 1.0: the band is 0.75..1.25 (binary-exact, as float32 stores them).
    edge = _golden(tmp_path, "edge", dict.fromkeys(STEPS, 1.25))
    over = _golden(tmp_path, "over", {s: (1.3125 if s >= 800 else 1.0) for s in STEPS})
    twice = _golden(tmp_path, "twice", {s: (1.3125 if s >= 900 else 1.0) for s in STEPS})
    params = {"CL601": {"rtol": 0.25}}
    assert check(edge, [ref], ONLY, **params).findings == []  # on the edge is inside
    (finding,) = check(over, [ref], ONLY, **params).findings
    assert (finding.code, finding.step, finding.data["evals_outside"]) == ("CL601", 800, 3)
    assert finding.data["low"] == 0.75 and finding.data["high"] == 1.25
    assert finding.data["deviation"] == pytest.approx(1.25)  # 0.3125 / 0.25
    assert check(twice, [ref], ONLY, **params).findings == []  # two evals: under sustain
    sustain2 = {"rtol": 0.25, "sustain": 2}
    assert check(twice, [ref], ONLY, CL601=sustain2).findings[0].step == 900
    # CL603 judges the last eval with the same band: on its edge is no alarm, past it is.
    end = {"CL603": {"rtol": 0.25}}
    assert check(edge, [ref], ["CL603"], **end).findings == []
    (last,) = check(over, [ref], ["CL603"], **end).findings
    assert last.data["final"] == 1.3125 and last.data["half_width"] == 0.25


def test_one_reference_with_atol_and_a_tag_override(tmp_path):
    ref = _golden(tmp_path, "golden", dict.fromkeys(STEPS, 1.0))
    run = _golden(tmp_path, "run", dict.fromkeys(STEPS, 1.0625))
    # The default rtol (2%) is the whole band: 1.0625 is outside it at every eval.
    (default,) = check(run, [ref], ONLY).findings
    assert default.data["high"] == pytest.approx(1.02) and default.data["evals_outside"] == 10
    assert check(run, [ref], ONLY, CL601={"atol": 0.125}).findings == []
    overrides = {"eval/*": {"atol": 0.125}}
    assert check(run, [ref], ONLY, CL601={"tag_overrides": overrides}).findings == []
    other = {"eval/other": {"atol": 0.125}}
    assert len(check(run, [ref], ONLY, CL601={"tag_overrides": other}).findings) == 1


def test_a_better_run_is_never_outside_a_known_direction_but_an_unknown_tag_is(tmp_path):
    ref = _golden(tmp_path, "golden", {t: dict.fromkeys(STEPS, 1.0) for t in ("loss", "foo")})
    run = _golden(tmp_path, "run", {t: dict.fromkeys(STEPS, 0.5) for t in ("loss", "foo")})
    (finding,) = check(run, [ref], ONLY).findings  # eval/loss is lower-better: 0.5 is no alarm
    assert finding.tag == "eval/foo" and finding.data["direction"] == "unknown"
    assert "below the reference band" in finding.message
