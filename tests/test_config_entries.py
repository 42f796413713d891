"""Each config key's accepted forms and errors: a wrong type names the key, its line and what
was given; entries (ignore with a reason, checkpoints, reference, plugins) read as documented."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import coordlint
from coordlint.core.config import (
    Settings,
    Suppression,
    find_config,
    load_settings,
    parse_timeout,
)
from coordlint.core.plugins import load_plugins
from coordlint.errors import ConfigError
from coordlint.execution.checkpoints import CheckpointEntry


@pytest.fixture(scope="module")
def rules():
    return load_plugins(autoload=False).rules


def settings(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "coordlint.yaml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, text)
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select: 3\n", "coordlint.yaml:1: select: must be a list, got int 3"),
        ("select: [CL9, 3]\n", "coordlint.yaml:1: select: must be a str, got int 3"),
        ("ignore: [CL9, 3]\n", "coordlint.yaml:1: ignore: must be a str, got int 3"),
        ("extend-select:\n  - 4\n", "coordlint.yaml:1: extend-select: must be a str, got int 4"),
        ("extend-ignore: 2.5\n", "coordlint.yaml:1: extend-ignore: must be a list, got float 2.5"),
        ("\nseverity: [a]\n", "coordlint.yaml:2: severity: must be a dict, got list ['a']"),
        ("severity:\n  CL902: 3\n", "coordlint.yaml:2: severity.CL902: must be a str, got int 3"),
        ("params: 1\n", "coordlint.yaml:1: params: must be a dict, got int 1"),
        ("params:\n  CL201: [1]\n", "coordlint.yaml:2: params.CL201: must be a dict, got list"),
        (
            "tag-aliases:\n  eval/loss: 3\n",
            "coordlint.yaml:2: tag-aliases.eval/loss: must be a list, got int 3",
        ),
        ("plugins: mine.py\n", "coordlint.yaml:1: plugins: must be a list, got str 'mine.py'"),
        ("checkpoints: a\n", "coordlint.yaml:1: checkpoints: must be a list, got str 'a'"),
        ("reference: 3\n", "coordlint.yaml:1: reference: must be a list, got int 3"),
        ("reference: [a, '']\n", "coordlint.yaml:1: reference: each entry must be a file or run"),
        ("reference: [a, 3]\n", "coordlint.yaml:1: reference: each entry must be a file or run"),
        ("rule-timeout: -1\n", "coordlint.yaml:1: rule-timeout: must be a number of seconds"),
    ],
)
def test_a_wrong_type_names_the_key_its_line_and_the_value(tmp_path, text, message):
    assert message in error(tmp_path, text)


def test_codes_may_be_one_string_split_on_commas_and_spaces(tmp_path):
    s = settings(tmp_path, "select: CL2,CL3  CL9\nextend-select: 'CL101, CL102'\n")
    assert s.select == ["CL2", "CL3", "CL9"]
    assert s.extend_select == ["CL101", "CL102"]


@pytest.mark.parametrize("key", ["ignore", "extend-ignore"])
def test_ignore_lists_mix_codes_and_entries_with_a_reason(tmp_path, key):
    s = settings(
        tmp_path,
        f"{key}:\n  - CL903\n  - {{code: ' cl503 ', runs: 'sweeps/*', reason: ' on purpose '}}\n"
        "  - {code: CL9, reason: noisy}\n",
    )
    assert getattr(s, key.replace("-", "_")) == ["CL903"]
    assert s.suppressions == [
        Suppression("CL503", "sweeps/*", "on purpose"),
        Suppression("CL9", "*", "noisy"),
    ]


def test_entries_with_a_reason_from_both_ignore_keys_are_kept(tmp_path):
    s = settings(
        tmp_path,
        "ignore: [{code: CL1, reason: a}]\nextend-ignore: [{code: CL2, reason: b}]\n",
    )
    assert [(x.code, x.reason) for x in s.suppressions] == [("CL1", "a"), ("CL2", "b")]
    assert s.ignore == [] and s.extend_ignore == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{reason: x}", "coordlint.yaml:2: ignore: an ignore entry needs a 'code' string"),
        ("{code: ' ', reason: x}", "an ignore entry needs a 'code' string"),
        ("{code: 3, reason: x}", "an ignore entry needs a 'code' string"),
        ("{code: CL503}", "coordlint.yaml:2: ignore: an ignore entry needs a 'reason' string"),
        ("{code: CL503, reason: ''}", "an ignore entry needs a 'reason' string"),
        ("{code: CL503, reason: x, runs: 3}", "coordlint.yaml:2: ignore: must be a str, got int 3"),
        ("{code: CL503, reason: x, run: a}", "unknown field 'run' in an ignore entry (did you"),
    ],
)
def test_an_ignore_entry_needs_a_code_and_a_reason(tmp_path, entry, message):
    assert message in error(tmp_path, f"\nignore:\n  - {entry}\n")


@pytest.mark.parametrize(
    ("suppression", "code", "run", "matches"),
    [
        (Suppression("CL5", "sweeps/*", "r"), "CL503", "sweeps/s1", True),
        (Suppression("CL5", "sweeps/*", "r"), "CL401", "sweeps/s1", False),
        (Suppression("CL5", "sweeps/*", "r"), "CL503", "main/s1", False),
        (Suppression("ALL", "*", "r"), "CL101", "any/run", True),
        (Suppression("ALL", "a*", "r"), "CL101", "b", False),
        (Suppression("CL5", "Sweeps/*", "r"), "CL503", "sweeps/s1", False),  # case matters
    ],
)
def test_a_suppression_matches_a_code_prefix_and_a_run_glob(suppression, code, run, matches):
    assert suppression.matches(code, run) is matches


def test_a_suppressions_code_is_checked_and_normalised_by_validate(tmp_path, rules):
    s = settings(tmp_path, "ignore:\n  - {code: cl5, reason: x}\n")
    s.validate(rules)
    assert s.suppressions == [Suppression("CL5", "*", "x")]
    bad = settings(tmp_path, "ignore:\n  - {code: ZZ5, reason: x}\n")
    with pytest.raises(
        ConfigError, match=r"coordlint\.yaml:1: ignore: unknown rule code or prefix"
    ):
        bad.validate(rules)


def test_tag_aliases_may_be_one_string(tmp_path):
    s = settings(tmp_path, "tag-aliases:\n  eval/loss: val/loss\n  train/loss: [a, 3]\n")
    assert s.tag_aliases == {"eval/loss": ("val/loss",), "train/loss": ("a", "3")}


def test_params_are_copied_per_code(tmp_path):
    s = settings(tmp_path, "params:\n  CL201: {min_rise: 0.1}\n  CL302: {}\n")
    assert s.params == {"CL201": {"min_rise": 0.1}, "CL302": {}}


@pytest.mark.parametrize(("value", "seconds"), [(0, 0.0), (2, 2.0), (0.5, 0.5), (1e9, 1e9)])
def test_a_rule_timeout_is_a_finite_number_zero_or_more(value, seconds):
    assert parse_timeout(value, "x") == seconds
    assert type(parse_timeout(value, "x")) is float


@pytest.mark.parametrize("value", [-0.001, -1, True, False, math.inf, math.nan, "5", None])
def test_anything_else_is_not_a_timeout(value):
    with pytest.raises(ConfigError) as caught:
        parse_timeout(value, "coordlint.yaml:3: rule-timeout")
    assert str(caught.value) == (
        "coordlint.yaml:3: rule-timeout: must be a number of seconds, 0 or more (0: no limit)"
    )


def test_rule_timeout_from_the_config(tmp_path):
    assert settings(tmp_path, "rule-timeout: 0\n").rule_timeout == 0.0
    assert settings(tmp_path, "rule-timeout: 7\n").rule_timeout == 7.0


def test_checkpoint_entries_are_relative_to_the_config(tmp_path):
    s = settings(
        tmp_path,
        "checkpoints:\n  - {path: 'models/*', logs: out/run}\n"
        "  - {path: /m/x, logs: /l, step: 0}\n",
    )
    base = tmp_path.absolute()
    assert s.checkpoints == [
        CheckpointEntry(str(base / "models/*"), base / "out/run", None),
        CheckpointEntry("/m/x", Path("/l"), 0),
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("a", "coordlint.yaml:1: checkpoints: entry 0 must be a mapping {path: GLOB, logs: PATH}"),
        ("{path: a}", "coordlint.yaml:1: checkpoints: entry 0 needs a 'logs' string"),
        ("{logs: a, path: ' '}", "entry 0 needs a 'path' string"),
        ("{path: a, logs: b, step: -1}", "entry 0: step must be a whole number, got -1"),
        ("{path: a, logs: b, step: true}", "entry 0: step must be a whole number, got True"),
        ("{path: a, logs: b, step: 1.5}", "entry 0: step must be a whole number, got 1.5"),
    ],
)
def test_bad_checkpoint_entries(tmp_path, entry, message):
    assert message in error(tmp_path, f"checkpoints: [{entry}]\n")


def test_references_are_relative_to_the_config_unless_absolute_or_remote(tmp_path):
    s = settings(tmp_path, "reference: [refs.json, /abs/ref.json, 's3://b/ref.json']\n")
    assert s.references == [str(tmp_path / "refs.json"), "/abs/ref.json", "s3://b/ref.json"]
    assert settings(tmp_path, "reference: runs/golden\n").references == [
        str(tmp_path / "runs/golden")
    ]


def test_plugin_files_are_relative_to_the_config_and_modules_are_not(tmp_path):
    s = settings(tmp_path, "plugins: [mine.py, /abs/theirs.py, team_rules, 3]\n")
    assert s.plugins == [str(tmp_path / "mine.py"), "/abs/theirs.py", "team_rules", "3"]


def test_where_says_the_file_when_the_line_is_unknown(tmp_path):
    assert Settings().where("params", "CL201") == "params.CL201"
    s = Settings(path=tmp_path / "coordlint.yaml", lines={("select",): 4})
    assert s.where("select") == f"{tmp_path / 'coordlint.yaml'}:4: select"
    assert s.where("params", "CL201") == f"{tmp_path / 'coordlint.yaml'}: params.CL201"


@coordlint.rule("TM050", "typed-params", params={"limit": 1.0, "any": None, "on": False})
def typed_params(run):
    """Declares a float, an untyped and a bool param."""
    return iter(())


@pytest.mark.parametrize(
    ("overrides", "ok"),
    [
        ({"limit": 2}, True),
        ({"limit": 2.5}, True),
        ({"any": "text"}, True),  # a None default takes anything
        ({"any": [1]}, True),
        ({"on": True}, True),
        ({"on": 1}, False),
        ({"limit": True}, False),  # a bool is not a number here
        ({"limit": "2"}, False),
    ],
)
def test_param_overrides_must_have_the_defaults_type(overrides, ok):
    rules = {"TM050": typed_params}
    s = Settings(params={"TM050": overrides})
    if ok:
        s.validate(rules)
        assert s.params_for(typed_params) == {"limit": 1.0, "any": None, "on": False, **overrides}
        return
    (name, value) = next(iter(overrides.items()))
    with pytest.raises(ConfigError) as caught:
        s.validate(rules)
    kind = type(typed_params.params[name]).__name__
    assert str(caught.value) == (
        f"params.TM050.{name}: rule TM050 param {name!r} must be {kind}, "
        f"got {type(value).__name__} {value!r}"
    )


def test_an_unknown_param_lists_the_rules_params():
    with pytest.raises(ConfigError) as caught:
        Settings(params={"TM050": {"limt": 1.0}}).validate({"TM050": typed_params})
    assert str(caught.value) == (
        "params.TM050.limt: rule TM050 has no param 'limt' (did you mean 'limit'?)"
        " (its params: any, limit, on)"
    )


def test_a_pyproject_that_only_mentions_the_section_in_a_string_is_not_a_config(
    tmp_path,
):
    (tmp_path / "pyproject.toml").write_text('[tool.other]\nnote = """\n[tool.coordlint]\n"""\n')
    assert find_config(tmp_path) != tmp_path / "pyproject.toml"


def test_a_source_glob_naming_a_directory_says_what_to_write_instead(tmp_path):
    message = error(tmp_path, 'sources: ["a.csv", "exports/"]\n')
    assert message.endswith(
        "coordlint.yaml:1: sources: entry 1 ('exports/') names a directory; a source glob names "
        "files (e.g. 'exports/**/*.csv')"
    )
