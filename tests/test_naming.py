"""Issue 14's stable names: a run is named by where it is, never by how its path was typed."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.execution.naming import project_root, run_names, short_name
from coordlint.testing import write_events


def invoke(cwd: Path, *args: str):
    here = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, ["check", "--no-cache", *args])
    finally:
        os.chdir(here)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/x/output/stage1/pure_ce/v0-20260226-101010", "pure_ce/v0-20260226-101010"),
        ("/x/logs/imdb-model-1690485351/train", "imdb-model-1690485351/train"),
        ("/x/llama_results/runs/Aug02_01-11-59_pan", "llama_results/runs/Aug02_01-11-59_pan"),
        ("/x/sweeps/lr_3e-4", "lr_3e-4"),
        ("/runs", "runs"),  # nothing above it: as it is, never empty
    ],
)
def test_short_names_are_the_meaningful_last_components(path, name):
    assert short_name(Path(path)) == name


def test_names_inside_the_root_are_relative_and_clashes_outside_grow(tmp_path):
    inside = tmp_path / "proj" / "tb" / "a"
    clash = [tmp_path / "x" / "strict" / "run_1", tmp_path / "x" / "dup" / "run_1"]
    names = run_names([inside, tmp_path / "proj", *clash], tmp_path / "proj")
    assert names[inside] == "tb/a"
    assert names[tmp_path / "proj"] == "proj"  # the root itself: never empty
    assert [names[p] for p in clash] == ["strict/run_1", "dup/run_1"]


def test_project_root_is_the_config_dir_else_the_git_root_else_cwd(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "sub").mkdir()
    assert project_root(tmp_path / "cfg" / "coordlint.yaml") == tmp_path / "cfg"
    assert project_root(cwd=tmp_path / "repo" / "sub") == tmp_path / "repo"
    (tmp_path / "plain").mkdir()
    assert project_root(cwd=tmp_path / "plain") == tmp_path / "plain"


def test_a_baseline_written_from_a_parent_path_matches_from_a_child_path(tmp_path):
    for name in ("stage1/a", "stage1/b", "stage2/a"):
        write_events(tmp_path / "tb" / name, {"train/loss": {1: 1.0, 2: float("nan")}})
    (tmp_path / "coordlint.yaml").write_text("fail-on: error\n")
    baseline = tmp_path / "baseline.json"
    written = invoke(tmp_path, "tb", "--write-baseline", str(baseline))
    assert written.exit_code == 0, written.output
    runs = {e["run"] for e in json.loads(baseline.read_text())["findings"]}
    assert runs == {"tb/stage1/a", "tb/stage1/b", "tb/stage2/a"}
    for cwd, argument in ((tmp_path, "tb/stage1"), (tmp_path / "tb" / "stage1", "a")):
        result = invoke(cwd, argument, "--baseline", str(baseline))
        assert result.exit_code == 0, result.output  # every finding is in the baseline
        assert "finding(s) baselined" in result.stderr


def test_check_dot_inside_a_run_has_a_name(tmp_path):
    run = tmp_path / "my run"
    write_events(run, {"eval/coord_diag/enabled": {1: 0.0}})
    out = tmp_path / "report.xml"
    result = invoke(run, "--isolated", ".", "-f", "junit", "-o", str(out))
    assert result.exit_code == 0, result.output
    names = [case.get("name") for case in ET.parse(out).getroot().iter("testcase")]
    assert names and all(n.startswith("my run::") for n in names)
    text = invoke(run, "--isolated", ".")
    assert text.stdout.startswith("my run CL101 [info]")
