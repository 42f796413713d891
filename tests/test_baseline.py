"""Baselines and ignores with reasons: accept known findings, fail only on new ones."""

from __future__ import annotations

import json
import math

from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.testing import write_events


def check(*args: str):
    return CliRunner().invoke(cli, ["check", "--isolated", *args])


def test_baseline_round_trip(tmp_path):
    run = tmp_path / "runs" / "a"
    write_events(run, {"train/loss": {1: 1.0, 2: math.nan}})
    baseline = tmp_path / "baseline.json"

    written = check(str(tmp_path / "runs"), "--write-baseline", str(baseline))
    assert written.exit_code == 0, written.output
    entries = json.loads(baseline.read_text())["findings"]
    assert entries == [{"run": "a", "code": "CL902", "tag": "train/loss", "count": 1}]

    unchanged = check(str(tmp_path / "runs"), "--baseline", str(baseline), "-f", "json")
    assert unchanged.exit_code == 0, unchanged.output
    doc = json.loads(unchanged.stdout)
    assert doc["findings"] == []
    assert [(s["code"], s["reason"]) for s in doc["suppressed"]] == [("CL902", "baseline")]
    assert "1 finding(s) baselined" in unchanged.stderr

    # a new fault: another tag goes NaN; only the new finding is reported
    write_events(run, {"eval/loss": {3: math.inf}})
    new = check(str(tmp_path / "runs"), "--baseline", str(baseline), "-f", "json")
    assert new.exit_code == 1
    assert [(f["code"], f["tag"]) for f in json.loads(new.stdout)["findings"]] == [
        ("CL902", "eval/loss")
    ]


def test_baseline_matches_by_key_not_message_and_reports_stale_entries(tmp_path):
    write_events(tmp_path / "a", {"train/loss": {1: math.nan}})
    baseline = tmp_path / "b.json"
    baseline.write_text(
        json.dumps(
            {
                "findings": [
                    {"run": "a", "code": "CL902", "tag": "train/loss", "count": 1},
                    {"run": "a", "code": "CL901", "tag": None, "count": 2},
                ]
            }
        )
    )
    result = check(str(tmp_path / "a"), "--baseline", str(baseline))
    assert result.exit_code == 0
    assert "2 baseline entries no longer occur: a CL901, a CL901" in result.stderr


def test_unreadable_baseline_exits_2(tmp_path):
    write_events(tmp_path / "a", {"x": {1: 1.0}})
    (tmp_path / "b.json").write_text("[1, 2]")
    result = check(str(tmp_path / "a"), "--baseline", str(tmp_path / "b.json"))
    assert result.exit_code == 2 and "not a coordlint baseline" in result.output
    missing = check(str(tmp_path / "a"), "--baseline", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "cannot read baseline" in missing.output


def test_ignore_with_reason_and_run_glob(tmp_path):
    for name in ("sweeps/s1", "main"):
        write_events(tmp_path / "runs" / name, {"train/loss": {1: math.nan}})
    cfg = tmp_path / "coordlint.yaml"
    cfg.write_text(
        "ignore:\n"
        "  - {code: CL902, runs: 'runs/sweeps/*', reason: diverged on purpose (lr sweep)}\n"
    )
    result = CliRunner().invoke(
        cli, ["check", "--config", str(cfg), str(tmp_path / "runs"), "-f", "json"]
    )
    doc = json.loads(result.stdout)
    assert [f["run"] for f in doc["findings"]] == ["runs/main"]  # relative to the config's dir
    (suppressed,) = doc["suppressed"]
    assert suppressed["run"] == "runs/sweeps/s1"
    assert suppressed["reason"] == "diverged on purpose (lr sweep)"
    settings = CliRunner().invoke(
        cli, ["check", "--config", str(cfg), "--show-settings", str(tmp_path / "runs")]
    )
    assert settings.exit_code == 0
    expected = "ignored: CL902 on runs 'runs/sweeps/*': diverged on purpose (lr sweep)"
    assert expected in settings.output


def test_ignore_entry_needs_a_reason(tmp_path):
    write_events(tmp_path / "a", {"x": {1: 1.0}})
    cfg = tmp_path / "coordlint.yaml"
    cfg.write_text("ignore:\n  - {code: CL902, runs: 'x*'}\n")
    result = CliRunner().invoke(cli, ["check", "--config", str(cfg), str(tmp_path / "a")])
    assert result.exit_code == 2 and "needs a 'reason'" in result.output
