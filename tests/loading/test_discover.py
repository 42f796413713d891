"""discover(): TensorBoard's logdir rule."""

from __future__ import annotations

import pytest
from _loading_helpers import scalar_event

from coordlint.errors import InputError
from coordlint.execution.discover import discover


def test_logdir_rule_nested_runs_and_spaces(tmp_path, tb_write) -> None:
    root = tmp_path / "logs"
    tb_write(root / "b run" / "train", [scalar_event(1, "loss", 1.0)])
    tb_write(root / "b run" / "eval", [scalar_event(1, "loss", 1.0)])
    tb_write(root / "a" / ".hidden", [scalar_event(1, "loss", 1.0)])
    (root / "empty_dir").mkdir()
    (root / "notes.txt").write_text("x")
    runs = discover(root, root=root)  # named relative to the project root
    assert [r.name for r in runs] == ["a/.hidden", "b run/eval", "b run/train"]
    elsewhere = discover(root, root=tmp_path / "other")  # outside it: the meaningful parts
    assert [r.name for r in elsewhere] == [".hidden", "b run/eval", "b run/train"]
    assert runs[2].path == root / "b run" / "train"
    assert all(len(r.files) == 1 for r in runs)


def test_directory_with_event_files_is_one_run(tmp_path, tb_write) -> None:
    run_dir = tmp_path / "exp 1"
    a = tb_write(run_dir, [scalar_event(1, "x", 1.0)], suffix=".a")
    b = tb_write(run_dir, [scalar_event(1, "x", 2.0)], suffix=".b")
    (spec,) = discover(run_dir)
    assert spec.name == "exp 1" and spec.path == run_dir
    assert set(spec.files) == {a, b}


def test_merge_order_timestamp_then_wall_time_then_name(tmp_path) -> None:
    from bench_load import frame, header_event_bytes

    def write(name: str, wall: float) -> None:
        (tmp_path / name).write_bytes(frame(header_event_bytes(wall)))

    write("events.out.tfevents.200.host", 1.0)
    write("events.out.tfevents.100.host.2", 50.0)
    write("events.out.tfevents.100.host.1", 60.0)
    write("events.out.tfevents.100.host.0", 60.0)
    (spec,) = discover(tmp_path)
    assert [f.name for f in spec.files] == [
        "events.out.tfevents.100.host.2",
        "events.out.tfevents.100.host.0",
        "events.out.tfevents.100.host.1",
        "events.out.tfevents.200.host",
    ]


def test_file_argument(tmp_path, tb_write) -> None:
    path = tb_write(tmp_path / "run", [scalar_event(1, "x", 1.0)])
    (spec,) = discover(str(path))
    assert (spec.name, spec.path, spec.files) == ("run", path.parent, (path,))


def test_missing_path_and_no_event_files(tmp_path) -> None:
    with pytest.raises(InputError, match="path does not exist"):
        discover(tmp_path / "nope")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "log.txt").write_text("x")
    with pytest.raises(InputError, match="no TensorBoard event files"):
        discover(tmp_path)
