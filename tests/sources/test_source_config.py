"""The config's ``sources:`` key: globs of files read as runs, relative to the config file."""

from __future__ import annotations

import pytest

from coordlint.core.config import load_settings
from coordlint.errors import ConfigError


def settings(tmp_path, text: str):
    path = tmp_path / "coordlint.yaml"
    path.write_text(text)
    return load_settings(path)


def test_globs_are_relative_to_the_config_file(tmp_path):
    s = settings(tmp_path, 'sources:\n  - "exports/**/*.csv"\n  - /abs/*.jsonl\n')
    assert s.sources == [f"{tmp_path.as_posix()}/exports/**/*.csv", "/abs/*.jsonl"]


def test_one_glob_may_be_a_string(tmp_path):
    assert settings(tmp_path, "sources: runs.csv\n").sources == [f"{tmp_path.as_posix()}/runs.csv"]


def test_pyproject_table(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.coordlint]\nsources = ["a/*.csv"]\n')
    assert load_settings(path).sources == [f"{tmp_path.as_posix()}/a/*.csv"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: {a: 1}\n", "coordlint.yaml:1: sources: must be a list of globs, got dict"),
        ("sources:\n  - 3\n", "coordlint.yaml:1: sources: entry 0 must be a non-empty glob, got 3"),
        ('sources: ["a.csv", " "]\n', "entry 1 must be a non-empty glob, got ' '"),
        ('sources: ["exports/"]\n', "entry 0 ('exports/') names a directory"),
    ],
)
def test_bad_sources(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings(tmp_path, text)


def test_unknown_key_lists_sources(tmp_path):
    with pytest.raises(ConfigError, match=r"known keys: .*checkpoints, .*sources\)"):
        settings(tmp_path, "source: [a]\n")
