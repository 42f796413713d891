"""Plugins: entry points (a real pip-installed package), --plugin files, blocking, failures."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint import rule as declare_rule
from coordlint.cli import cli
from coordlint.core.plugins import load_plugins
from coordlint.errors import PluginError
from coordlint.testing import write_events

REPO = Path(__file__).resolve().parents[1]


def plugin_file(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text("import coordlint\n" + textwrap.dedent(body))
    return path


GOOD = """
@coordlint.rule("TM100", "has-eval-loss", severity="info", params={"bar": 1.0})
def r(run, params):
    '''Reports the final eval loss.'''
    s = run.series("eval/loss")
    if len(s):
        yield coordlint.Finding(f"final {s.iloc[-1]}", data={"bar": params["bar"]})

@coordlint.hookimpl
def coordlint_rules():
    return [r]
"""


@pytest.fixture
def run_dir(tmp_path):
    write_events(tmp_path / "run", {"eval/loss": {1: 2.0}, "train/learning_rate": {1: 1e-4}})
    return tmp_path / "run"


def test_plugin_file_rules_are_listed_and_run(tmp_path, run_dir):
    path = plugin_file(tmp_path, "good_rules", GOOD)
    runner = CliRunner()
    listing = runner.invoke(cli, ["rules", "--isolated", "--plugin", str(path)])
    assert "TM100  has-eval-loss" in listing.output and "good_rules" in listing.output
    result = runner.invoke(cli, ["check", "--isolated", "--plugin", str(path), str(run_dir)])
    assert "run TM100 [info] final 2.0" in result.output
    explained = runner.invoke(cli, ["explain", "TM100", "--plugin", str(path)])
    assert "Reports the final eval loss." in explained.output and "bar = 1.0" in explained.output


ONE_STEP = """
@coordlint.rule("TM101", "eval-loss-above", severity="warning", params={"bar": 1.0})
def above(run, bar: float):
    '''Final eval loss above the bar.'''
    s = run.series("eval/loss")
    if len(s) and s.iloc[-1] > bar:
        yield coordlint.Finding(f"final {s.iloc[-1]} > {bar!r}", data={"bar": bar})

@coordlint.rule("TM102", "no-learning-rate", severity="info")
def no_lr(run):
    '''The run logs no learning rate.'''
    if not run.has("train/learning_rate"):
        yield coordlint.Finding("no learning rate")
