"""Lightning's CSVLogger: files Lightning itself wrote (data/lightning_version_0, see
data/make_lightning.py), and the csv-module writer the other tests use, byte for byte."""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import signal
from pathlib import Path

import pytest
from _layouts import lightning_run

from coordlint.errors import InputError
from coordlint.execution.collect import Targets, load_path
from coordlint.testing import load

DATA = Path(__file__).parent / "data"
REAL = DATA / "lightning_version_0"


def _calls_and_hparams():
    spec = importlib.util.spec_from_file_location("lightning_calls", DATA / "lightning_calls.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CALLS, module.HPARAMS


def test_the_csv_writer_writes_what_lightning_wrote(tmp_path):
    calls, hparams = _calls_and_hparams()
    written = lightning_run(tmp_path / "version_0", calls, hparams)
    for name in ("metrics.csv", "hparams.yaml"):
        assert (written / name).read_bytes() == (REAL / name).read_bytes()


@pytest.fixture
def version_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(REAL, tmp_path / "lightning_logs" / "version_0"))


def test_points_tags_and_config(version_dir):
    run = load(version_dir)
    assert run.source == "lightning"
    assert run.tags == [
        "eval/acc",
        "eval/coord_diag/soft_ce",
        "eval/loss",
        "train/epoch",
        "train/loss",
        "train/lr-AdamW",
    ]
    assert run.series("train/loss").to_dict() == {9: 2.5, 19: 2.25, 29: math.inf, 39: 1.75}
    assert run.series("eval/loss").to_dict() == {19: 2.0}
    assert math.isnan(run.series("eval/acc")[19])  # logged NaN: a point, not an empty cell
    assert run.series("eval/coord_diag/soft_ce").to_dict() == {39: 4.25}
    assert run.series("train/epoch").to_dict() == {9: 0.0, 19: 0.0, 29: 1.0, 39: 1.0}
    assert run.rewritten == {}  # the train and val rows of step 19 agree on the epoch
    assert run.points == 12 and run.problems == ()
    config = run.config
    assert config["lr"] == 2e-05 and config["eval_steps"] == 40
    assert config["betas"] == [0.9, 0.999]  # a !!python/tuple, read as plain data
    assert config["coord_soft_ce_w1.enabled"] is True
    assert str(version_dir / "hparams.yaml") in run.files


def test_which_directories_are_lightning_runs(tmp_path):
    calls = [(1, {"train_loss": 1.0})]
    named = lightning_run(tmp_path / "logs" / "my_run", calls, {"lr": 1.0})  # hparams.yaml
    numbered = lightning_run(tmp_path / "logs" / "version_3", calls, None)  # version_N
    lightning_run(tmp_path / "other" / "stats", calls, None)  # neither: not a run
    runs = load_path(tmp_path, targets=Targets(root=tmp_path))
    assert sorted(r.path for r in runs) == [str(named), str(numbered)]
    assert {r.source for r in runs} == {"lightning"}
    # named on the command line, a metrics.csv is its directory's run
    (run,) = load_path(tmp_path / "other" / "stats" / "metrics.csv", targets=Targets(tmp_path))
    assert (run.name, run.source) == ("other/stats", "lightning")


def test_event_files_beside_metrics_csv_come_first(tmp_path, version_dir):
    from coordlint.testing import write_events

    write_events(version_dir, {"train/loss": {9: 9.0}, "train/extra": {9: 1.0}})
    run = load(version_dir)
    assert run.source == "tfevents+lightning"
    assert run.series("train/loss").to_dict() == {9: 9.0}  # the event file's tag wins whole
    assert run.series("train/extra").to_dict() == {9: 1.0}
    assert run.series("eval/loss").to_dict() == {19: 2.0}  # tags only metrics.csv has


def test_damage_costs_only_its_rows(version_dir):
    metrics = version_dir / "metrics.csv"
    lines = metrics.read_bytes().split(b"\r\n")
    lines.insert(2, b"0,,11,oops,,,")  # a train_loss that is no number
    lines.insert(3, b"0,,12")  # a row cut short
    lines.insert(4, b"0,,x,1.0,,,")  # no step
    metrics.write_bytes(b"\r\n".join(lines))
    run = load(version_dir)
    assert run.series("train/loss").to_dict() == {9: 2.5, 19: 2.25, 29: math.inf, 39: 1.75}
    assert run.series("train/epoch").to_dict() == {9: 0.0, 11: 0.0, 19: 0.0, 29: 1.0, 39: 1.0}
    assert [(p.kind, p.message) for p in run.problems] == [
        ("bad-line", "line 4 has 3 fields, not 7; skipped"),
        ("bad-line", "line 5 has no step; skipped"),
        ("bad-line", "line 3 has 'oops' in column 'train_loss', not a number; skipped"),
    ]


def test_an_unreadable_hparams_yaml_is_a_problem_not_an_error(version_dir):
    (version_dir / "hparams.yaml").write_text("lr: [1e-4\n")
    run = load(version_dir)
    assert run.series("eval/loss").to_dict() == {19: 2.0}
    (problem,) = run.problems
    assert problem.kind == "bad-config" and "line 2" in problem.message


def test_a_csv_that_is_not_a_run_is_named_as_such(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("x")
    with pytest.raises(InputError, match="nor a file another source reads"):
        load_path(path, targets=Targets(root=tmp_path))


def test_tag_aliases_apply_on_top_of_the_mapping(tmp_path):
    import coordlint

    calls = [(9, {"train_loss_step": 2.5}), (19, {"train_loss_step": 2.0, "train_loss_epoch": 2.2})]
    directory = lightning_run(tmp_path / "version_0", calls, None)
    (run,) = coordlint.load(directory, tag_aliases={"train/loss": ["train/loss_step"]})
    assert run.tags == ["train/loss_epoch", "train/loss_step"]
    assert run.logged_as("train/loss") == "train/loss_step"
    assert run.series("train/loss").to_dict() == {9: 2.5, 19: 2.0}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_a_metrics_csv_or_hparams_yaml_that_is_a_fifo_is_reported_not_waited_on(version_dir):
    """A source reads only regular files, as the event-file and JSON readers do: a FIFO with
    no writer would block a plain read forever."""
    for name in ("metrics.csv", "hparams.yaml"):
        (version_dir / name).unlink()
        os.mkfifo(version_dir / name)
    old = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(20)
    try:
        run = load(version_dir)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    reported = {Path(p.file).name: p for p in run.problems}
    assert set(reported) == {"metrics.csv", "hparams.yaml"}
    for problem in reported.values():
        assert problem.kind == "unreadable" and "not a regular file (a FIFO)" in problem.message
    assert run.tags == []


def _hung(signum, frame):
    raise TimeoutError("still reading a FIFO after 20 s")
