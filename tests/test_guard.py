"""Rules cannot defeat the gate: time limits, escapes, stdout, malformed findings, read-only data.

Issue 15, items 2 (a plugin rule that never returns) and 7 (plugins defeating the gate).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import coordlint
from coordlint.cli import cli
from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.core.guard import RuleGuard, RuleTimeout
from coordlint.core.plugins import load_plugins
from coordlint.testing import make_run, write_events

REPO = Path(__file__).resolve().parents[1]


def _check(runs, rules, **settings):
    s = Settings(**settings)
    table = {r.code: r for r in rules}
    s.validate(table)
    return engine.check(runs, table, s)


def _by_code(report):
    return {f.code: f for f in report.findings}


@coordlint.rule("TM001", "spins")
def spins(run, params):
    while True:
        pass


@coordlint.rule("TM002", "sleeps")
def sleeps(run, params):
    time.sleep(1000)


@coordlint.rule("TM003", "backtracks")
def backtracks(run, params):
    """A catastrophic regex: C code that holds the GIL, but checks for signals."""
    re.match(r"(a+)+$", "a" * 60 + "b")


@coordlint.rule("TM004", "finishes")
def finishes(run, params):
    yield coordlint.Finding("done", tag="train/loss")


@coordlint.rule("TM005", "swallows-once")
def swallows_once(run, params):
    try:
        while True:
            pass
    except BaseException:
        return [coordlint.Finding("finished after all")]


def test_a_rule_that_never_returns_is_cl900_and_the_others_finish():
    run = make_run({"train/loss": {1: 1.0}})
    start = time.monotonic()
    report = _check([run], [spins, sleeps, backtracks, finishes], rule_timeout=0.3)
    elapsed = time.monotonic() - start
    assert elapsed < 5  # three stopped rules, 0.3 s each
    errors = [f for f in report.findings if f.code == "CL900"]
    assert sorted(f.data["rule"] for f in errors) == ["TM001", "TM002", "TM003"]
    for f in errors:
        assert f.data["exception"] == "RuleTimeout" and f.data["timeout"] == 0.3
        assert "did not finish within its time limit of 0.3 s (--rule-timeout)" in f.message
        assert f.message.endswith("and was stopped")
        assert "RuleTimeout" in report.tracebacks[id(f)]  # where it was stopped, for --debug
    assert [f.message for f in report.findings if f.code == "TM004"] == ["done"]
    assert report.exit_code == 1


def test_a_rule_that_swallows_the_interrupt_and_returns_late_is_still_timed_out():
    report = _check([make_run({"x": {1: 1.0}})], [swallows_once], rule_timeout=0.2)
    (finding,) = report.findings
    assert finding.code == "CL900" and finding.data["exception"] == "RuleTimeout"


def test_no_time_limit_with_zero_and_a_fast_rule_is_untouched():
    report = _check([make_run({"train/loss": {1: 1.0}})], [finishes], rule_timeout=0)
    assert [f.code for f in report.findings] == ["TM004"]


def test_off_the_main_thread_a_hung_rule_is_given_up_on():
    """The Python API from a worker thread: no signals there, the rule runs in a daemon thread."""
    reports = []

    def worker():
        reports.append(_check([make_run({"x": {1: 1.0}})], [spins, sleeps], rule_timeout=0.3))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    by_rule = {f.data["rule"]: f for f in reports[0].findings}
    assert by_rule["TM001"].message.endswith("and was stopped")  # a Python loop sees the raise
    assert by_rule["TM002"].message.endswith("and was abandoned")  # time.sleep does not


def test_a_rule_that_keeps_catching_the_interrupt_ends_the_process_with_exit_2(tmp_path):
    script = tmp_path / "stubborn.py"
    script.write_text(
        textwrap.dedent(
            """
            from coordlint.core.guard import RuleGuard

            def stubborn():
                while True:
                    try:
                        while True:
                            pass
                    except BaseException:
                        pass

            with RuleGuard(timeout=0.2, grace=0.5) as guard:
                guard.call(stubborn, "TM009 stubborn")
            print("not reached")
            """
        )
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "not reached" not in out.stdout
    assert "rule TM009 stubborn still running" in out.stderr
    assert "after its time limit of 0.2 s (it catches the interrupt)" in out.stderr


def test_the_guard_restores_the_signal_handlers_and_leaves_no_alarm():
    before = (signal.getsignal(signal.SIGALRM), signal.getsignal(signal.SIGINT))
    with RuleGuard(timeout=5) as guard:
        assert guard.call(lambda: 42, "TM000 x").value == 42
        assert signal.getsignal(signal.SIGALRM) != before[0]
    assert (signal.getsignal(signal.SIGALRM), signal.getsignal(signal.SIGINT)) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_someone_elses_pending_alarm_is_left_alone():
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        with RuleGuard(timeout=0.2) as guard:
            result = guard.call(lambda: time.sleep(5), "TM002 sleeps")
        assert result.timed_out and result.abandoned  # the thread path served instead
        assert 25 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


# -- escapes ------------------------------------------------------------------------------


@coordlint.rule("TM011", "exits")
def exits(run, params):
    sys.exit(0)


@coordlint.rule("TM012", "interrupts")
def interrupts(run, params):
    raise KeyboardInterrupt


@coordlint.rule("TM013", "generator-exit")
def generator_exit(run, params):
    yield coordlint.Finding("first")
    raise GeneratorExit


@coordlint.rule("TM014", "runs-exit", scope="runs")
def runs_exit(runs, params):
    raise SystemExit(3)


def test_base_exceptions_from_rules_are_cl900_not_an_exit():
    report = _check(
        [make_run({"x": {1: 1.0}}, name="a"), make_run({"x": {1: 1.0}}, name="b")],
        [exits, interrupts, generator_exit, runs_exit],
    )
    errors = {f.data["rule"]: f for f in report.findings}
    assert set(errors) == {"TM011", "TM012", "TM013", "TM014"}
    assert all(f.code == "CL900" for f in report.findings)
    assert errors["TM011"].message == "rule TM011 exits raised SystemExit: 0"
    assert errors["TM012"].message == "rule TM012 interrupts raised KeyboardInterrupt"
    assert errors["TM013"].message == "rule TM013 generator-exit raised GeneratorExit"
    assert errors["TM014"].message == "rule TM014 runs-exit raised SystemExit: 3"
    assert report.exit_code == 1


@coordlint.rule("TM015", "real-ctrl-c")
def real_ctrl_c(run, params):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)


def test_a_real_ctrl_c_while_a_rule_runs_still_stops_the_check():
    with pytest.raises(KeyboardInterrupt):
        _check([make_run({"x": {1: 1.0}})], [real_ctrl_c, finishes])


# -- through the command line -------------------------------------------------------------

HOSTILE = """
import sys, time
import coordlint