"""


def test_a_rule_pack_registers_in_one_step_with_typed_params(tmp_path, run_dir):
    # No hook: every @coordlint.rule of the module registers; a rule gets only the params it
    # names, typed from the declared default (the config's 1 becomes 1.0).
    path = plugin_file(tmp_path, "one_step", ONE_STEP)
    cfg = tmp_path / "coordlint.yaml"
    cfg.write_text(f"plugins: [{path.name}]\nparams:\n  TM101: {{bar: 1}}\n")
    result = CliRunner().invoke(cli, ["check", "--config", str(cfg), str(run_dir), "-f", "json"])
    assert result.exit_code == 0, result.output
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["code"] == "TM101" and finding["message"] == "final 2.0 > 1.0"
    assert "deprecated" not in result.stderr
    listing = CliRunner().invoke(cli, ["rules", "--isolated", "--plugin", str(path)])
    assert "TM101" in listing.output and "TM102" in listing.output


def test_the_two_step_form_still_works_and_says_it_is_deprecated(tmp_path, run_dir):
    path = plugin_file(tmp_path, "old_style", GOOD)
    result = CliRunner().invoke(cli, ["check", "--isolated", "--plugin", str(path), str(run_dir)])
    assert "run TM100 [info] final 2.0" in result.stdout
    assert result.stderr.count("deprecated") == 1 and "old_style" in result.stderr
    assert "coordlint_rules()" in result.stderr


def test_a_rule_naming_an_undeclared_param_is_refused_at_decoration():
    with pytest.raises(ValueError, match="'limit' is not a declared param"):

        @declare_rule("TM103", "undeclared")
        def r(run, limit):
            return []

    @declare_rule("TM104", "declared-by-default")
    def s(run, *, limit: int = 3):
        return []

    assert s.params == {"limit": 3} and s.takes == ("limit",)


def test_plugins_from_config_relative_to_the_config(tmp_path, run_dir):
    plugin_file(tmp_path, "cfg_rules", GOOD)
    cfg = tmp_path / "coordlint.yaml"
    cfg.write_text("plugins: [cfg_rules.py]\nparams:\n  TM100: {bar: 3.0}\n")
    result = CliRunner().invoke(cli, ["check", "--config", str(cfg), str(run_dir), "-f", "json"])
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["code"] == "TM100" and finding["data"] == {"bar": 3.0}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("raise ImportError('no torch here')\n", "failed to import: ImportError: no torch here"),
        (GOOD.replace("TM100", "CL100"), "uses the reserved prefix 'CL'"),
        (GOOD.replace("return [r]", "return [r.check]"), "wrap rule functions"),
        ("@coordlint.hookimpl\ndef coordlint_rulez():\n    return []\n", "coordlint_rulez"),
        (
            GOOD + "@coordlint.rule('TM100', 'other')\ndef r2(run):\n    return []\n",
            "TM100 is registered twice",
        ),
        # Issue 15, item 7: escapes at import or from a hook are load errors, not an exit 0.
        ("import sys\nsys.exit(0)\n", "failed to import: SystemExit: 0"),
        ("raise KeyboardInterrupt\n", "failed to import: KeyboardInterrupt"),
        ("raise GeneratorExit('closed')\n", "failed to import: GeneratorExit: closed"),
        (
            GOOD.replace("return [r]", "raise SystemExit(0)"),
            "coordlint_rules() raised SystemExit: 0",
        ),
        (
            "@coordlint.hookimpl\ndef coordlint_formatters():\n    raise SystemExit(0)\n",
            "coordlint_formatters() raised SystemExit: 0",
        ),
        (
            "@coordlint.hookimpl\ndef coordlint_formatters():\n    return {'x': 5}\n",
            "must map format names to functions",
        ),
    ],
)
def test_broken_plugins_exit_2_naming_the_plugin(tmp_path, run_dir, body, message):
    path = plugin_file(tmp_path, "broken_rules", body)
    result = CliRunner().invoke(cli, ["check", "--isolated", "--plugin", str(path), str(run_dir)])
    assert result.exit_code == 2, result.output
    assert message in result.output and "broken_rules" in result.output
    assert "Traceback" not in result.output
    debug = CliRunner().invoke(
        cli, ["check", "--isolated", "--debug", "--plugin", str(path), str(run_dir)]
    )
    assert debug.exit_code == 2 and "Traceback" in debug.output


def test_what_a_plugin_prints_while_it_loads_goes_to_stderr(tmp_path, run_dir):
    path = plugin_file(tmp_path, "chatty_rules", "print('hello from import')\n" + GOOD)
    result = CliRunner().invoke(
        cli, ["check", "--isolated", "--plugin", str(path), str(run_dir), "-f", "json"]
    )
    assert json.loads(result.stdout)["findings"][0]["code"] == "TM100"
    assert "hello from import" in result.stderr


FORMAT_EXITS = """
import sys

def exits(report):
    sys.exit(0)

@coordlint.hookimpl
def coordlint_formatters():
    return {"exits": exits}
