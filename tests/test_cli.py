"""The command line end to end: exit codes, formats, selection, errors as one line."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

import coordlint
from coordlint.cli import cli
from coordlint.testing import write_events

JSON_RUN_KEYS = {"name", "path", "source", "files", "tags", "points", "checkpoint"}
JSON_FINDING_KEYS = {"run", "code", "rule", "severity", "message", "tag", "step", "data"}


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, ["check", "--isolated", *args], env=env)


@pytest.fixture
def clean_run(tmp_path: Path) -> Path:
    write_events(tmp_path / "clean", {"train/loss": {1: 2.0, 2: 1.5}, "eval_loss": {2: 1.7}})
    return tmp_path / "clean"


@pytest.fixture
def nan_run(tmp_path: Path) -> Path:
    write_events(tmp_path / "nan", {"train/loss": {1: 2.0, 2: math.nan, 3: math.inf}})
    return tmp_path / "nan"


def test_clean_run_exits_0_and_says_so(clean_run):
    result = invoke(str(clean_run))
    assert result.exit_code == 0, result.output
    assert "No findings in 1 run" in result.output


def test_error_finding_exits_1_with_a_line_per_finding(nan_run):
    result = invoke(str(nan_run))
    assert result.exit_code == 1
    assert "nan CL902 [error] train/loss is NaN at step 2 (2 non-finite points)" in result.output


def test_fail_on_and_exit_zero(nan_run):
    assert invoke(str(nan_run), "--fail-on", "never").exit_code == 0
    assert invoke(str(nan_run), "--exit-zero").exit_code == 0
    assert invoke(str(nan_run), "--ignore", "CL902").exit_code == 0
    assert invoke(str(nan_run), "--severity-typo").exit_code == 2


def test_fail_on_warning_counts_warnings(tmp_path, clean_run):
    (clean_run / "events.out.tfevents.1.lfs").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n"
    )
    assert invoke(str(clean_run)).exit_code == 0
    result = invoke(str(clean_run), "--fail-on", "warning")
    assert result.exit_code == 1
    assert "CL901 [warning]" in result.output and "LFS" in result.output
    assert "clean CL901 [warning] events.out.tfevents.1.lfs: " in result.output  # run-relative


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/definitely/not/here"], "does not exist"),
        (["--select", "ZZ9"], "unknown rule code or prefix 'ZZ9'"),
        (["--output-format", "yaml"], "'yaml' is not one of"),
        (["--fail-on", "sometimes"], "coordlint: error: invalid value for '--fail-on'"),
        (["-p", "rules"], "expected no:NAME"),
        (["--plugin", "no_such_module_xyz"], "plugin 'no_such_module_xyz' failed to import"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(clean_run, args, message):
    argv = args if args[0].startswith("/") else [*args, str(clean_run)]
    result = invoke(*argv)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_directory_without_event_files_exits_2(tmp_path):
    (tmp_path / "empty").mkdir()
    result = invoke(str(tmp_path / "empty"))
    assert result.exit_code == 2 and "no TensorBoard event files" in result.output


def test_unwritable_output_is_2_not_clicks_1(clean_run, tmp_path):
    result = invoke(str(clean_run), "-o", str(tmp_path / "missing-dir" / "report.json"))
    assert result.exit_code == 2 and "cannot write report" in result.output


def test_bad_config_exits_2_naming_key_and_line(clean_run, tmp_path):
    cfg = tmp_path / "coordlint.yaml"
    cfg.write_text("fail-on: warning\nselct: [CL9]\n")
    result = CliRunner().invoke(cli, ["check", "--config", str(cfg), str(clean_run)])
    assert result.exit_code == 2
    assert f"{cfg}:2: selct: unknown key 'selct'" in result.output


def test_json_contract(nan_run, clean_run):
    result = invoke(str(nan_run), str(clean_run), "--output-format", "json")
    doc = json.loads(result.stdout)
    assert set(doc) == {"coordlint", "runs", "findings", "suppressed"}
    assert doc["suppressed"] == []
    assert doc["coordlint"] == coordlint.__version__
    assert [r["name"] for r in doc["runs"]] == ["nan", "clean"]
    for run in doc["runs"]:
        assert set(run) == JSON_RUN_KEYS and run["source"] == "tfevents"
    clean = doc["runs"][1]
    assert clean["tags"] == ["eval/loss", "train/loss"]  # eval_loss is read as eval/loss
    assert clean["points"] == 3 and len(clean["files"]) == 1
    (finding,) = doc["findings"]
    assert set(finding) == JSON_FINDING_KEYS
    assert finding == {
        "run": "nan",
        "code": "CL902",
        "rule": "non-finite-scalar",
        "severity": "error",
        "message": "train/loss is NaN at step 2 (2 non-finite points)",
        "tag": "train/loss",
        "step": 2,
        "data": {"count": 2, "first": "nan"},
    }


def test_json_to_file_leaves_stdout_empty(nan_run, tmp_path):
    out = tmp_path / "r.json"
    result = invoke(str(nan_run), "-f", "json", "-o", str(out))
    assert result.exit_code == 1 and result.stdout == ""
    assert json.loads(out.read_text())["findings"][0]["code"] == "CL902"


def test_junit_report_read_back_with_an_independent_parser(nan_run, clean_run, tmp_path):
    out = tmp_path / "junit.xml"
    result = invoke(str(nan_run), str(clean_run), "-f", "junit", "-o", str(out))
    assert result.exit_code == 1
    root = ET.parse(out).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert len(cases) == len(list(root.iter("testcase")))  # names are unique
    failed = cases["nan::CL902 non-finite-scalar"]
    (failure,) = failed.findall("failure")
    assert "train/loss is NaN at step 2" in failure.get("message")
    assert cases["clean::CL902 non-finite-scalar"].find("failure") is None
    assert {c.split("::")[0] for c in cases} == {"nan", "clean"}


def test_junit_escapes_control_characters_and_hostile_tags(tmp_path):
    hostile = 'x</testcase><b a="1">\x1b[31m&'
    write_events(tmp_path / "h", {hostile: {1: math.nan}})
    out = tmp_path / "j.xml"
    invoke(str(tmp_path / "h"), "-f", "junit", "-o", str(out))
    root = ET.parse(out).getroot()
    messages = [f.get("message") for f in root.iter("failure")]
    assert len(messages) == 1
    assert 'x</testcase><b a="1">\\x1b[31m&' in messages[0]  # escaped, not deleted


def test_junit_skips_rules_a_run_cannot_apply_to(tmp_path):
    import coordlint as cl

    plugin = tmp_path / "team_rules.py"
    plugin.write_text(
        "import coordlint\n"
        "@coordlint.rule('TM001', 'eval-loss', params={'max_loss': 1.0})\n"
        "def r(run, params):\n"
        "    s = run.series('eval/loss')\n"
        "    if len(s) and s.iloc[-1] > params['max_loss']:\n"
        "        yield coordlint.Finding('too high')\n"
    )
    write_events(tmp_path / "run", {"train/loss": {1: 1.0}})
    out = tmp_path / "j.xml"
    result = invoke(str(tmp_path / "run"), "--plugin", str(plugin), "-f", "junit", "-o", str(out))
    assert result.exit_code == 0, result.output
    case = next(c for c in ET.parse(out).getroot().iter("testcase") if "TM001" in c.get("name"))
    assert case.find("skipped") is not None
    assert cl.__version__


def test_logdir_finds_every_run_and_names_them_relative_to_the_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config, no git work tree: the current directory is the root
    write_events(tmp_path / "tb" / "stage1" / "a", {"x": {1: 1.0}})
    write_events(tmp_path / "tb" / "stage1" / "b c", {"x": {1: 1.0}})
    expected = ["tb/stage1/a", "tb/stage1/b c"]
    for argument in (str(tmp_path / "tb"), "tb/stage1", "tb/stage1/../stage1"):
        result = invoke(argument, "-f", "json")
        assert [r["name"] for r in json.loads(result.stdout)["runs"]] == expected


def test_color_only_when_asked_and_never_with_no_color(nan_run):
    plain = invoke(str(nan_run))
    assert "\x1b[" not in plain.output
    coloured = invoke(str(nan_run), "--color", "always")
    assert "\x1b[" in coloured.output
    assert "\x1b[" not in invoke(str(nan_run), env={"NO_COLOR": "1"}).output


def test_rules_and_explain_document_every_rule():
    runner = CliRunner()
    listing = runner.invoke(cli, ["rules", "--isolated"])
    assert listing.exit_code == 0
    codes = [line.split()[0] for line in listing.output.splitlines()[1:]]
    assert {"CL900", "CL901", "CL902", "CL903"} <= set(codes)
    for code in codes:
        explained = runner.invoke(cli, ["explain", code])
        assert explained.exit_code == 0
        assert "## What it does" in explained.output, code
    assert runner.invoke(cli, ["explain", "ZZ999"]).exit_code == 2


def test_every_command_is_in_the_readme():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in cli.commands:
        assert f"coordlint {name}" in readme, name


def test_debug_shows_the_traceback_of_a_crashing_rule(tmp_path, clean_run):
    plugin = tmp_path / "crashy.py"
    plugin.write_text(
        "import coordlint\n"
        "@coordlint.rule('TM002', 'crashy')\n"
        "def r(run, params):\n"
        "    '''Crashes.'''\n"
        "    return 1 / 0\n"
    )
    quiet = invoke(str(clean_run), "--plugin", str(plugin))
    assert quiet.exit_code == 1
    assert "CL900 [error] rule TM002 crashy raised ZeroDivisionError" in quiet.output
    assert "Traceback" not in quiet.output
    loud = invoke(str(clean_run), "--plugin", str(plugin), "--debug")
    assert "Traceback" in loud.output and "1 / 0" in loud.output


def test_real_process_exit_codes_and_streams(nan_run, tmp_path):
    env = {**os.environ, "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "coordlint", "check", "--isolated"]
    ok = subprocess.run([*cmd, str(nan_run), "-f", "json"], capture_output=True, text=True, env=env)
    assert ok.returncode == 1
    assert json.loads(ok.stdout)["findings"][0]["code"] == "CL902"
    missing = subprocess.run(
        [*cmd, str(tmp_path / "nope")], capture_output=True, text=True, env=env
    )
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.strip().count("\n") == 0 and "does not exist" in missing.stderr


def test_summary_command_prints_the_table_in_each_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples are outside this project: named by their dirs
    examples = sorted(
        str(p) for p in (Path(__file__).resolve().parents[1] / "examples" / "runs").iterdir()
    )
    runner = CliRunner()
    markdown = runner.invoke(cli, ["summary", "--isolated", *examples, "-f", "markdown"])
    assert markdown.exit_code == 0, markdown.output
    lines = markdown.output.splitlines()
    assert lines[0].startswith("| model | max_train_step | max_eval_step | eval_coord_ce |")
    assert "| soft_ce_only | 1830 | 1832 | 0 | 3.5260 |" in markdown.output
    csv = runner.invoke(cli, ["summary", "--isolated", *examples, "--output-format", "csv"])
    assert csv.output.splitlines()[0].startswith("model,max_train_step,max_eval_step")
    assert runner.invoke(cli, ["summary", "/no/such/run"]).exit_code == 2


def test_clean_empties_the_cache_and_a_bad_cache_size_exits_2(tmp_path):
    from coordlint.loading.cache import Cache

    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / "a.clc").write_bytes(b"x" * 2048)
    (cache_dir / "keep.txt").write_text("not ours")
    result = CliRunner().invoke(cli, ["clean", "--cache-dir", str(cache_dir)])
    assert result.exit_code == 0, result.output
    assert "removed 1 cache file(s)" in result.output
    assert [p.name for p in cache_dir.iterdir()] == ["keep.txt"]
    assert Cache(cache_dir).clear() == (0, 0)

    bad = CliRunner().invoke(cli, ["check", str(tmp_path), "--cache-max-size", "lots"])
    assert bad.exit_code == 2
    assert "'lots' is not a size" in bad.output


def test_start_up_leaves_pandas_until_a_rule_asks_for_a_series():
    """pandas costs 0.35 s to import; the CLI, the loaders and every built-in rule module load
    without it (a check imports it when a rule first reads a Series)."""
    probe = (
        "import sys\n"
        "from coordlint.cli import cli\n"
        "from coordlint.core.plugins import load_plugins\n"
        "assert load_plugins().rules\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- issue 15, item 11: the cache directory --------------------------------------------------


@pytest.mark.parametrize("command", [["check", "--isolated"], ["clean"]])
def test_cache_dir_that_is_a_file_is_a_one_line_error(tmp_path, clean_run, command):
    not_a_dir = tmp_path / "cache.txt"
    not_a_dir.write_text("x")
    args = [*command, "--cache-dir", str(not_a_dir)]
    args += [str(clean_run)] if command[0] == "check" else []
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output == f"coordlint: error: --cache-dir {not_a_dir} is not a directory\n"


def test_an_unusable_cache_dir_is_skipped_and_said_once(tmp_path, nan_run, clean_run):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    args = [str(nan_run), str(clean_run), "--cache-dir", str(blocker / "cache"), "-f", "json"]
    result = invoke(*args)
    assert result.exit_code == 1  # the check still ran
    assert json.loads(result.stdout)["findings"][0]["code"] == "CL902"
    assert result.stderr.count("not caching decoded event files") == 1
    assert f"cache directory {blocker / 'cache'} is not usable ({blocker} is not a directory)" in (
        result.stderr
    )
    assert "not caching" not in invoke(*args, "--no-cache").stderr


def test_explain_takes_a_code_or_a_name_and_prints_markdown():
    runner = CliRunner()
    by_code = runner.invoke(cli, ["explain", "--isolated", "cl201"])
    by_name = runner.invoke(cli, ["explain", "--isolated", "soft-ce-rebound"])
    assert by_code.exit_code == by_name.exit_code == 0
    assert by_code.output == by_name.output
    assert by_code.output.startswith("CL201 soft-ce-rebound (default severity: warning;")
    assert "## What it does" in by_code.output and "``" not in by_code.output
    assert "Reads the eval curve of each metric in `metrics` (default: `soft_ce`" in by_code.output
    typo = runner.invoke(cli, ["explain", "soft-ce-rebond"])
    assert typo.exit_code == 2
    assert typo.output == (
        "coordlint: error: no rule has the code or name 'soft-ce-rebond' "
        "(did you mean 'soft-ce-rebound'?) (see 'coordlint rules')\n"
    )


def test_rules_as_json_lists_every_field_of_every_rule():
    runner = CliRunner()
    doc = json.loads(runner.invoke(cli, ["rules", "--isolated", "-f", "json"]).output)
    text = runner.invoke(cli, ["rules", "--isolated"]).output.splitlines()[1:]
    assert [r["code"] for r in doc] == [line.split()[0] for line in text]
    cl201 = next(r for r in doc if r["code"] == "CL201")
    assert cl201["name"] == "soft-ce-rebound" and cl201["severity"] == "warning"
    assert cl201["enabled"] is True and cl201["scope"] == "run"
    assert cl201["params"]["min_rise"] == 0.05
    assert cl201["explanation"].startswith("A soft-CE diagnostic improved")
    assert "## Why it matters" in cl201["explanation"] and "``" not in cl201["explanation"]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["check"], "coordlint: error: missing argument 'RUN...' (see 'coordlint check --help')"),
        (
            ["check", "--no-such-flag", "x"],
            "coordlint: error: no such option '--no-such-flag' (see 'coordlint check --help')",
        ),
        (
            ["summary", "-f", "yaml", "x"],
            "coordlint: error: invalid value for '--output-format' / '-f': 'yaml' is not one of "
            "'text', 'markdown', 'csv', 'json' (see 'coordlint summary --help')",
        ),
        (["chek"], "coordlint: error: no such command 'chek'. Did you mean 'check'? (see "),
    ],
)
def test_click_usage_errors_are_one_line_in_coordlints_style(args, line):
    result = CliRunner().invoke(cli, args, prog_name="coordlint")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(line) and result.stderr.count("\n") == 1


def test_shell_completion_as_the_readme_documents_it():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "_COORDLINT_COMPLETE=bash_source coordlint" in readme
    env = {**os.environ, "_COORDLINT_COMPLETE": "bash_source"}
    script = subprocess.run(
        [sys.executable, "-m", "coordlint"], env=env, capture_output=True, text=True
    )
    assert script.returncode == 0 and "_coordlint_completion()" in script.stdout
    env = {
        **os.environ,
        "_COORDLINT_COMPLETE": "bash_complete",
        "COMP_WORDS": "coordlint check --rep",
        "COMP_CWORD": "2",
    }
    done = subprocess.run(
        [sys.executable, "-m", "coordlint"], env=env, capture_output=True, text=True
    )
    assert done.stdout.split() == ["plain,--report"]
