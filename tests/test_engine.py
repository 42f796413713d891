"""The engine: selection, stamping, severities, not-applicable, isolation of crashing rules."""

from __future__ import annotations

import math

import pytest

import coordlint
from coordlint.core import engine
from coordlint.core.config import Settings, Suppression
from coordlint.core.plugins import load_plugins
from coordlint.errors import ConfigError
from coordlint.testing import make_run


@coordlint.rule("TM001", "final-eval-loss-high", severity="warning", params={"max_loss": 1.0})
def final_eval_loss_high(run, params):
    """Final eval loss is above the team's bar."""
    s = run.series("eval/loss")
    if len(s) and s.iloc[-1] > params["max_loss"]:
        yield coordlint.Finding(
            f"final eval/loss {s.iloc[-1]:.3f} > {params['max_loss']}",
            tag="eval/loss",
            step=int(s.index[-1]),
            data={"final": s.iloc[-1]},
        )


@coordlint.rule("TM002", "always-crashes", severity="info")
def always_crashes(run, params):
    """Crashes."""
    raise ZeroDivisionError("boom")


@coordlint.rule("TM003", "graded", severity="info")
def graded(run, params):
    """Sets its own severity on one finding."""
    yield coordlint.Finding("plain")
    yield coordlint.Finding("serious", severity=coordlint.Severity.ERROR)


@coordlint.rule("TM010", "pairs", scope="runs")
def pairs(runs, params):
    """A cross-run rule."""
    if len(runs) < 2:
        raise coordlint.NotApplicable("needs two runs")
    yield coordlint.Finding("second run differs", run=runs[1].name, data={"n": len(runs)})


RULES = {r.code: r for r in (final_eval_loss_high, always_crashes, graded, pairs)}


def _check(runs, **settings):
    s = Settings(**settings)
    s.validate(RULES)
    return engine.check(runs, RULES, s)


def test_findings_are_stamped_with_code_name_run_and_configured_severity():
    run = make_run({"eval/loss": {10: 2.0, 20: 1.5}}, name="r1")
    report = _check([run], select=["TM001"])
    (f,) = report.findings
    assert (f.code, f.rule, f.run, f.severity) == (
        "TM001",
        "final-eval-loss-high",
        "r1",
        coordlint.Severity.WARNING,
    )
    assert f.step == 20 and f.tag == "eval/loss" and f.data == {"final": 1.5}
    assert isinstance(f.data["final"], float)


def test_params_override_and_severity_override():
    run = make_run({"eval/loss": {10: 2.0, 20: 1.5}})
    assert _check([run], select=["TM001"], params={"TM001": {"max_loss": 2.0}}).findings == []
    report = _check([run], select=["TM001"], severity={"TM001": coordlint.Severity.ERROR})
    assert report.findings[0].severity == coordlint.Severity.ERROR
    assert report.exit_code == 1


def test_missing_tag_is_not_applicable():
    run = make_run({"train/loss": {1: 1.0}})
    report = _check([run], select=["TM001"])
    (outcome,) = report.outcomes
    assert outcome.status == "skipped" and "eval/loss" in outcome.reason
    assert report.findings == []


def test_crashing_rule_becomes_cl900_and_others_still_run():
    run = make_run({"eval/loss": {1: 5.0}})
    report = _check([run], select=["TM"])
    codes = sorted(f.code for f in report.findings)
    assert codes == ["CL900", "TM001", "TM003", "TM003"]
    crash = next(f for f in report.findings if f.code == "CL900")
    assert crash.severity == coordlint.Severity.ERROR
    assert crash.data["rule"] == "TM002" and crash.data["exception"] == "ZeroDivisionError"
    assert "boom" in crash.message
    assert "ZeroDivisionError" in report.tracebacks[id(crash)]


def test_a_finding_may_set_its_own_severity_unless_config_overrides_it():
    run = make_run({"x": {1: 1.0}})
    severities = [f.severity for f in _check([run], select=["TM003"]).findings]
    assert severities == [coordlint.Severity.INFO, coordlint.Severity.ERROR]
    forced = _check([run], select=["TM003"], severity={"TM003": coordlint.Severity.WARNING})
    assert {f.severity for f in forced.findings} == {coordlint.Severity.WARNING}


def test_cross_run_rule_names_its_run_and_is_skipped_on_one_run():
    a, b = make_run({"x": {1: 1.0}}, name="a"), make_run({"x": {1: 1.0}}, name="b")
    report = _check([a, b], select=["TM010"])
    assert [(f.run, f.code) for f in report.findings] == [("b", "TM010")]
    assert {o.run: o.status for o in report.outcomes} == {"a": "passed", "b": "passed"}
    single = _check([a], select=["TM010"])
    assert [o.status for o in single.outcomes] == ["skipped"]


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        (["ALL"], [], ["TM001", "TM002", "TM003", "TM010"]),
        (["TM0"], ["TM00"], ["TM010"]),
        (["TM001"], ["TM"], ["TM001"]),  # the more specific select wins
        (["TM"], ["TM001"], ["TM002", "TM003", "TM010"]),
        (["TM001"], ["TM001"], []),  # a tie goes to ignore
        (["T"], ["ALL"], ["TM001", "TM002", "TM003", "TM010"]),  # a 1-letter prefix beats ALL
        (["ALL"], ["T"], []),
        (["", " tm01 "], [], ["TM010"]),  # blank entries skipped; entries stripped, upper-cased
        (["tm001", "", "TM002"], [], ["TM001", "TM002"]),  # ... and what follows one is kept
        ([], [], []),  # nothing selected: nothing runs
    ],
)
def test_select_ignore_longest_match_wins(select, ignore, expected):
    s = Settings(select=select, ignore=ignore)
    s.validate(RULES)
    assert [r.code for r in engine.select_rules(RULES, s)] == expected


