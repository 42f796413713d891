"""``coordlint watch``: a run grows between checks; only new findings are printed, Ctrl-C is 0."""

from __future__ import annotations

import json
import math
import os
import queue
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import coordlint
from coordlint.cli import cli
from coordlint.core import watch
from coordlint.errors import InputError
from coordlint.report import Report
from coordlint.rule import Finding, Severity
from coordlint.testing import write_events

SOFT_CE = "eval/coord_diag/soft_ce"

# What the trainer writes before each check: the soft-CE curve improves to 4.0 at step 500,
# rises for three evals (sustained at the 3rd: step 800), goes NaN in train/loss, then finds a
# new, lower minimum at step 1000 and rebounds from it.
CHUNKS = [
    {SOFT_CE: {100: 8.0, 200: 6.0, 300: 5.0, 400: 4.2, 500: 4.0}, "train/loss": {500: 1.0}},
    {SOFT_CE: {600: 4.5, 700: 4.6}},
    {SOFT_CE: {800: 4.7}},
    {SOFT_CE: {900: 4.8}, "train/loss": {900: math.nan}},
    {SOFT_CE: {1000: 2.0, 1100: 1.9, 1200: 2.3, 1300: 2.4, 1400: 2.5}},
    {SOFT_CE: {1500: 2.6}},
]


def _grow(run_dir: Path, monkeypatch) -> list[int]:
    """Write CHUNKS[0] now and the next chunk at each sleep; returns the list of sleeps."""
    write_events(run_dir, CHUNKS[0])
    sleeps: list[int] = []

    def sleep(_seconds: float) -> None:
        sleeps.append(len(sleeps))
        write_events(run_dir, CHUNKS[len(sleeps)])

    monkeypatch.setattr(watch, "_sleep", sleep)
    return sleeps


def test_watch_prints_each_finding_once_when_it_appears(tmp_path, monkeypatch):
    run_dir = tmp_path / "live"
    sleeps = _grow(run_dir, monkeypatch)

    result = CliRunner().invoke(
        cli,
        [
            *("watch", "--isolated", str(run_dir), "--interval", "0", "--max-checks", "6"),
            *("--select", "CL201,CL902", "--color", "never"),
        ],
    )
    assert result.exit_code == 1, result.output  # the last check has a CL902 error
    assert len(sleeps) == 5
    lines = [line for line in result.stdout.splitlines() if line.startswith("live CL")]
    assert [line.split(" [")[0] for line in lines] == ["live CL201", "live CL902", "live CL201"]
    assert "bottomed out at 4 at step 500" in lines[0] and "(step 800)" in lines[0]
    assert "train/loss is NaN at step 900" in lines[1]
    assert "at step 1100" in lines[2]  # the new minimum is a new finding
    assert "No findings" not in result.stdout  # no summary line per check
    others = [line for line in result.stdout.splitlines() if not line.startswith("live CL")]
    assert len(others) == 4 and all(line.startswith("    ") for line in others)  # sparklines


def test_watch_loop_emits_only_new_findings_per_check(tmp_path, monkeypatch):
    run_dir = tmp_path / "live"
    _grow(run_dir, monkeypatch)
    from coordlint.core import engine
    from coordlint.core.config import Settings
    from coordlint.core.plugins import load_plugins

    rules = load_plugins().rules
    settings = Settings(select=["CL201", "CL902"])
    settings.validate(rules)
    emitted: list[list[tuple[str, int | None]]] = []

    def check_once() -> Report:
        return engine.check(coordlint.load(run_dir), rules, settings)

    result = watch.watch_loop(
        check_once,
        lambda report, new: emitted.append([(f.code, f.step) for f in new]),
        interval=0,
        iterations=6,
    )
    assert emitted == [[], [], [("CL201", 500)], [("CL902", 900)], [("CL201", 1100)], []]
    assert result.checks == 6 and not result.interrupted
    assert {f.code for f in result.report.findings} == {"CL201", "CL902"}


def _finding(step, *, series_end=None, severity=Severity.WARNING, **data) -> Finding:
    series = None
    if series_end is not None:
        series = pd.Series([1.0, 2.0], index=[series_end - 10, series_end])
    return Finding(
        f"value {data.get('final', 0)}",
        tag="eval/x",
        step=step,
        data=data,
        severity=severity,
        run="r",
        code="CL401",
        series=series,
    )


def test_finding_key_ignores_numbers_and_a_step_that_tracks_the_curve_end():
    key = watch.finding_key
    # the step is the curve's last eval: it moves every eval and is not part of the key
    assert key(_finding(100, series_end=100, final=1.0)) == key(
        _finding(200, series_end=200, final=2.0)
    )
    # a key step inside the curve (a best step) is
    assert key(_finding(50, series_end=100)) != key(_finding(60, series_end=200))
    assert key(_finding(50, series_end=100)) != key(
        _finding(50, series_end=100, severity=Severity.ERROR)
    )
    assert key(_finding(None, file="a")) != key(_finding(None, file="b"))
    new = watch.NewFindings()
    assert len(new([_finding(1, final=1.0), _finding(1, final=2.0)])) == 1
    assert new([_finding(1, final=3.0)]) == []


def test_first_error_propagates_later_errors_retry():
    calls = []
    errors = []

    def check_once() -> Report:
        calls.append(1)
        if len(calls) == 2:
            raise InputError("gone for a moment")
        return Report(runs=[], rules={})

    result = watch.watch_loop(
        check_once, lambda r, n: None, interval=0, iterations=3, on_error=errors.append
    )
    assert result.checks == 3 and [str(e) for e in errors] == ["gone for a moment"]

    def broken() -> Report:
        raise InputError("path does not exist: x")

    with pytest.raises(InputError):
        watch.watch_loop(broken, lambda r, n: None, interval=0, iterations=3, on_error=print)