"""


def test_a_plugin_format_that_exits_is_an_error_not_an_exit_0(tmp_path, run_dir):
    path = plugin_file(tmp_path, "exiting_format", FORMAT_EXITS)
    args = ["check", "--isolated", "--plugin", str(path), str(run_dir), "-f", "exits"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "coordlint: error: output format 'exits' raised SystemExit: 0" in result.output


def test_duplicate_code_across_plugins_names_both(tmp_path):
    a = plugin_file(tmp_path, "pack_a", GOOD)
    b = plugin_file(tmp_path, "pack_b", GOOD)
    with pytest.raises(PluginError, match="TM100 is registered twice: by plugin 'pack_a' and by"):
        load_plugins([str(a), str(b)], autoload=False)


def test_blocking_a_plugin(tmp_path):
    path = plugin_file(tmp_path, "blockme", GOOD)
    assert "TM100" in load_plugins([str(path)], autoload=False).rules
    assert "TM100" not in load_plugins([str(path)], blocked=["blockme"], autoload=False).rules


# -- a real pip-installed rule pack: examples/plugin -------------------------------------------


@pytest.fixture(scope="module")
def installed_pack(tmp_path_factory) -> Path:
    """pip-install examples/plugin into a target dir: a real dist with a real entry point."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("src") / "plugin"  # builds write into the source tree
    shutil.copytree(REPO / "examples" / "plugin", source, ignore=shutil.ignore_patterns("tests"))
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    return target


def coordlint(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("COORDLINT_")}
    environ.update(PYTHONPATH=str(site), NO_COLOR="1", **env)
    return subprocess.run(
        [sys.executable, "-m", "coordlint", *args], capture_output=True, text=True, env=environ
    )


def test_entry_point_pack_is_autoloaded(installed_pack):
    rules = coordlint(installed_pack, "rules", "--isolated")
    assert rules.returncode == 0, rules.stderr
    for code in ("TM001", "TM002", "TM003", "TM004"):
        assert code in rules.stdout
    assert "team_rules" in rules.stdout
    plugins = coordlint(installed_pack, "plugins")
    assert "team_rules  0.1.0  (entry point of coordlint-team-rules)" in plugins.stdout


def test_entry_point_rules_run_in_check(installed_pack, tmp_path):
    write_events(tmp_path / "run", {"eval/loss": {100: 3.0, 200: 2.5}})
    result = coordlint(installed_pack, "check", "--isolated", str(tmp_path / "run"), "-f", "json")
    assert result.returncode == 0, result.stderr  # TM001 is a warning; the default fails on error
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["code"], finding["step"]) == ("TM001", 200)
    assert finding["data"] == {"final": 2.5, "max_loss": 1.0}


def test_blocking_and_the_autoload_switch(installed_pack):
    blocked = coordlint(installed_pack, "rules", "--isolated", "-p", "no:team_rules")
    assert blocked.returncode == 0 and "TM001" not in blocked.stdout
    off = coordlint(installed_pack, "rules", "--isolated", COORDLINT_DISABLE_PLUGIN_AUTOLOAD="1")
    assert off.returncode == 0 and "TM001" not in off.stdout and "CL901" in off.stdout


def test_an_installed_pack_that_fails_to_import_exits_2(installed_pack, tmp_path):
    broken = tmp_path / "site"
    shutil.copytree(installed_pack, broken)
    (broken / "coordlint_team_rules" / "__init__.py").write_text("import no_such_dependency\n")
    result = coordlint(broken, "rules")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "coordlint: error: plugin 'team_rules' (from coordlint-team-rules) failed to import: "
        "ModuleNotFoundError: No module named 'no_such_dependency'"
    )


def test_an_installed_rule_that_raises_is_cl900_and_the_others_run(installed_pack, tmp_path):
    crashing = tmp_path / "site"
    shutil.copytree(installed_pack, crashing)
    warmup = crashing / "coordlint_team_rules" / "warmup.py"
    warmup.write_text(
        warmup.read_text().replace("lr = run.series", "lr = 1 / 0\n    lr = run.series")
    )
    run = tmp_path / "run"
    write_events(run, {"train/learning_rate": {1: 1e-4, 2: 1e-4}, "eval/loss": {2: 5.0}})
    result = coordlint(crashing, "check", "--isolated", str(run), "-f", "json")
    assert result.returncode == 1
    codes = {f["code"]: f for f in json.loads(result.stdout)["findings"]}
    assert codes["CL900"]["data"]["rule"] == "TM003"
    assert codes["CL900"]["data"]["plugin"] == "team_rules"
    assert "TM001" in codes  # the other rules of the same pack still ran
