"""Only regular files are read (issue 15, item 2): a FIFO, a device or a socket where a log, a
config or a cache entry should be is reported and skipped, never waited on or read forever;
files read whole have a size limit; an exception reading one file costs only that file."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket

import pytest
from _loading_helpers import scalar_event, tensor_event, write_with_tensorboard

from coordlint.loading import RunSpec, hf_logs, load_file, load_run, run_config
from coordlint.loading.cache import Cache
from coordlint.loading.run_loader import isolated

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


@contextlib.contextmanager
def _no_hang(seconds: float = 20):
    """Fail the test instead of waiting forever on a FIFO."""

    def expired(signum, frame):
        raise TimeoutError(f"still reading after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(int(seconds))
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _make(path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    else:
        path.mkdir()


WHAT = {"fifo": "a FIFO", "dev-zero": "a character device", "socket": "", "dir": "a directory"}


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "socket", "dir"])
def test_logs_and_configs_that_are_not_regular_files(tmp_path, kind) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    names = ("logging.jsonl", "trainer_state.json", "resolved_config.json", "args.json")
    for name in names:
        _make(run_dir / name, kind)
    events = write_with_tensorboard(run_dir, [scalar_event(i, "loss", i / 2) for i in range(5)])
    spec = RunSpec("r", run_dir, (events,), run_dir / "logging.jsonl", (run_dir / names[1],))
    with _no_hang():
        run = load_run(spec)
    assert run.columns["loss"].steps.tolist() == list(range(5))  # the event file is read
    reported = {p.file.rsplit("/", 1)[1]: p for p in run.problems}
    # A directory by a config's name is not taken for the config (it is looked for by name).
    assert set(reported) == set(names[:2] if kind == "dir" else names)
    for p in reported.values():
        assert p.kind == "unreadable"
        assert WHAT[kind] in p.message  # a socket cannot be opened at all: its own error


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_an_event_file_that_is_not_a_regular_file(tmp_path, kind) -> None:
    path = tmp_path / "events.out.tfevents.1.host"
    _make(path, kind)
    with _no_hang():
        loaded = load_file(path)
    (problem,) = loaded.problems
    assert problem.kind == "unreadable" and WHAT[kind] in problem.message


def test_a_symlink_to_a_regular_file_is_followed(tmp_path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_text(json.dumps({"global_step": 1, "loss": 0.5}) + "\n")
    link = tmp_path / "logging.jsonl"
    link.symlink_to(real)
    log = hf_logs.read_logging_jsonl(link)
    assert log.problems == [] and log.rows == 1


def test_files_read_whole_have_a_size_limit(tmp_path, monkeypatch) -> None:
    rows = [json.dumps({"global_step": i, "loss": 1.0}) for i in range(100)]
    (tmp_path / "logging.jsonl").write_text("\n".join(rows) + "\n")
    (tmp_path / "args.json").write_text(json.dumps({"x": "y" * 200}))
    monkeypatch.setattr(hf_logs, "MAX_LOG_BYTES", 1000)
    monkeypatch.setattr(run_config, "MAX_CONFIG_BYTES", 100)
    (problem,) = hf_logs.read_logging_jsonl(tmp_path / "logging.jsonl").problems
    size = (tmp_path / "logging.jsonl").stat().st_size
    assert problem.kind == "too-large"
    assert f"{size} bytes, over the 1000 bytes limit" in problem.message
    (problem,) = run_config.load_run_config(tmp_path).problems
    assert problem.kind == "too-large" and problem.file.endswith("args.json")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "dir"])
def test_a_cache_entry_that_is_not_a_regular_file_is_decoded_again(tmp_path, kind) -> None:
    path = write_with_tensorboard(tmp_path / "r", [scalar_event(i, "x", 1.0) for i in range(9)])
    cache = Cache(tmp_path / "cache", min_size=0)
    reference = load_file(path)
    load_file(path, cache=cache)
    entry = cache.entry_path(str(path))
    entry.unlink()
    _make(entry, kind)
    with _no_hang():
        got = load_file(path, cache=cache)
    assert got.cache_status.startswith("corrupt:")
    assert got.columns["x"].steps.tolist() == reference.columns["x"].steps.tolist()


def test_an_exception_reading_one_file_costs_only_that_file(tmp_path) -> None:
    """Whatever a file makes the loader raise becomes a loader-error problem for that file."""

    def broken() -> int:
        return {}["missing"]

    got = isolated("some/file", broken, lambda problem: problem)
    assert (got.file, got.kind) == ("some/file", "loader-error")
    assert "KeyError: 'missing'" in got.message


def test_a_file_the_decoder_chokes_on_does_not_stop_the_run(tmp_path) -> None:
    # A half-precision tensor whose half_val is negative (a correct CRC): whatever the decoder
    # makes of it, the run's other file is read and nothing escapes load_run.
    good = write_with_tensorboard(tmp_path, [scalar_event(i, "ok", 1.0) for i in range(4)], ".a")
    bad_event = tensor_event(1, "half", 0.5, dtype="float16")
    bad_event.summary.value[0].tensor.ClearField("half_val")
    bad_event.summary.value[0].tensor.half_val.append(-5)
    bad = write_with_tensorboard(tmp_path, [scalar_event(0, "b", 1.0), bad_event], ".b")
    run = load_run(RunSpec("r", tmp_path, (good, bad)))
    assert run.columns["ok"].steps.tolist() == [0, 1, 2, 3]
    assert all(p.file == str(bad) for p in run.problems)
