"""``check --report FORMAT=PATH`` (several reports from one check) and ``--statistics``."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.execution import collect
from coordlint.testing import write_events

EXAMPLES = sorted(str(p) for p in (Path(__file__).parents[1] / "examples" / "runs").iterdir())


@pytest.fixture
def loads(monkeypatch) -> Counter:
    """How often each run is loaded: the real loader, counted (a spy, not a stand-in)."""
    counted: Counter = Counter()
    real = collect.load_run

    def counting(spec, **kwargs):
        counted[spec.name] += 1
        return real(spec, **kwargs)

    monkeypatch.setattr(collect, "load_run", counting)
    return counted


def test_one_check_writes_the_terminal_format_and_every_report(tmp_path, loads, monkeypatch):
    monkeypatch.chdir(tmp_path)
    summary = tmp_path / "step-summary.md"
    args = ["check", "--isolated", "--no-cache", *EXAMPLES, "-f", "github"]
    args += ["--report", "junit=coordlint.xml", "--report", "html=report.html"]
    result = CliRunner().invoke(cli, args, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0, result.output
    # one load of each run, for three outputs
    assert sorted(loads.values()) == [1, 1, 1] and len(loads) == 3
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 8
    junit = (tmp_path / "coordlint.xml").read_text(encoding="utf-8")
    cases = [c.get("name") for c in ET.fromstring(junit).iter("testcase")]
    alone = CliRunner().invoke(cli, ["check", "--isolated", "--no-cache", *EXAMPLES, "-f", "junit"])
    assert cases == [c.get("name") for c in ET.fromstring(alone.stdout).iter("testcase")]
    assert len(cases) == len(set(cases)) > 3 * 10  # every (run, rule) pair, as -f junit writes
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "soft-ce-rebound" in html
    assert "\x1b[" not in html  # files are never coloured
    assert "| pure\\_ce\\_only |" in summary.read_text(encoding="utf-8")
    assert summary.read_text(encoding="utf-8").count("### Runs") == 1
    assert result.stderr.splitlines()[-2:] == [
        "coordlint: wrote the junit report to coordlint.xml",
        "coordlint: wrote the html report to report.html",
    ]


def test_each_report_is_the_same_report_as_its_own_check(tmp_path):
    write_events(tmp_path / "runs" / "nan", {"train/loss": {1: 2.0, 2: math.nan}})
    run = str(tmp_path / "runs" / "nan")
    runner = CliRunner()
    together = runner.invoke(
        cli, ["check", "--isolated", run, "--report", f"json={tmp_path / 'a.json'}"]
    )
    alone = runner.invoke(cli, ["check", "--isolated", run, "-f", "json"])
    assert together.exit_code == alone.exit_code == 1  # the exit code is the check's
    assert json.loads((tmp_path / "a.json").read_text()) == json.loads(alone.stdout)
    assert "nan CL902 [error]" in together.stdout  # the terminal still gets text


def test_a_plugin_format_is_a_report_format_too(tmp_path):
    plugin = tmp_path / "fmt_plugin.py"
    plugin.write_text(
        "import coordlint\n"
        "@coordlint.hookimpl\n"
        "def coordlint_formatters():\n"
        "    return {'codes': lambda r: ' '.join(f.code for f in r.findings) + '\\n'}\n"
    )
    write_events(tmp_path / "runs" / "nan", {"train/loss": {1: 2.0, 2: math.nan}})
    out = tmp_path / "codes.txt"
    args = ["check", "--isolated", "--plugin", str(plugin), str(tmp_path / "runs")]
    result = CliRunner().invoke(cli, [*args, "--report", f"codes={out}", "--exit-zero"])
    assert result.exit_code == 0, result.output
    assert out.read_text() == "CL902\n"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("junit", "--report expects FORMAT=PATH"),
        ("=x.xml", "--report expects FORMAT=PATH"),
        ("yaml=x.yaml", "unknown format 'yaml' (formats: auto, github,"),
    ],
)
def test_a_bad_report_spec_is_a_one_line_error_before_loading(tmp_path, loads, spec, message):
    result = CliRunner().invoke(cli, ["check", "--isolated", *EXAMPLES, "--report", spec])
    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1
    assert not loads  # refused before anything was read


def test_an_unwritable_report_is_exit_2_and_writes_nothing(tmp_path):
    good = tmp_path / "good.json"
    bad = tmp_path / "missing" / "x.xml"
    args = ["check", "--isolated", EXAMPLES[0], "--report", f"json={good}"]
    result = CliRunner().invoke(cli, [*args, "--report", f"junit={bad}"])
    assert result.exit_code == 2 and "cannot write the junit report to" in result.output
    assert good.is_file()  # rendered first, then written in order: the good one is there


def test_statistics_count_per_code_like_ruff(tmp_path):
    result = CliRunner().invoke(cli, ["check", "--isolated", *EXAMPLES, "--statistics"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "3\tCL101\tcoord-ce-mode",
        "3\tCL503\tno-decode-validation",  # ties by code
        "1\tCL201\tsoft-ce-rebound",
        "1\tCL501\ttext-token-acc-incomparable",
    ]
    assert lines[4].startswith("8 findings (3 warnings, 5 infos) in 3 runs")
    assert len(lines) == 5


def test_statistics_align_counts_and_codes_and_fail_like_the_check(tmp_path):
    write_events(tmp_path / "runs" / "nan", {"train/loss": {1: 2.0, 2: math.nan}})
    plugin = tmp_path / "many.py"
    plugin.write_text(
        "import coordlint\n"
        "@coordlint.rule('TM100', 'twelve', severity='info')\n"
        "def twelve(run):\n"
        "    '''Twelve findings.'''\n"
        "    for i in range(12):\n"
        "        yield coordlint.Finding(f'n{i}', step=i)\n"
    )
    args = ["check", "--isolated", "--plugin", str(plugin), str(tmp_path / "runs")]
    text = CliRunner().invoke(cli, [*args, "--statistics", "--select", "TM,CL902"])
    assert text.exit_code == 1  # the exit code is the check's
    assert text.stdout.splitlines()[:2] == ["12\tTM100\ttwelve", " 1\tCL902\tnon-finite-scalar"]
    args += ["--statistics", "-f", "json", "--select", "TM,CL902"]
    doc = json.loads(CliRunner().invoke(cli, args).stdout)
    assert doc == [
        {
            "code": "TM100",
            "name": "twelve",
            "count": 12,
            "failing": 0,
            "severity": {"error": 0, "warning": 0, "info": 12},
        },
        {
            "code": "CL902",
            "name": "non-finite-scalar",
            "count": 1,
            "failing": 1,
            "severity": {"error": 1, "warning": 0, "info": 0},
        },
    ]


def test_statistics_in_a_format_without_them_is_a_usage_error():
    args = ["check", "--isolated", *EXAMPLES, "--statistics", "-f", "sarif"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "--statistics prints text or json, not 'sarif'" in result.output
