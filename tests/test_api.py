"""The Python API: ``coordlint.load`` and ``coordlint.check``, as the README shows them."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

import coordlint
from coordlint.errors import ConfigError, InputError
from coordlint.testing import write_events

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_readme_snippet_runs_as_shown(monkeypatch, capsys):
    block = re.search(r"## Python API\n.*?```python\n(.*?)```", README, re.S).group(1)
    assert len([line for line in block.splitlines() if line.strip()]) == 5  # five lines
    monkeypatch.chdir(REPO)  # where a reader runs it: the repository, with examples/runs
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "True 1"  # failed, exit code: CL101, CL201 and CL501 are warnings
    shown = [line.split(" ", 3)[:3] for line in out[:-1]]
    assert ["examples/runs/pure_ce_only", "CL201", "warning"] in shown
    assert len(shown) == 8


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    write_events(tmp_path / "runs" / "nan", {"train/loss": {1: 2.0, 2: math.nan}})
    write_events(tmp_path / "runs" / "ok", {"train/loss": {1: 2.0, 2: 1.0}})
    return tmp_path / "runs"


def test_check_paths_or_loaded_runs_alike(runs, monkeypatch):
    monkeypatch.chdir(runs.parent)
    loaded = coordlint.load(runs)
    assert [run.name for run in loaded] == ["runs/nan", "runs/ok"]
    assert isinstance(loaded[0], coordlint.Run) and loaded[0].series("train/loss").size == 2
    by_path = coordlint.check(runs, isolated=True)
    by_run = coordlint.check(*loaded, isolated=True)
    assert by_path.findings == by_run.findings
    assert [(f.run, f.code) for f in by_path.findings] == [("runs/nan", "CL902")]
    assert by_path.failed and by_path.exit_code == 1
    assert json.loads(by_path.to("json"))["findings"][0]["code"] == "CL902"


def test_selection_fail_level_and_config_as_on_the_command_line(runs, tmp_path):
    assert not coordlint.check(runs, isolated=True, ignore=["CL902"]).findings
    assert not coordlint.check(runs, isolated=True, fail_on="never").failed
    config = tmp_path / "coordlint.yaml"
    config.write_text("severity: {CL902: warning}\n")
    report = coordlint.check(runs, config=config)
    assert [str(f.severity) for f in report.findings] == ["warning"] and not report.failed
    with pytest.raises(ConfigError, match="did you mean 'warning'"):
        coordlint.check(runs, isolated=True, fail_on="warn")
    with pytest.raises(InputError):
        coordlint.check(tmp_path / "nowhere", isolated=True)
