"""GitLab Code Quality: the documented fields, GitLab's severities, stable fingerprints."""

from __future__ import annotations

import json
import math
from pathlib import Path

import coordlint
from coordlint import Finding
from coordlint.core import engine
from coordlint.core.config import Settings
from coordlint.core.plugins import load_plugins
from coordlint.formatters import gitlab_format
from coordlint.testing import load, make_run, write_events

GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


@coordlint.rule("TL001", "loss-above", severity="warning", params={"limit": 1.5})
def loss_above(run, params):
    """Test rule: the final train/loss (in the message) is above ``limit``."""
    loss = run.series("train/loss")
    if len(loss) and loss.iloc[-1] > params["limit"]:
        yield Finding(f"final loss {loss.iloc[-1]:.3f} > {params['limit']}", tag="train/loss")
        yield Finding("and once more, same tag", tag="train/loss", severity="info")


def report_for(runs, **params):
    rules = {**load_plugins(autoload=False).rules, "TL001": loss_above}
    settings = Settings()
    settings.params = {"TL001": params} if params else {}
    return engine.check(runs, rules, settings)


def validate(issue: dict) -> None:
    """GitLab's documented Code Quality fields, with their types."""
    assert isinstance(issue["description"], str) and issue["description"]
    assert isinstance(issue["check_name"], str) and issue["check_name"]
    assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
    assert issue["severity"] in GITLAB_SEVERITIES
    assert isinstance(issue["location"]["path"], str) and issue["location"]["path"]
    begin = issue["location"]["lines"]["begin"]
    assert isinstance(begin, int) and not isinstance(begin, bool) and begin >= 1


def test_every_finding_is_a_valid_code_quality_issue(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    event_file = write_events(tmp_path / "runA", {"train/loss": {1: 2.0, 2: math.nan, 3: 1.9}})
    report = report_for([load(tmp_path / "runA")])
    issues = json.loads(gitlab_format.format_report(report))
    assert isinstance(issues, list) and len(issues) == len(report.findings) == 3
    for issue in issues:
        validate(issue)
        # path relative to the working directory (the repository root in a GitLab job)
        assert issue["location"]["path"] == event_file.relative_to(tmp_path).as_posix()
    by_check = {}
    for issue in issues:
        by_check.setdefault(issue["check_name"], []).append(issue)
    assert [i["severity"] for i in by_check["CL902 non-finite-scalar"]] == ["major"]
    assert [i["severity"] for i in by_check["TL001 loss-above"]] == ["minor", "info"]
    assert by_check["TL001 loss-above"][0]["description"] == "runA: final loss 1.900 > 1.5"
    assert len({i["fingerprint"] for i in issues}) == 3  # same run, code and tag told apart


def test_fingerprint_ignores_the_message_and_separates_runs(tmp_path: Path):
    write_events(tmp_path / "a", {"train/loss": {1: 2.0, 2: 1.9}})
    write_events(tmp_path / "b", {"train/loss": {1: 2.0, 2: 1.9}})
    runs = [load(tmp_path / "a"), load(tmp_path / "b")]
    first = json.loads(gitlab_format.format_report(report_for(runs, limit=1.5)))
    again = json.loads(gitlab_format.format_report(report_for(runs, limit=1.0)))
    assert [i["description"] for i in first] != [i["description"] for i in again]
    assert [i["fingerprint"] for i in first] == [i["fingerprint"] for i in again]
    assert first[0]["fingerprint"] != first[2]["fingerprint"]  # run a vs run b, same code/tag


def test_run_without_files_is_located_at_its_path():
    run = make_run({"train/loss": {1: 3.0, 2: math.inf}}, name="mem")
    (issue, *_) = json.loads(gitlab_format.format_report(report_for([run])))
    validate(issue)
    assert issue["location"]["path"] == "mem"


def test_cli_writes_the_report_file(tmp_path: Path):
    from click.testing import CliRunner

    from coordlint.cli import cli

    write_events(tmp_path / "clean", {"train/loss": {1: 2.0, 2: 1.5}})
    out = tmp_path / "gl-code-quality.json"
    args = ["check", "--isolated", str(tmp_path / "clean"), "-f", "gitlab", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text()) == []  # GitLab wants a list even when empty