def test_unknown_code_in_select_is_a_config_error():
    with pytest.raises(ConfigError, match="XX9"):
        Settings(select=["XX9"]).validate(RULES)


def test_non_finite_evidence_is_spelled_not_emitted_as_nan():
    @coordlint.rule("TM020", "nan-data")
    def nan_data(run, params):
        """Evidence holding NaN."""
        yield coordlint.Finding("x", data={"v": math.nan, "w": 1})

    run = make_run({"x": {1: 1.0}})
    findings = engine.check([run], {"TM020": nan_data}, Settings()).findings
    assert findings[0].data == {"v": "nan", "w": 1}


def test_rule_decorator_rejects_bad_codes_and_names():
    with pytest.raises(ValueError, match="capital letters"):
        coordlint.rule("tm1", "x")
    with pytest.raises(ValueError, match="kebab-case"):
        coordlint.rule("TM001", "Bad Name")


def test_rules_run_on_each_run_as_it_arrives_and_cross_run_rules_see_all():
    """A run's own rules run before the next run is even asked for (with ``--jobs``, while the
    workers decode it); the report is the same as from a list."""
    events: list[str] = []

    @coordlint.rule("TM030", "record", severity="info")
    def record(run, params):
        """Notes when it saw a run."""
        events.append(f"rule {run.name}")
        yield coordlint.Finding(f"saw {run.name}")

    rules = {"TM030": record, "TM010": pairs}
    runs = [make_run({"eval/loss": {1: 1.0}}, name=f"r{i}") for i in range(3)]

    def arriving():
        for run in runs:
            events.append(f"load {run.name}")
            yield run

    streamed = engine.check(arriving(), rules, Settings())
    assert events == ["load r0", "rule r0", "load r1", "rule r1", "load r2", "rule r2"]
    listed = engine.check(runs, rules, Settings())
    assert [(f.run, f.code, f.message) for f in streamed.findings] == [
        (f.run, f.code, f.message) for f in listed.findings
    ]
    assert ("r1", "TM010") in {(f.run, f.code) for f in streamed.findings}
    assert [r.name for r in streamed.runs] == ["r0", "r1", "r2"]


def _crashing_rule():
    @coordlint.rule("TM050", "crashes", severity="info")
    def crashes(run):
        raise RuntimeError("boom")

    return crashes


@pytest.mark.parametrize(
    "config",
    [
        {"select": ["CL900"]},
        {"ignore": ["CL900"]},
        {"extend_ignore": [" cl900 "]},
        {"severity": {"CL900": coordlint.Severity.INFO}},
        {"params": {"CL900": {}}},
    ],
)
def test_cl900_is_the_engines_own_finding_and_cannot_be_configured(config):
    rules = load_plugins(autoload=False).rules
    assert "CL900" not in rules  # not a rule: nothing to select
    settings = Settings(**config)
    with pytest.raises(ConfigError, match="CL900 is coordlint's own finding"):
        settings.validate(rules)


def test_cl900_survives_prefix_ignores_baselines_and_suppressions():
    crash = _crashing_rule()
    rules = {**load_plugins(autoload=False).rules, "TM050": crash}
    settings = Settings(ignore=["CL9"], severity={"TM050": coordlint.Severity.INFO})
    settings.suppressions = [Suppression("ALL", "*", "we ignore everything")]
    settings.validate(rules)
    report = engine.check(
        [make_run({"eval/loss": {1: 1.0}})], rules, settings, suppress=[lambda f: "baseline"]
    )
    (finding,) = report.findings
    assert (finding.code, finding.severity, finding.data["rule"]) == (
        "CL900",
        coordlint.Severity.ERROR,
        "TM050",
    )
    assert report.exit_code == 1
    # In JUnit the crash is the failure of the crashed rule's testcase; no CL900 testcase.
    outcomes = {o.code: o for o in report.outcomes}
    assert "CL900" not in outcomes and outcomes["TM050"].status == "failed"


@coordlint.rule("TM040", "sees-whole", severity="info", whole_run=True)
def sees_whole(run):
    """Reports the last step of eval/loss and what config key ``k`` holds."""
    yield coordlint.Finding(f"{run.last_step('eval/loss')} {run.config.get('k')}")


@coordlint.rule("TM041", "sees-gated", severity="info")
def sees_gated(run):
    """Reports the last step of eval/loss."""
    yield coordlint.Finding(f"{run.last_step('eval/loss')}")


def test_a_whole_run_rule_sees_every_point_of_a_gated_run_with_a_hidden_config_key():
    """A config key of the wrong type is hidden from the rules (CL901); the gated run keeps
    both views: the checkpoint's cut for most rules, every point for ``whole_run`` rules."""
    checkpoint = coordlint.Checkpoint("out/checkpoint-20", 20, "name")
    run = make_run(
        {"eval/loss": {10: 1.0, 20: 0.9, 30: 0.8}}, config={"k": "text"}, checkpoint=checkpoint
    )
    rules = {"TM040": sees_whole, "TM041": sees_gated}
    for types in ({}, {"k": float}):
        report = engine.check([run], rules, Settings(), config_types=types)
        hidden = "None" if types else "text"
        assert [f.message for f in report.findings] == [f"30 {hidden}", "20"]
