"""Names from the data cannot act on the output channel, in any format (issue 15, items 4-7).

A tag, run directory or message may hold newlines, terminal escapes, GitHub workflow commands
(``::error ::`` at a line start, ``##[cmd]`` anywhere), bytes that are not UTF-8 or lone
surrogates. Every format must still write valid UTF-8 with none of them acting.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import coordlint
from coordlint.cli import cli
from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.core.plugins import load_plugins
from coordlint.formatters import html_format, junit_format, text_format
from coordlint.formatters.safe_text import json_safe, no_commands, printable
from coordlint.testing import make_run, write_events

FORMATS = ("text", "json", "junit", "github", "gitlab", "sarif", "markdown", "html")
HOSTILE_TAG = "x\n::error ::pwned\x1b[2J\x1b]0;title\x07 ##[add-mask]secret \u202eevil"
HOSTILE_RUN = "##[group]g\x1b[31m"  # (a directory named "::x" is read as an fsspec URL chain)


def invoke(*args: str):
    return CliRunner().invoke(cli, ["check", "--isolated", *args])


def command_lines(data: bytes) -> list[bytes]:
    """Lines GitHub's runner would execute: ``::`` after leading spaces, ``##[`` anywhere."""
    return [line for line in data.split(b"\n") if line.lstrip().startswith(b"::") or b"##[" in line]


@pytest.fixture
def hostile_run(tmp_path: Path) -> Path:
    run = tmp_path / "logs" / HOSTILE_RUN
    write_events(run, {"train/loss": {1: 1.0, 2: math.nan}, HOSTILE_TAG: {1: math.inf}})
    return run.parent


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_lets_data_issue_commands_or_escapes(hostile_run, fmt):
    result = invoke(str(hostile_run), "-f", fmt, "--color", "never")
    assert result.exit_code == 1, result.output
    out = result.stdout_bytes
    assert b"\x1b" not in out and b"\x07" not in out and "\u202e".encode() not in out
    commands = command_lines(out)
    if fmt == "github":  # its own annotations, one per finding, and nothing else
        assert len(commands) == 2 and all(re.match(rb"::error file=", c) for c in commands)
        # the properties hold no `:` (escaped), so the runner splits at our separator and
        # the data's `::` stay in the message
        assert all(b":" not in c.split(b"::", 2)[1] for c in commands)
    else:
        assert commands == []


def test_text_shows_the_hostile_parts_escaped(hostile_run):
    out = invoke(str(hostile_run), "--color", "always").stdout
    assert "##\\x5bgroup]g\\x1b[31m" in out  # the run name
    assert "x\\n::error ::pwned\\x1b[2J\\x1b]0;title\\x07 ##\\x5badd-mask]secret \\u202eevil" in out
    assert not any(line.lstrip().startswith("::") for line in out.splitlines())
    assert "\x1b[1m" in out  # our own colours still work


@pytest.mark.parametrize("color", [True, False])
def test_a_run_named_like_a_command_does_not_start_a_line_with_it(color):
    @coordlint.rule("TM004", "says")
    def says(run, params):
        yield coordlint.Finding("something")

    run = make_run({"x": {1: 1.0}}, name="  ::warning ::boo")
    report = engine.check([run], {"TM004": says}, Settings())
    report.color = color
    out = text_format.format_report(report)
    assert "\\x3a:warning ::boo" in out
    assert not any(line.lstrip().startswith("::") for line in out.splitlines())


def test_tracebacks_are_escaped_too():
    @coordlint.rule("TM001", "hostile-crash")
    def crash(run, params):
        raise ValueError("oops\n::error ::from a traceback\x1b[2J")

    settings = Settings()
    report = engine.check([make_run({"x": {1: 1.0}})], {"TM001": crash}, settings)
    out = text_format.format_report(report)
    assert "::error ::from a traceback" in out  # still shown ...
    assert not any(line.lstrip().startswith("::") for line in out.splitlines())  # ... not run
    assert "\x1b" not in out


@pytest.fixture
def non_utf8_run(tmp_path: Path) -> Path:
    """A run directory whose name is not valid UTF-8 (seen as surrogateescape'd text)."""
    write_events(tmp_path / "tmp", {"train/loss": {1: 1.0, 2: math.nan}})
    logs = tmp_path / "logs"
    logs.mkdir()
    os.rename(tmp_path / "tmp", os.fsencode(logs) + b"/bad\xffname")
    return logs


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_survives_a_name_that_is_not_utf8(non_utf8_run, tmp_path, fmt):
    result = invoke(str(non_utf8_run), "-f", fmt)
    assert result.exit_code == 1, result.output  # the NaN fails the check; no internal error
    text = result.stdout_bytes.decode("utf-8")  # strict: valid UTF-8
    assert "bad\ufffdname" in text or "bad%FFname" in text
    report = tmp_path / f"report.{fmt}"
    written = invoke(str(non_utf8_run), "-f", fmt, "-o", str(report))
    assert written.exit_code == 1, written.output
    assert "\ufffd" in report.read_bytes().decode("utf-8") or fmt == "sarif"


