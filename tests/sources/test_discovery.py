"""Every source at once: one directory holding an MLflow store, Lightning versions, W&B runs,
tables, event files and an ms-swift output directory; each run found once, by the CLI."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from _layouts import (
    csv_table,
    jsonl_long_table,
    lightning_run,
    mlflow_client_run,
    wandb_files,
    wandb_offline_run,
)
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.core.plugins import load_plugins
from coordlint.errors import PluginError
from coordlint.testing import write_events

TRAIN = [(10, {"train/loss": 2.0}), (20, {"train/loss": 1.5})]
EVAL = [(20, {"eval/loss": 1.75})]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("project")
    mlflow_client_run(root / "mlruns", [(10, {"loss": 2.0}), (20, {"eval_loss": 1.75})])
    mlflow_client_run(root / "mlruns", [(10, {"loss": 3.0})], run_name="second")
    lightning_run(root / "lightning_logs" / "version_0", [(10, {"train_loss": 2.0})], {"lr": 1})
    lightning_run(root / "lightning_logs" / "version_1", [(10, {"val_loss": 2.0})], None)
    wandb_offline_run(root / "tracking", [*TRAIN, *EVAL], run_id="wb1")
    summary_only = root / "tracking" / "wandb" / "run-20260101_000000-wb2"
    wandb_files(summary_only, {"lr": 1}, {"_step": 5, "train/loss": 1.0})
    csv_table(root / "exports" / "a.csv", [*TRAIN, *EVAL])
    jsonl_long_table(root / "exports" / "b.jsonl", TRAIN)
    csv_table(root / "data" / "not_a_run.csv", TRAIN)
    write_events(root / "tb" / "run1", {"train/loss": {10: 2.0}})
    swift = root / "output" / "v0-20260101-000000"
    swift.mkdir(parents=True)
    (swift / "logging.jsonl").write_text('{"loss": 2.0, "global_step/max_steps": "10/20"}\n')
    (root / "coordlint.yaml").write_text('sources: ["exports/*"]\n')
    return root


def check(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        cli,
        ["check", str(root), "--config", str(root / "coordlint.yaml"), "-f", "json", "--exit-zero"],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_each_run_once(project):
    report = check(project)
    found = sorted((r["name"], r["source"]) for r in report["runs"])
    mlflow = sorted(p.relative_to(project).as_posix() for p in project.glob("mlruns/*/*/metrics"))
    wandb_dir = next(project.glob("tracking/wandb/offline-run-*")).relative_to(project)
    assert found == sorted(
        [
            ("exports/a.csv", "csv"),
            ("exports/b.jsonl", "jsonl"),
            ("lightning_logs/version_0", "lightning"),
            ("lightning_logs/version_1", "lightning"),
            *((m.removesuffix("/metrics"), "mlflow") for m in mlflow),
            ("output/v0-20260101-000000", "logging.jsonl"),
            ("tb/run1", "tfevents"),
            (wandb_dir.as_posix(), "wandb"),
            ("tracking/wandb/run-20260101_000000-wb2", "wandb"),
        ]
    )
    assert len(mlflow) == 2
    points = {r["name"]: r["points"] for r in report["runs"]}
    assert points["exports/a.csv"] == 3 and points[wandb_dir.as_posix()] == 3
    assert points["tracking/wandb/run-20260101_000000-wb2"] == 1  # its summary's final value


def test_the_runs_are_the_same_with_a_worker_pool(project):
    result = CliRunner().invoke(
        cli,
        [
            "check",
            str(project),
            "--config",
            str(project / "coordlint.yaml"),
            "-f",
            "json",
            "--exit-zero",
            "--jobs",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    pooled = {r["name"]: (r["source"], r["points"]) for r in json.loads(result.output)["runs"]}
    alone = {r["name"]: (r["source"], r["points"]) for r in check(project)["runs"]}
    assert pooled == alone


def test_show_settings_names_sources_and_globs(project):
    result = CliRunner().invoke(
        cli, ["check", str(project), "--config", str(project / "coordlint.yaml"), "--show-settings"]
    )
    assert "sources: mlflow, lightning, wandb, csv, jsonl\n" in result.output
    assert f"source glob: {project.as_posix()}/exports/*\n" in result.output


PLUGIN = textwrap.dedent(
    '''
    """A team's tracker: run directories holding points.txt ("step tag value" lines)."""
    import numpy as np

    import coordlint
    from coordlint.columns import ScalarColumns
    from coordlint.loading.sources import Found, Source, SourceRead


    class PointsTxt(Source):
        name = "points-txt"

        def recognise(self, directory, names):
            if "points.txt" in names:
                return Found(self, directory, (directory / "points.txt",))
            return None

        def read(self, found):
            out = SourceRead(files=[str(found.files[0])], config=[{"tracker": "ours"}])
            for line in found.files[0].read_text().splitlines():
                step, tag, value = line.split()
                cols = ScalarColumns(np.array([int(step)]), np.array([float(value)]),
                                     np.array([np.nan]))
                out.writes.setdefault(tag, []).append(cols)
            return out


    @coordlint.hookimpl
    def coordlint_sources():
        return [PointsTxt()]
    '''
)


def test_a_plugin_adds_its_trackers_format(tmp_path):
    plugin = tmp_path / "points_plugin.py"
    plugin.write_text(PLUGIN)
    run_dir = tmp_path / "runs" / "exp1"
    run_dir.mkdir(parents=True)
    (run_dir / "points.txt").write_text("10 train/loss 2.0\n20 train/loss 1.5\n")
    args = ["check", str(tmp_path / "runs"), "--isolated", "-f", "json", "--exit-zero"]
    result = CliRunner().invoke(cli, [*args, "--plugin", str(plugin)])
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.output)["runs"]
    assert (run["source"], run["tags"], run["points"]) == ("points-txt", ["train/loss"], 2)
    loaded = load_plugins([str(plugin)], autoload=False)
    assert [s.name for s in loaded.sources][-1] == "points-txt"  # after the built-ins
    assert [s.name for s in loaded.sources][:5] == ["mlflow", "lightning", "wandb", "csv", "jsonl"]
    # without the plugin the directory holds no run
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "nor a run of another source" in result.output


def test_a_plugin_source_must_be_a_named_source(tmp_path):
    plugin = tmp_path / "bad_sources.py"
    plugin.write_text(
        "import coordlint\n\n@coordlint.hookimpl\ndef coordlint_sources():\n    return ['x']\n"
    )
    with pytest.raises(PluginError, match=r"not a named coordlint\.loading\.sources\.Source"):
        load_plugins([str(plugin)], autoload=False)
    twice = tmp_path / "twice.py"
    twice.write_text(
        "import coordlint\nfrom coordlint.loading.sources.table import CsvTable\n\n"
        "@coordlint.hookimpl\ndef coordlint_sources():\n    return [CsvTable()]\n"
    )
    with pytest.raises(PluginError, match="source 'csv' is already registered"):
        load_plugins([str(twice)], autoload=False)


def test_a_source_that_raises_costs_only_its_run(tmp_path):
    plugin = tmp_path / "broken_plugin.py"
    plugin.write_text(PLUGIN.replace("step, tag, value = line.split()", "1 / 0"))
    run_dir = tmp_path / "runs" / "exp1"
    run_dir.mkdir(parents=True)
    (run_dir / "points.txt").write_text("10 train/loss 2.0\n")
    write_events(tmp_path / "runs" / "tb", {"train/loss": {1: 1.0}})
    args = ["check", str(tmp_path / "runs"), "--isolated", "-f", "json", "--exit-zero"]
    result = CliRunner().invoke(cli, [*args, "--plugin", str(plugin)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {r["name"].rsplit("/", 1)[-1]: r["points"] for r in report["runs"]} == {
        "exp1": 0,
        "tb": 1,
    }
    (finding,) = [f for f in report["findings"] if f["code"] == "CL901"]
    assert "the points-txt source failed: ZeroDivisionError" in finding["message"]
    assert finding["severity"] == "error"


def test_moving_a_layout_keeps_its_run(project, tmp_path):
    moved = Path(shutil.copytree(project / "lightning_logs", tmp_path / "elsewhere"))
    result = CliRunner().invoke(cli, ["check", str(moved), "--isolated", "-f", "json"])
    names = sorted(r["name"].rsplit("/", 1)[-1] for r in json.loads(result.output)["runs"])
    assert names == ["version_0", "version_1"]