def test_keyboard_interrupt_ends_the_loop_cleanly():
    def sleep(_s: float) -> None:
        raise KeyboardInterrupt

    result = watch.watch_loop(
        lambda: Report(runs=[], rules={}), lambda r, n: None, interval=1, sleep=sleep
    )
    assert result.interrupted and result.checks == 1


def test_missing_path_exits_2(tmp_path):
    result = CliRunner().invoke(cli, ["watch", "--isolated", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "path does not exist" in result.stderr


def _lines_until(lines: queue.Queue, needle: str, seen: list[str], timeout: float = 120) -> None:
    """Collect the child's stdout lines until one contains ``needle`` (no fixed sleeps: a
    loaded machine only makes it take longer)."""
    deadline = time.monotonic() + timeout
    while not any(needle in line for line in seen):
        line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        if line is None:
            raise AssertionError(f"watch ended before printing {needle!r}: {seen}")
        seen.append(line)


def test_sigint_exits_0(tmp_path):
    write_events(tmp_path / "live", CHUNKS[0])
    env = {**os.environ, "COORDLINT_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "coordlint", "watch", "--isolated", str(tmp_path / "live")),
            *("--interval", "0.1", "--color", "never"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        _lines_until(lines, "live CL101 [info]", seen)  # the first check has printed
        # A NaN written now can only be printed by a later check: once it is, several checks
        # have run, and the first check's findings must not have been printed again.
        write_events(tmp_path / "live", {"train/loss": {10_000: math.nan}}, start_time=2e9)
        _lines_until(lines, "CL902", seen)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    reader.join(timeout=10)
    while not lines.empty():
        line = lines.get()
        if line is not None:
            seen.append(line)
    out = "".join(seen)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "stopped after" in err
    assert int(err.split("stopped after ")[1].split()[0]) >= 2
    # each info finding was printed once, and no summary lines
    assert out.count("live CL101 [info]") == 1 and out.count("live CL503 [info]") == 1
    assert "finding" not in out


def test_a_record_caught_mid_write_is_not_reported_but_a_dead_writer_is(tmp_path, monkeypatch):
    run_dir = tmp_path / "live"
    path = write_events(run_dir, {"train/loss": {s: 1.0 / s for s in range(1, 40)}})
    blob = path.read_bytes()
    last = _last_record_start(blob)
    cut = blob[last : last + 20]  # a record's header and the start of its data
    path.write_bytes(blob[:-7])  # the writer is mid-record at the first check
    states = [blob, blob + cut, blob + cut]  # whole; then cut off again, and it stays so

    def sleep(_seconds: float) -> None:
        path.write_bytes(states.pop(0))

    monkeypatch.setattr(watch, "_sleep", sleep)
    result = CliRunner().invoke(
        cli,
        [
            *("watch", "--isolated", str(run_dir), "--interval", "0", "--max-checks", "4"),
            *("--select", "CL901", "--color", "never"),
        ],
    )
    lines = [line for line in result.stdout.splitlines() if "CL901" in line]
    # Check 1 (cut mid-record) and 2 (whole) print nothing; the cut at check 3 is still there
    # at check 4, so it is printed once, naming the byte where the cut record starts.
    assert len(lines) == 1, result.output
    assert f"truncated record at byte {len(blob)}" in lines[0]
    assert result.exit_code == 0  # a warning; the default fail level is error


def _last_record_start(blob: bytes) -> int:
    pos = start = 0
    while pos + 12 <= len(blob):
        start = pos
        pos += 16 + struct.unpack_from("<Q", blob, pos)[0]
    return start


def test_jsonl_prints_each_new_finding_as_one_json_line(tmp_path, monkeypatch):
    run_dir = tmp_path / "live"
    _grow(run_dir, monkeypatch)
    result = CliRunner().invoke(
        cli,
        [
            *("watch", "--isolated", str(run_dir), "--interval", "0", "--max-checks", "6"),
            *("--select", "CL201,CL902", "-f", "jsonl"),
        ],
    )
    assert result.exit_code == 1, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["code"], r["step"]) for r in rows] == [
        ("CL201", 500),
        ("CL902", 900),
        ("CL201", 1100),
    ]
    assert set(rows[0]) == {"run", "code", "rule", "severity", "message", "tag", "step", "data"}
    assert rows[1]["severity"] == "error" and rows[1]["tag"] == "train/loss"


def test_until_fail_stops_at_the_first_failing_finding_with_exit_1(tmp_path, monkeypatch):
    run_dir = tmp_path / "live"
    sleeps = _grow(run_dir, monkeypatch)
    args = ["watch", "--isolated", str(run_dir), "--interval", "0", "--select", "CL201,CL902"]
    result = CliRunner().invoke(cli, [*args, "--until-fail", "-f", "jsonl"])
    assert result.exit_code == 1, result.output
    assert len(sleeps) == 3  # the NaN arrives with the 4th check: no 5th
    codes = [json.loads(line)["code"] for line in result.stdout.splitlines()]
    assert codes == ["CL201", "CL902"]  # the warning did not stop it; the error did
    assert "coordlint: stopped at check 4: a finding at or above the fail level" in result.stderr


def test_until_fail_follows_the_fail_level(tmp_path, monkeypatch):
    run_dir = tmp_path / "live"
    sleeps = _grow(run_dir, monkeypatch)
    args = ["watch", "--isolated", str(run_dir), "--interval", "0", "--select", "CL201"]
    result = CliRunner().invoke(cli, [*args, "--until-fail", "--fail-on", "info"])
    assert result.exit_code == 1, result.output
    assert len(sleeps) == 2  # the rise is sustained at the 3rd check: CL201 (an info here)
    assert result.stdout.startswith("live CL201 [")
