"""Markdown: a per-run summary and a findings table that hostile messages cannot break."""

from __future__ import annotations

import math
import re
from pathlib import Path

from click.testing import CliRunner

import coordlint
from coordlint import Finding
from coordlint.cli import cli
from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.core.plugins import load_plugins
from coordlint.formatters import markdown_format
from coordlint.rule import Severity
from coordlint.testing import load, write_events

HOSTILE = "a | b\nsecond <script>x</script> *map* [link](x) `code` & \\ done"


@coordlint.rule("TM101", "hostile", severity="warning")
def hostile(run, params):
    """Test rule: a message full of markdown and HTML."""
    if run.has("eval/loss"):
        yield Finding(HOSTILE, tag="eval/loss")


def cells(row: str) -> list[str]:
    """A GFM table row split on its unescaped pipes, as GitHub reads it."""
    assert row.startswith("| ") and row.endswith(" |")
    return [c.strip() for c in re.split(r"(?<!\\)\|", row[1:-1])]


def table(text: str, header: str) -> list[list[str]]:
    lines = text.splitlines()
    start = lines.index(header)
    assert re.fullmatch(r"\|( -+:? \|)+", lines[start + 1]), lines[start + 1]
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(cells(line))
    return rows


def report_for(tmp_path: Path, fail_on: Severity = Severity.ERROR):
    write_events(tmp_path / "nan", {"train/loss": {1: 1.0, 2: math.nan, 3: math.inf}})
    write_events(tmp_path / "odd", {"eval/loss": {1: 1.0, 2: 0.5}})
    write_events(tmp_path / "clean", {"train/loss": {1: 1.0, 2: 0.5}})
    runs = [load(tmp_path / n) for n in ("nan", "odd", "clean")]
    rules = {**load_plugins(autoload=False).rules, "TM101": hostile}
    return engine.check(runs, rules, Settings(fail_on=fail_on))


def test_findings_table_has_a_row_per_finding_with_four_cells(tmp_path):
    report = report_for(tmp_path)
    text = markdown_format.format_report(report)
    rows = table(text, "| Run | Code | Severity | Message |")
    assert len(rows) == len(report.findings) == 2
    assert all(len(r) == 4 for r in rows)  # the `|` and newline in the message stay in one cell
    nan_row, odd_row = rows
    assert nan_row[:3] == ["nan", "CL902 non-finite-scalar", "🔴 error"]
    assert nan_row[3].startswith("train/loss is NaN at step 2")
    assert odd_row[:3] == ["odd", "TM101 hostile", "🟡 warning"]
    message = odd_row[3]
    assert "<script>" not in message and "&lt;script&gt;" in message
    assert "<br>" in message and "\n" not in message
    assert r"\*map\*" in message and r"\[link\]" in message and r"\`code\`" in message
    assert r"a \| b" in message and "&amp;" in message and r"\\ done" in message


def test_per_run_summary_counts_and_verdicts(tmp_path):
    text = markdown_format.format_report(report_for(tmp_path))
    assert text.startswith("## coordlint report\n\n2 findings (1 error, 1 warning) in 3 runs")
    rows = table(text, "| Run | Errors | Warnings | Infos | Not applicable | Result |")
    by_run = {r[0]: r[1:] for r in rows}
    assert list(by_run) == ["nan", "odd", "clean"]  # runs without findings are listed too
    assert by_run["nan"][:3] == ["1", "0", "0"] and by_run["nan"][4] == "failed: 1 error"
    assert by_run["odd"][:3] == ["0", "1", "0"] and by_run["odd"][4] == "passed with 1 warning"
    assert by_run["clean"] == ["0", "0", "0", by_run["clean"][3], "passed"]
    assert int(by_run["clean"][3]) >= 1  # TM101 is not applicable to a run without eval/loss
    warned = markdown_format.format_report(report_for(tmp_path / "w", fail_on=Severity.WARNING))
    rows = table(warned, "| Run | Errors | Warnings | Infos | Not applicable | Result |")
    assert rows[1][5] == "failed: 1 warning"  # odd, at --fail-on warning


def test_no_findings_and_cli_choice(tmp_path):
    write_events(tmp_path / "clean", {"train/loss": {1: 2.0, 2: 1.5}})
    result = CliRunner().invoke(
        cli, ["check", "--isolated", str(tmp_path / "clean"), "-f", "markdown", "--color=always"]
    )
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.output  # never ANSI colour in markdown
    assert "### Findings\n\nNo findings.\n" in result.output
    assert table(result.output, "| Run | Errors | Warnings | Infos | Not applicable | Result |")
