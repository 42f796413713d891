"""GitHub annotations, read back by an independent parser of the workflow-command syntax."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.testing import write_events

HOSTILE = "50% done,\r\nline two: a::b, c=d %0A %25 ::warning title=x::oops"

PLUGIN = f'''
import coordlint
from coordlint import Finding

HOSTILE = {HOSTILE!r}


@coordlint.rule("TG001", "hostile-message", severity="warning")
def hostile_message(run, params):
    """Test rule: a message made of everything the annotation syntax must escape."""
    if run.has("train/loss"):
        yield Finding(HOSTILE, tag="train/loss", step=2)


@coordlint.rule("TG002", "just-info", severity="info")
def just_info(run, params):
    """Test rule: one info finding."""
    if run.has("train/loss"):
        yield Finding("for your information")

'''

COMMAND = re.compile(r"^::(?P<cmd>[a-z]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def _unescape_data(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return _unescape_data(text.replace("%3A", ":").replace("%2C", ","))


def parse(line: str) -> tuple[str, dict[str, str], str] | None:
    """``::cmd k=v,k=v::message`` → (cmd, props, message), as the Actions runner reads it."""
    m = COMMAND.match(line)
    if m is None:
        return None
    props = {}
    for pair in (m["props"] or "").split(","):
        if pair:
            key, _, value = pair.partition("=")
            props[key] = _unescape_property(value)
    return m["cmd"], props, _unescape_data(m["message"])


def annotations(output: str) -> list[tuple[str, dict[str, str], str]]:
    return [a for a in (parse(line) for line in output.splitlines()) if a is not None]


@pytest.fixture
def hostile_run(tmp_path: Path) -> tuple[Path, Path]:
    """A run whose directory name (so its file path and name) holds ``, : %``; and the plugin."""
    run_dir = tmp_path / "logs" / "run,a:b%2C"
    event_file = write_events(run_dir, {"train/loss": {1: 2.0, 2: math.nan, 3: 1.0}})
    plugin = tmp_path / "tg_hostile_plugin.py"
    plugin.write_text(PLUGIN)
    return event_file, plugin


def invoke(*args: str, env: dict[str, str] | None = None):
    base = {"GITHUB_STEP_SUMMARY": "", "GITHUB_ACTIONS": ""}
    return CliRunner().invoke(cli, ["check", "--isolated", *args], env={**base, **(env or {})})


def test_parser_round_trips_what_it_is_given():
    line = "::error file=a%2Cb%3Ac%25,title=T%0A::x%0D%0Ay%25"
    assert parse(line) == ("error", {"file": "a,b:c%", "title": "T\n"}, "x\r\ny%")


def test_every_finding_is_an_annotation_that_round_trips(hostile_run):
    event_file, plugin = hostile_run
    result = invoke(str(event_file.parent), "--plugin", str(plugin), "-f", "github")
    assert result.exit_code == 1, result.output  # CL902 is an error
    assert not event_file.is_relative_to(Path.cwd())  # so the file property stays absolute
    lines = result.output.splitlines()
    assert all(line.startswith("::") for line in lines[:-1])
    assert lines[-1].startswith("3 findings (1 error, 1 warning, 1 info)")
    found = annotations(result.output)
    assert len(found) == 3
    by_title = {props["title"]: (cmd, props, message) for cmd, props, message in found}
    assert set(by_title) == {"CL902 non-finite-scalar", "TG001 hostile-message", "TG002 just-info"}

    cmd, props, message = by_title["TG001 hostile-message"]
    assert cmd == "warning"
    assert props["file"] == str(event_file)  # `,` `:` `%` in the path survive
    assert message == f"run,a:b%2C: {HOSTILE} (tag train/loss, step 2)"
    assert by_title["CL902 non-finite-scalar"][0] == "error"
    assert "run,a:b%2C: train/loss is NaN at step 2" in by_title["CL902 non-finite-scalar"][2]
    assert by_title["TG002 just-info"][0] == "notice"


def test_raw_lines_carry_no_unescaped_separator(hostile_run):
    event_file, plugin = hostile_run
    result = invoke(str(event_file.parent), "--plugin", str(plugin), "-f", "github")
    for line in result.output.splitlines()[:-1]:
        assert "\r" not in line
        head, sep, _ = line[2:].partition("::")
        assert sep and head.count(",") == 1  # the one between the two properties
        assert head.count(":") == 0
        assert re.fullmatch(r"[a-z]+ file=[^,]*,title=[^,]*", head)
    assert "%25 done%2C" not in result.output  # data escapes % but not `,`
    assert "50%25 done,%0D%0Aline two: a::b" in result.output


def test_run_without_a_file_has_no_file_property(tmp_path):
    from coordlint.core import engine
    from coordlint.core.config import Settings
    from coordlint.core.plugins import load_plugins
    from coordlint.formatters import github_format
    from coordlint.testing import make_run

    run = make_run({"train/loss": {1: 1.0, 2: math.inf}}, name="mem")
    report = engine.check([run], load_plugins(autoload=False).rules, Settings())
    (line,) = [x for x in github_format.format_report(report).splitlines() if x.startswith("::")]
    assert parse(line)[1] == {"title": "CL902 non-finite-scalar"}


def test_step_summary_is_appended_when_the_env_var_names_a_file(hostile_run, tmp_path):
    event_file, plugin = hostile_run
    summary = tmp_path / "step_summary.md"
    summary.write_text("# earlier step\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    result = invoke(str(event_file.parent), "--plugin", str(plugin), "-f", "github", env=env)
    assert result.exit_code == 1
    text = summary.read_text()
    assert text.startswith("# earlier step\n## coordlint report")
    rows = [line for line in text.splitlines() if line.startswith("| run")]
    findings = [r for r in rows if " CL902 " in r or " TG00" in r]
    assert len(findings) == 3
    assert any("| TG001 hostile-message | 🟡 warning | 50% done,<br>line two" in r for r in rows)
    assert "| Run | Code | Severity | Message |" in text
    # the escaped message does not break the table: one row, four cells
    row = next(r for r in findings if "TG001" in r)
    assert len(re.split(r"(?<!\\)\|", row)) == 6


def test_no_step_summary_without_the_env_var(hostile_run, tmp_path, monkeypatch):
    event_file, plugin = hostile_run
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.rglob("*"))
    result = invoke(str(event_file.parent), "--plugin", str(plugin), "-f", "github")
    assert result.exit_code == 1
    assert set(tmp_path.rglob("*")) == before


def test_unwritable_step_summary_is_a_one_line_error(hostile_run, tmp_path):
    event_file, plugin = hostile_run
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "no" / "such" / "dir" / "summary.md")}
    result = invoke(str(event_file.parent), "--plugin", str(plugin), "-f", "github", env=env)
    assert result.exit_code == 2
    assert "cannot append the step summary to $GITHUB_STEP_SUMMARY" in result.output


@pytest.mark.parametrize(("actions", "github"), [("true", True), ("", False), ("false", False)])
def test_auto_is_github_under_actions_else_text(hostile_run, actions, github):
    event_file, plugin = hostile_run
    env = {"GITHUB_ACTIONS": actions}
    result = invoke(str(event_file.parent), "--plugin", str(plugin), "-f", "auto", env=env)
    first = result.output.splitlines()[0]
    if github:
        assert parse(first) is not None
    else:
        assert first.startswith("run,a:b%2C CL902 [error] train/loss is NaN at step 2")


def test_file_property_is_relative_to_the_checkout(hostile_run, monkeypatch):
    event_file, plugin = hostile_run
    monkeypatch.chdir(event_file.parents[2])  # tmp_path: holds logs/ and the plugin
    result = invoke(str(event_file.parent), "--plugin", str(plugin), "-f", "github")
    files = {props["file"] for _, props, _ in annotations(result.output)}
    assert files == {f"logs/run,a:b%2C/{event_file.name}"}
