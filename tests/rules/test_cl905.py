"""CL905 checkpoint-step-mismatch: a checkpoint whose own files disagree with its name or run."""

from __future__ import annotations

import pytest

from coordlint import Checkpoint
from coordlint.testing import check, make_run

LOSS = {"train/loss": {10: 1.0, 400: 0.5}}


def gated(*, name_step=None, state_step=None, theirs=None, ours=None, path="out/run"):
    checkpoint = Checkpoint(
        f"{path}/checkpoint-400", 400, "name", False, name_step, state_step, theirs
    )
    config = {} if ours is None else {"output_dir": ours}
    return make_run(LOSS, name="run", path=path, config=config, checkpoint=checkpoint)


def test_name_and_trainer_state_that_disagree_are_an_error():
    (finding,) = check(gated(name_step=400, state_step=200), "CL905")
    assert finding.severity.name == "ERROR" and finding.step == 400
    assert finding.message.startswith(
        "the checkpoint's name says step 400 but its trainer_state.json says 200: "
    )
    assert finding.data == {"name_step": 400, "state_step": 200}


@pytest.mark.parametrize(("name_step", "state_step"), [(400, 400), (None, 200), (400, None)])
def test_agreeing_or_one_sided_steps_pass(name_step, state_step):
    assert check(gated(name_step=name_step, state_step=state_step), "CL905") == []


def test_args_json_of_another_run_is_an_error():
    theirs = "/data/u/CoordExp/output/stage1/a/v0-1"
    run = gated(theirs=theirs, ours="/data/u/CoordExp/output/stage1/b/v0-1", path="logs/b")
    (finding,) = check(run, "CL905")
    assert f"the checkpoint's args.json names the run {theirs!r}" in finding.message
    assert "'/data/u/CoordExp/output/stage1/b/v0-1'" in finding.message
    assert finding.data == {
        "checkpoint_run": theirs,
        "logs_run": "/data/u/CoordExp/output/stage1/b/v0-1",
    }
    assert finding.step == 400


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        # the same run trained on another machine: the last two components agree
        ("/data/u/CoordExp/output/stage1/a/v0-1", "/home/me/output/stage1/a/v0-1/"),
        ("/data/u/x/v0-1", "v0-1"),  # one component given: it is the one compared
        # trained on Windows, checked on Linux: a path's separators are those of its machine
        ("C:\\Users\\me\\output\\stage1\\a\\v0-1", "/home/me/output/stage1/a/v0-1"),
        ("D:\\out\\a\\v0-1\\", "/data/u/out/a/v0-1"),
    ],
)
def test_args_json_naming_the_same_run_elsewhere_passes(theirs, ours):
    assert check(gated(theirs=theirs, ours=ours, path="elsewhere"), "CL905") == []


def test_a_windows_path_of_another_run_is_still_an_error():
    run = gated(theirs="C:\\out\\stage1\\a\\v0-1", ours="/data/u/out/b/v0-1", path="logs/b")
    (finding,) = check(run, "CL905")
    assert finding.data["checkpoint_run"] == "C:\\out\\stage1\\a\\v0-1"


def test_a_root_output_dir_names_no_run_and_matches_none():
    run = gated(theirs="/", ours="/data/u/out/b/v0-1", path="logs/b")
    (finding,) = check(run, "CL905")
    assert finding.data["checkpoint_run"] == "/"


def test_the_logs_directory_itself_may_be_the_run_named():
    run = gated(theirs="/data/u/out/a/v0-1", ours="/data/u/out/b/v0-9", path="mirror/a/v0-1")
    assert check(run, "CL905") == []


@pytest.mark.parametrize("ours", [None, "", 5])
def test_without_the_logs_output_dir_nothing_is_compared(ours):
    run = gated(theirs="/data/u/out/a/v0-1", ours=ours, path="logs/b")
    assert check(run, "CL905") == []


def test_without_the_checkpoints_output_dir_nothing_is_compared():
    assert check(gated(theirs="", ours="/data/u/out/b/v0-1", path="logs/b"), "CL905") == []


def test_a_run_that_is_not_gated_is_not_applicable(outcomes):
    assert outcomes(make_run(LOSS), "CL905")["run"].status == "skipped"


def test_the_step_mismatch_message_in_full():
    (finding,) = check(gated(name_step=1800, state_step=1600), "CL905")
    assert finding.message == (
        "the checkpoint's name says step 1800 but its trainer_state.json says 1600: it was "
        "renamed or copied; gate it with --step and check which run it is"
    )


@pytest.mark.parametrize(
    ("theirs", "ours", "same"),
    [
        ("D:\\out\\v0-1\\", "D:\\out\\v0-1", True),  # a trailing backslash is not a component
        ("/v0-1", "/data/out/v0-1", True),  # the root is not a component
        ("/", "/", False),  # nothing named on either side: nothing matches
        ("/data/out/runX", "/data/out/run", False),  # only slashes are stripped
    ],
)
def test_what_a_path_ends_with(theirs, ours, same):
    found = check(gated(theirs=theirs, ours=ours, path="elsewhere"), "CL905")
    assert (found == []) is same
