"""Every real event file in shared/realruns, read in place, against a reference reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from _loading_helpers import reference_read

import coordlint
from coordlint.execution.discover import discover
from coordlint.loading import load_file, load_run
from coordlint.run import Run

CHT = "cht619__tensorboardX-mnist/runs"
EXPERIMENT = "TheCodeheadMT__TensorBoard-Tutorial/archive/hparam_tuning/Experiment 0_adam_200_0.2"


def _all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*tfevents*") if p.is_file())


def test_every_file_matches_reference(realruns) -> None:
    files = _all_files(realruns)
    assert len(files) == 31
    for path in files:
        expected, _ = reference_read(path)
        loaded = load_file(path)
        got = {
            t: list(zip(c.steps.tolist(), c.values.tolist(), c.wall_times.tolist(), strict=True))
            for t, c in loaded.columns.items()
        }
        assert got == expected, path


def test_problems_of_the_damaged_files(realruns) -> None:
    problems = {}
    for path in _all_files(realruns / CHT / "classifier_mnist_0915"):
        for p in load_file(path).problems:
            problems.setdefault(p.kind, []).append(p)
    assert sorted(problems) == ["empty", "header-only", "truncated"]
    assert len(problems["empty"]) == 7 and len(problems["header-only"]) == 2
    (trunc,) = problems["truncated"]
    assert trunc.file.endswith("events.out.tfevents.1600154935.yca-2662-2")
    assert trunc.offset == 40 and trunc.records_skipped == 1
    assert "file ends at 8481, record needs 8485" in trunc.message
    assert all(not load_file(p).problems for p in _all_files(realruns) if "0915" not in str(p))


def test_tf2_tensor_scalars_are_all_kept(realruns) -> None:
    (spec,) = discover(realruns / EXPERIMENT)
    assert spec.name == "Experiment 0_adam_200_0.2"
    run = Run(load_run(spec))
    assert run.tags == ["accuracy", "batch_accuracy", "batch_loss"]
    assert len(run.series("batch_loss")) == 15000
    assert run.series("batch_loss").index.tolist() == list(range(1, 15001))
    assert run.points == 30001 and run.problems == ()


def test_duplicate_steps_are_rewritten(realruns) -> None:
    runs = coordlint.load(realruns / "janosh__tensorboard-reducer/tests/runs/duplicate_steps")
    assert [r.name.rsplit("/", 1)[-1] for r in runs] == ["run_1", "run_2", "run_3"]
    for run in runs:
        expected, _ = reference_read(Path(run.files[0]))
        assert run.tags == sorted(expected)
        for tag, points in expected.items():
            assert len(points) == 210
            assert run.rewritten[tag] == 10
            assert run.series(tag).index.tolist() == list(range(200))
            # latest write wins: steps 90..99 carry their second value
            last = {s: v for s, v, _ in points}
            assert run.series(tag).tolist() == [last[s] for s in range(200)]


def test_two_file_runs_merge_in_order(realruns) -> None:
    hf = realruns / "ramrow__Finetune_research_RPI2025/results/transformers/llama_results/runs"
    (run,) = coordlint.load(hf)
    assert run.name == "runs/Aug02_01-11-59_pan".split("/")[-1] or run.name.endswith("pan")
    assert [Path(f).name for f in run.files] == [
        "events.out.tfevents.1754111522.pan.24538.0",
        "events.out.tfevents.1754113492.pan.24538.1",
    ]
    first, _ = reference_read(Path(run.files[0]))
    second, _ = reference_read(Path(run.files[1]))
    assert set(run.tags) == {t.replace("eval_", "eval/") for t in set(first) | set(second)}
    assert any(t.startswith("eval/") for t in second)
    # The second file's value wins for a (tag, step) both files hold.
    for tag, points in second.items():
        for step, value, _ in points:
            assert run.series(tag)[step] == value
    rerun = coordlint.load(realruns / "ZeroToMax-ZYZ__study_tensorboard/runs/my_first_experiment")[
        0
    ]
    a, _ = reference_read(Path(rerun.files[0]))
    assert all(rerun.rewritten[t] == len(p) for t, p in a.items())  # the re-run rewrote 0..99


def test_scalar_example_duplicates(realruns) -> None:
    (run,) = coordlint.load(realruns / CHT / "scalar_example_0914")
    assert len(run.files) == 2
    assert run.rewritten.get("my_value_1", 0) >= 10
    assert run.series("my_value_1").index.tolist() == list(range(10))


@pytest.mark.parametrize("name", ["train", "validation"])
def test_keras_logs(realruns, name, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # the real runs are outside the project: named by their dirs
    path = realruns / "TheCodeheadMT__TensorBoard-Tutorial/archive/logs/imdb-model-1690485351"
    runs = {r.name.removeprefix("imdb-model-1690485351/"): r for r in coordlint.load(path)}
    assert sorted(runs) == ["train", "validation"]  # "train" alone says nothing: with its parent
    expected, _ = reference_read(Path(runs[name].files[0]))
    assert {"epoch_loss", "epoch_accuracy"} <= set(expected)
    assert runs[name].tags == sorted(expected)
    assert runs[name].points == sum(len(v) for v in expected.values())


def test_every_run_reads_the_same_through_the_cache(realruns, tmp_path) -> None:
    # Each real run loaded plain, then through a cache twice: the first fills it, the second is
    # served from it (every column deferred until read). Points, rewrites and damage agree.
    from coordlint.loading.cache import Cache

    cache = Cache(tmp_path / "cache", min_size=0)
    specs = discover(realruns)
    assert len(specs) >= 8
    for spec in specs:
        plain = Run(load_run(spec))
        load_run(spec, cache=cache)
        cached = Run(load_run(spec, cache=cache))
        assert cached.tags == plain.tags, spec.name
        assert cached.points == plain.points and cached.rewritten == plain.rewritten, spec.name
        assert cached.problems == plain.problems, spec.name
        for tag in plain.tags:
            assert cached.series(tag).equals(plain.series(tag)), (spec.name, tag)
            assert cached.wall_times(tag).equals(plain.wall_times(tag)), (spec.name, tag)