@coordlint.rule("TM021", "prints")
def prints(run, params):
    print("not a report")
    sys.stdout.write("[1, 2]\\n")
    yield coordlint.Finding("printed", tag="train/loss")

@coordlint.rule("TM022", "exits-zero")
def exits_zero(run, params):
    sys.exit(0)

@coordlint.rule("TM023", "hangs")
def hangs(run, params):
    time.sleep(600)

@coordlint.hookimpl
def coordlint_rules():
    return [prints, exits_zero, hangs]
"""


@pytest.fixture
def hostile(tmp_path):
    write_events(tmp_path / "run", {"train/loss": {1: 2.0, 2: 1.5}})
    plugin = tmp_path / "hostile_rules.py"
    plugin.write_text(HOSTILE)
    return tmp_path / "run", plugin


def test_cli_json_stays_valid_and_the_gate_holds(hostile):
    run, plugin = hostile
    args = ["check", "--isolated", "--plugin", str(plugin), str(run), "-f", "json"]
    result = CliRunner().invoke(cli, [*args, "--rule-timeout", "0.5"])
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)  # the prints did not land in the report
    assert "not a report" in result.stderr and "[1, 2]" in result.stderr
    codes = sorted((f["code"], f["data"].get("rule", "")) for f in doc["findings"])
    assert codes == [("CL900", "TM022"), ("CL900", "TM023"), ("TM021", "")]
    assert "Traceback" not in result.output


def test_rule_timeout_option_and_config_key(hostile, tmp_path):
    run, plugin = hostile
    config = tmp_path / "coordlint.yaml"
    config.write_text("rule-timeout: 0.25\nselect: [TM023]\n")
    args = ["check", "--plugin", str(plugin), "--config", str(config), str(run), "-f", "json"]
    found = json.loads(CliRunner().invoke(cli, args).stdout)["findings"]
    assert [f["data"]["timeout"] for f in found] == [0.25]
    found = json.loads(CliRunner().invoke(cli, [*args, "--rule-timeout", "0.5"]).stdout)
    assert [f["data"]["timeout"] for f in found["findings"]] == [0.5]  # the option wins
    for bad in ("-1", "nan", "inf", "soon"):
        result = CliRunner().invoke(cli, [*args, "--rule-timeout", bad])
        assert result.exit_code == 2 and "is not a number of seconds" in result.output
    config.write_text("rule-timeout: -1\n")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert f"{config}:1: rule-timeout: must be a number of seconds" in result.output


def test_a_hung_rule_in_a_real_process_ends_with_the_report(hostile):
    run, plugin = hostile
    out = subprocess.run(
        [
            *(sys.executable, "-m", "coordlint", "check", "--isolated", "--plugin", str(plugin)),
            *(str(run), "-f", "json", "--rule-timeout", "1", "--select", "TM023,TM021"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert out.returncode == 1, out.stderr
    findings = json.loads(out.stdout)["findings"]
    assert [(f["code"], f["data"].get("rule")) for f in findings] == [
        ("TM021", None),
        ("CL900", "TM023"),
    ]


# -- what a rule returns ------------------------------------------------------------------


@coordlint.rule("TM031", "int-tag")
def int_tag(run, params):
    yield coordlint.Finding("tagged", tag=5)


@coordlint.rule("TM032", "word-series")
def word_series(run, params):
    yield coordlint.Finding("words", series=["a", "b"])


@coordlint.rule("TM033", "word-steps")
def word_steps(run, params):
    yield coordlint.Finding("steps", series={"one": 1.0, "two": 2.0})


@coordlint.rule("TM034", "bad-step")
def bad_step(run, params):
    yield coordlint.Finding("half a step", step=1.5)


@coordlint.rule("TM035", "good-series")
def good_series(run, params):
    yield coordlint.Finding("list", series=[3.0, float("nan"), 1])
    yield coordlint.Finding("dict", series={20: 2.0, 10: 1.0}, step=10)
    yield coordlint.Finding("series", series=run.series("x"), tag="x")


def test_malformed_findings_are_refused_with_a_cl900_naming_the_rule():
    report = _check([make_run({"x": {1: 1.0}})], [int_tag, word_series, word_steps, bad_step])
    messages = {f.data["rule"]: f.message for f in report.findings}
    assert all(f.code == "CL900" for f in report.findings)
    assert messages["TM031"] == (
        "rule TM031 int-tag raised TypeError: a finding's tag must be a string, got int"
    )
    assert (
        "TM032 word-series raised TypeError: a finding's series values must be numbers"
        in (messages["TM032"])
    )
    assert "series steps must be numbers" in messages["TM033"]
    assert "a finding's step must be an integer, got 1.5" in messages["TM034"]


def test_numeric_series_are_kept_as_float_series_by_step():
    report = _check([make_run({"x": {1: 1.0, 2: 4.0}})], [good_series])
    listed, mapped, series = (f.series for f in report.findings)
    assert list(listed.index) == [0, 1, 2] and str(listed.dtype) == "float64"
    assert list(mapped.index) == [10, 20] and list(mapped) == [1.0, 2.0]  # sorted by step
    assert list(series.items()) == [(1, 1.0), (2, 4.0)]


# -- read-only data -----------------------------------------------------------------------


@coordlint.rule("TM041", "vandal")
def vandal(run, params):
    """Writes into everything it can reach, then reports nothing."""
    own = run.series("train/loss")
    own.iloc[:] = 0.0  # its own copy
    run.config["training"]["save_steps"] = -1
    params["metrics"].append("w1")
    run._data.columns["train/loss"].values[:] = 0.0  # the private store: refused
    return []


@coordlint.rule("TM042", "reader", params={"metrics": ["soft_ce"]})
def reader(run, params):
    yield coordlint.Finding(
        f"metrics {params['metrics']}",
        data={
            "save_steps": run.config.get("training")["save_steps"],
            "first": float(run.series("train/loss").iloc[0]),
        },
    )


def test_a_rule_that_writes_into_what_it_read_changes_nothing_for_later_rules():
    vandal_with_metrics = coordlint.rule("TM041", "vandal", params={"metrics": ["soft_ce"]})(
        vandal.check
    )
    run = make_run(
        {"train/loss": {1: 2.0, 2: float("nan")}},
        config={"training": {"save_steps": 100}},
    )
    rules = [vandal_with_metrics, reader, *coordlint_builtin("CL902")]
    report = _check([run, run], rules)
    errors = [f for f in report.findings if f.code == "CL900"]
    assert len(errors) == 2 and "read-only" in errors[0].message
    readings = [f for f in report.findings if f.code == "TM042"]
    assert [f.data for f in readings] == [{"save_steps": 100, "first": 2.0}] * 2
    assert [f.message for f in readings] == ["metrics ['soft_ce']"] * 2
    assert len([f for f in report.findings if f.code == "CL902"]) == 2  # the NaN is still there


def coordlint_builtin(code):
    return [load_plugins(autoload=False).rules[code]]


def test_rule_timeout_is_a_base_exception():
    assert not issubclass(RuleTimeout, Exception)


@coordlint.rule("TM051", "endless")
def endless(run, params):
    while True:
        yield coordlint.Finding("again")


def test_a_rule_that_yields_without_end_is_stopped_at_the_findings_limit():
    report = _check([make_run({"x": {1: 1.0}})], [endless], rule_timeout=30)
    (finding,) = report.findings
    assert finding.code == "CL900"
    assert finding.message == (
        f"rule TM051 endless raised RuntimeError: more than {engine.MAX_FINDINGS} findings on "
        "one run; stopped reading them"
    )


def test_a_time_limit_beyond_years_is_no_limit():
    report = _check([make_run({"train/loss": {1: 1.0}})], [finishes], rule_timeout=1e300)
    assert [f.code for f in report.findings] == ["TM004"]


def test_an_interrupt_lost_in_a_finalizer_is_not_printed():
    seen = []
    previous, sys.unraisablehook = sys.unraisablehook, seen.append
    try:
        with RuleGuard(timeout=5):

            class Info:
                exc_value = RuleTimeout()

            class Other:
                exc_value = ValueError("kept")

            sys.unraisablehook(Info())
            sys.unraisablehook(Other())
        assert [type(i.exc_value) for i in seen] == [ValueError]
        assert sys.unraisablehook == seen.append  # restored
    finally:
        sys.unraisablehook = previous