def test_sarif_encodes_a_non_utf8_path_as_its_own_bytes(non_utf8_run):
    doc = json.loads(invoke(str(non_utf8_run), "-f", "sarif").stdout)
    (result, *_) = doc["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert "/bad%FFname/" in uri  # the real byte, percent-encoded: the link opens the file
    assert result["message"]["text"].startswith("bad\ufffdname: ")


def test_json_on_a_real_stdout_is_valid_utf8(non_utf8_run):
    out = subprocess.run(
        [sys.executable, "-m", "coordlint", "check", "--isolated", str(non_utf8_run), "-f", "json"],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:surrogateescape"},
    )
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout.decode("utf-8"))
    assert doc["runs"][0]["name"] == "bad\ufffdname"


def test_a_lone_surrogate_tag_from_logging_jsonl_survives_every_format(tmp_path):
    run = tmp_path / "swift"
    run.mkdir()
    rows = [
        {"loss": 1.0, "\udc80bad": math.inf, "global_step/max_steps": "1/2"},
        {"loss": 0.5, "\udc80bad": 1.0, "global_step/max_steps": "2/2"},
    ]
    # json.dumps writes the lone surrogate as the escape \udc80: valid UTF-8 on disk
    (run / "logging.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for fmt in FORMATS:
        result = invoke(str(run), "-f", fmt)
        assert result.exit_code == 1, (fmt, result.output)
        assert "\ufffdbad" in result.stdout_bytes.decode("utf-8") or fmt == "github", fmt


@coordlint.rule("TM002", "many-failures", severity="error")
def many_failures(run, params):
    for i in range(15):
        yield coordlint.Finding(f"failure number {i}", step=i)


def test_junit_keeps_every_failing_finding():
    rules = {"TM002": many_failures}
    report = engine.check([make_run({"x": {1: 1.0}})], rules, Settings())
    root = ET.fromstring(junit_format.format_report(report))
    (case,) = root.iter("testcase")
    failures = case.findall("failure")
    assert [f.get("message") for f in failures] == [
        f"TM002 [error] failure number {i}" for i in range(15)
    ]


def test_html_plots_escape_data_and_run_no_script_from_it():
    hostile = ("$\\frac{$", "</title><script>alert(1)</script>", 'a" onload="x', "\u202e<b>")

    @coordlint.rule("TM003", "hostile-tags")
    def hostile_tags(run, params):
        for tag in hostile:
            yield coordlint.Finding(f"tag {tag}", tag=tag, series={1: 1.0, 2: 2.0}, step=1)

    report = engine.check([make_run({"x": {1: 1.0}})], {"TM003": hostile_tags}, Settings())
    page = html_format.format_report(report)
    assert page.count('<svg class="plot"') == 4
    assert page.count("<script") == 1 and "alert(1)</script>" not in page
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'onload="x' not in page and "\u202e" not in page and "\\u202e&lt;b&gt;" in page
    assert "tag $\\frac{$" in page


def test_report_to_is_valid_unicode_for_a_plugin_format_too():
    report = engine.check([make_run({"x": {1: 1.0}}, name="a\udcffb")], {}, Settings())
    report.formatters = {"raw": lambda r: r.runs[0].name}
    assert report.to("raw") == "a\ufffdb"
    report.formatters = {"bytes": lambda r: b"x"}
    with pytest.raises(TypeError, match="returned bytes, not str"):
        report.to("bytes")


def test_the_helpers():
    assert printable("a\nb\tc\x1b[0m\x9b\u2028\udcff##[x]") == (
        "a\\nb\\tc\\x1b[0m\\x9b\\u2028\ufffd##\\x5bx]"
    )
    assert no_commands("::a\n  ::b\nc::d\n:e") == "\\x3a:a\n  \\x3a:b\nc::d\n:e"
    document = json.dumps({"k": "\x9b\u202e##[x]\udcff\n"}, ensure_ascii=False)
    assert json.loads(json_safe(document)) == {"k": "\x9b\u202e##[x]\ufffd\n"}
    assert "\x9b" not in json_safe(document) and "##[" not in json_safe(document)


def test_plugins_see_the_builtin_formats():
    assert set(FORMATS) <= set(load_plugins(autoload=False).formatters)


def test_text_and_html_survive_a_series_of_words_built_by_hand():
    """The engine refuses such a finding; a report built another way must still render."""
    report = engine.check([make_run({"x": {1: 1.0}})], {}, Settings())
    report.findings = [
        coordlint.Finding("words", run="run", code="TM9", series=pd.Series(["a"], index=["x"])),
        coordlint.Finding("more", run="run", code="TM9", series=["a", "1.5"], step=1),
    ]
    out = text_format.format_report(report)
    assert "run TM9 [info] words" in out and "1.5–1.5, steps 0–1" in out  # "a" is NaN
    assert "words" in html_format.format_report(report)
