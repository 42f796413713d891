"""coordlint.yaml and [tool.coordlint]: discovery, safe parsing, errors that name key and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.core.config import Settings, find_config, load_settings
from coordlint.core.plugins import load_plugins
from coordlint.errors import ConfigError
from coordlint.rule import Severity


@pytest.fixture(scope="module")
def rules():
    return load_plugins(autoload=False).rules


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_full_yaml_config_is_read(tmp_path, rules):
    cfg = write(
        tmp_path / "coordlint.yaml",
        "select: [CL9]\nignore: CL903\nfail-on: warning\nseverity:\n  CL902: warning\n"
        "tag-aliases:\n  eval/loss: [eval/total_loss, val/loss]\n",
    )
    s = load_settings(cfg)
    s.validate(rules)
    assert s.select == ["CL9"] and s.ignore == ["CL903"]
    assert s.fail_on == Severity.WARNING
    assert s.severity == {"CL902": Severity.WARNING}
    assert s.tag_aliases == {"eval/loss": ("eval/total_loss", "val/loss")}


def test_found_from_a_subdirectory_upward(tmp_path, monkeypatch):
    cfg = write(tmp_path / "coordlint.yaml", "fail-on: info\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert find_config() == cfg
    assert load_settings().fail_on == Severity.INFO


def test_pyproject_section(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", '[project]\nname="x"\n[tool.coordlint]\nfail-on = "never"\n')
    monkeypatch.chdir(tmp_path)
    assert load_settings().fail_on is None


def test_pyproject_without_section_is_not_a_config(tmp_path, monkeypatch):
    write(tmp_path / "pyproject.toml", '[project]\nname="x"\n')
    monkeypatch.chdir(tmp_path)
    assert find_config(tmp_path) is None or find_config(tmp_path).parent != tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select: [CL9]\nbogus: 1\n", r"coordlint.yaml:2: bogus: unknown key 'bogus'"),
        ("fail-on: sometimes\n", r"coordlint.yaml:1: fail-on: must be one of"),
        (
            "fail-on: 3\n",
            "coordlint.yaml:1: fail-on: must be one of info, warning, error, never, got 3",
        ),
        ("severity:\n  CL902: loud\n", r"coordlint.yaml:2: severity.CL902: unknown severity"),
        ("select: [\n", r"coordlint.yaml:2: invalid YAML"),
        ("- a\n- b\n", r"must be a mapping"),
        ("tag-aliases: 3\n", r"tag-aliases: must be a dict"),
    ],
)
def test_invalid_config_names_key_and_line(tmp_path, text, message):
    cfg = write(tmp_path / "coordlint.yaml", text)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select: [ZZ1]\n", r"select: unknown rule code or prefix 'ZZ1'"),
        ("severity:\n  CL999: info\n", r":2: severity.CL999: unknown rule code"),
        ("params:\n  CL902:\n    nope: 1\n", r":3: params.CL902.nope: rule CL902 has no param"),
    ],
)
def test_unknown_codes_and_params_are_errors(tmp_path, rules, text, message):
    s = load_settings(write(tmp_path / "coordlint.yaml", text))
    with pytest.raises(ConfigError, match=message):
        s.validate(rules)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fial-on: warning\n", "unknown key 'fial-on' (did you mean 'fail-on'?) (known keys: "),
        ("fail_on: warning\n", "unknown key 'fail_on' (did you mean 'fail-on'?)"),
        ("fail-on: warn\n", "never, got 'warn' (did you mean 'warning'?)"),
        ("fail-on: 3\n", "must be one of info, warning, error, never, got 3"),
        (
            "severity:\n  CL201: eror\n",
            "unknown severity 'eror' (choose info, warning or error) (did you mean 'error'?)",
        ),
        ("select: [CL2O1]\n", "unknown rule code or prefix 'CL2O1' (did you mean 'CL201'?)"),
        ("severity:\n  CL21: info\n", "unknown rule code 'CL21' (did you mean 'CL201'?)"),
        ("params:\n  CL201:\n    min_ris: 1\n", "no param 'min_ris' (did you mean 'min_rise'?)"),
        (
            "ignore:\n  - {code: CL503, reson: x}\n",
            "unknown field 'reson' in an ignore entry (did you mean 'reason'?)",
        ),
        (
            "checkpoints:\n  - {path: a, log: b}\n",
            "unknown field 'log' in entry 0 (did you mean 'logs'?)",
        ),
        ("bogus: 1\n", "unknown key 'bogus' (known keys: select,"),  # nothing close: no guess
    ],
)
def test_a_typo_gets_did_you_mean_and_the_allowed_values(tmp_path, rules, text, message):
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path / "coordlint.yaml", text)).validate(rules)
    assert message in str(caught.value)


def test_param_types_are_checked():
    import coordlint

    @coordlint.rule("TM001", "typed", params={"max_loss": 1.0, "patterns": ["a"], "on": True})
    def typed(run, params):
        """Typed params."""

    rules = {"TM001": typed}
    Settings(params={"TM001": {"max_loss": 2}}).validate(rules)  # an int is a fine float
    for bad in ({"max_loss": "high"}, {"patterns": "a"}, {"on": 1}):
        with pytest.raises(ConfigError, match="must be"):
            Settings(params={"TM001": bad}).validate(rules)


def test_yaml_is_loaded_safely(tmp_path):
    cfg = write(tmp_path / "coordlint.yaml", "select: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_settings(cfg)


# -- issue 15, items 2 and 8: hostile and malformed configs are one config error, fast --------


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):  # 9^7 paths when expanded: 23 s before
        levels.append(
            f"l{i}: &l{i} [" + ", ".join([f"*{'a' if i == 1 else f'l{i - 1}'}"] * 9) + "]"
        )
    cfg = write(tmp_path / "coordlint.yaml", "\n".join(levels) + "\nselect: *l7\n")
    with pytest.raises(ConfigError, match=r"coordlint.yaml:2: invalid YAML: YAML aliases"):
        load_settings(cfg)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("params: " + "[" * 100_000 + "]" * 100_000 + "\n", ":1: invalid YAML: nested more than"),
        ("select: [CL1]\n1: x\n", ":2: invalid YAML: keys must be strings, got '1' (int)"),
        ("severity:\n  true: warning\n", ":2: invalid YAML: keys must be strings, got 'true'"),
        ("? [a, b]\n: c\n", ":1: invalid YAML: keys must be strings, got a list"),
        ("select: [CL1]\nselect: [CL2]\n", ":2: invalid YAML: key 'select' is given twice"),
        ("params:\n  CL201: {min_rise: 1, min_rise: 2}\n", ":2: invalid YAML: key 'min_rise'"),
        ("select: [CL1]\nfail-on: \x0b\n", ":2: invalid YAML: control character U+000B is not"),
        ("select: [CL1]\nfail-on: !!float x\n", ":2: invalid YAML value: ValueError: could not"),
        ("select:\n  - !!int '12a'\n", ":2: invalid YAML value: ValueError: invalid literal"),
        ("fail-on: !!bool maybe\n", ":1: invalid YAML value: KeyError: 'maybe'"),
        ("select: [CL1]\n\nx: !!timestamp junk\n", ":3: invalid YAML value: AttributeError"),
    ],
)
def test_malformed_yaml_is_one_error_with_the_line(tmp_path, text, message):
    cfg = write(tmp_path / "coordlint.yaml", text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(cfg)


def test_yaml_that_is_not_utf8_names_the_line(tmp_path):
    cfg = tmp_path / "coordlint.yaml"
    cfg.write_bytes(b"select: [CL1]\nfail-on: \xff\n")
    with pytest.raises(ConfigError, match=r"coordlint.yaml:2: not valid UTF-8 \(byte 0xff\)"):
        load_settings(cfg)


def test_an_oversized_config_is_refused_unread(tmp_path):
    cfg = write(tmp_path / "coordlint.yaml", "select: [CL1]\n" + "#" * (2 << 20) + "\n")
    with pytest.raises(ConfigError, match="larger than 1 MiB"):
        load_settings(cfg)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tool = 5\n", "pyproject.toml:1: tool: must be a table"),
        ("[tool]\ncoordlint = 5\n", "pyproject.toml:2: [tool.coordlint] must be a table"),
        (
            "[tool.coordlint]\nfail-on = 3\n",
            "pyproject.toml:2: fail-on: must be one of info, warning",
        ),
        ("[tool.coordlint]\nbogus = 1\n", "pyproject.toml:2: bogus: unknown key 'bogus'"),
        (
            "[tool.coordlint.severity]\nCL902 = 'loud'\n",
            "pyproject.toml:2: severity.CL902: unknown severity",
        ),
        (
            "[tool.coordlint]\nparams = " + "[" * 5000 + "]" * 5000,
            "not valid TOML: nested too deep",
        ),
        (
            "[tool.coordlint.params.CL201]\nmin_rise = " + "[" * 40 + "]" * 40,
            "pyproject.toml:2: params.CL201.min_rise: nested more than 32 levels deep",
        ),
        ("[tool.coordlint]\nselect = [\n", "pyproject.toml: not valid TOML"),
    ],
)
def test_malformed_pyproject_is_one_error_with_the_key_and_line(tmp_path, text, message):
    cfg = write(tmp_path / "pyproject.toml", text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(cfg)


def test_pyproject_that_is_not_utf8_names_the_line(tmp_path, monkeypatch):
    cfg = tmp_path / "pyproject.toml"
    cfg.write_bytes(b"[tool.coordlint]\nselect = ['CL1']\nfail-on = '\xff'\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"pyproject.toml:3: not valid UTF-8 \(byte 0xff\)"):
        load_settings()


@pytest.mark.parametrize(
    "text",
    [
        "[project]\nname = 'x\n[[[broken\n",  # not TOML at all
        b"[project]\nname = '\xff'\n",  # not UTF-8
        "tool = 5\n",  # a tool key that is not a table
        "[tool.other]\nx = " + "[" * 5000 + "]" * 5000 + "\n",  # too deep for the parser
        '[project.scripts]\ncoordlint = "coordlint.cli:main"\n',  # names coordlint, not tool.
    ],
)
def test_an_unrelated_broken_pyproject_is_not_coordlints_business(tmp_path, monkeypatch, text):
    cfg = tmp_path / "pyproject.toml"
    cfg.write_bytes(text if isinstance(text, bytes) else text.encode())
    monkeypatch.chdir(tmp_path)
    assert find_config() is None or find_config().parent != tmp_path
    assert load_settings().path != cfg


@pytest.mark.parametrize(
    "text",
    [
        "[tool.coordlint]\nfail-on = 'info'\n",
        "[ tool . 'coordlint' ]\nfail-on = 'info'\n",
        "[tool]\ncoordlint.fail-on = 'info'\n",
        "[tool]\ncoordlint = {fail-on = 'info'}\n",
        "tool.coordlint.fail-on = 'info'\n",
        "tool = {coordlint = {fail-on = 'info'}}\n",
        '[tool."coordlint".severity]\nCL902 = "info"\n[tool.coordlint]\nfail-on = "info"\n',
    ],
)
def test_every_way_to_write_the_section_is_found(tmp_path, monkeypatch, text):
    cfg = write(tmp_path / "pyproject.toml", text)
    monkeypatch.chdir(tmp_path)
    assert find_config() == cfg
    assert load_settings().fail_on == Severity.INFO


def test_cli_config_errors_are_one_line_exit_2(tmp_path):
    cfg = write(tmp_path / "coordlint.yaml", "select: [CL1]\nselect: [CL2]\n")
    result = CliRunner().invoke(cli, ["check", "--config", str(cfg), str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == (
        f"coordlint: error: {cfg}:2: invalid YAML: key 'select' is given twice (first on line 1)\n"
    )
