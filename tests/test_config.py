"""coordlint.yaml and [tool.coordlint]: discovery, safe parsing, errors that name key and line."""

from __future__ import annotations

from pathlib import Path

import pytest

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
        ("fail-on: 3\n", r"coordlint.yaml:1: fail-on: must be a str"),
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
