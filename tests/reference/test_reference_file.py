"""The reference file: built from real runs, read back exactly, and refused, in one line and
exit 2, when it is broken or hostile."""

from __future__ import annotations

import base64
import json
import math
import re
import zlib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coordlint.cli import cli
from coordlint.core import reference_file as rf
from coordlint.core.references import BIN_POINTS, median_binned
from coordlint.testing import load, make_reference, make_run, write_events

TRAIN = {s: (2.0 + math.sin(s / 7.0)) if s % 97 else math.nan for s in range(1, 1234)}
EVALS = {s: 1.0 / s for s in range(50, 1234, 50)}


@pytest.fixture
def one_run(tmp_path: Path) -> Path:
    """A run with 1,233 train points (NaN among them), 24 evals, and a config that holds
    coord keys, other keys and a secret."""
    run = tmp_path / "proj" / "run-a"
    write_events(run, {"train/loss": TRAIN, "eval/loss": EVALS})
    (run / "args.json").write_text(json.dumps({"hub_token": "hf_secret", "output_dir": "/x"}))
    resolved = {"custom": {"coord_soft_ce_w1": {"temperature": 1.5, "ce_weight": 0.5}}}
    (run / "resolved_config.json").write_text(json.dumps({"resolved": resolved}))
    return run


def build(runs: list[Path], out: Path) -> None:
    result = CliRunner().invoke(
        cli, ["reference", "build", *map(str, runs), "-o", str(out), "--isolated"]
    )
    assert result.exit_code == 0, result.output


def test_a_reference_file_holds_eval_tags_exactly_and_train_tags_binned(one_run, tmp_path):
    out = tmp_path / "ref.json"
    build([one_run], out)
    (ref,) = rf.read_reference_file(out).references
    run = load(one_run)
    assert ref.name == run.name and ref.tags == ["eval/loss", "train/loss"]
    evals = ref.series("eval/loss")
    assert not ref.binned("eval/loss") and evals.equals(run.series("eval/loss"))
    train = run.series("train/loss")
    expected = median_binned(train.index.to_numpy(), train.to_numpy(), BIN_POINTS)
    assert ref.binned("train/loss") and len(ref.curve("train/loss")) == BIN_POINTS
    assert np.array_equal(ref.curve("train/loss").steps, expected.steps)
    assert np.array_equal(ref.curve("train/loss").values, expected.values)
    # Only the coord keys plugins ask for are kept: no token, no paths.
    assert dict(ref.config) == {
        "coord_soft_ce_w1.temperature": 1.5,
        "coord_soft_ce_w1.ce_weight": 0.5,
    }
    assert "hf_secret" not in out.read_text()
    doc = json.loads(out.read_text())
    assert (doc["format"], doc["version"], doc["binned_to"]) == ("coordlint-reference", 1, 500)


def test_median_binning_is_the_median_of_equal_count_bins_at_their_middle_step():
    steps = np.arange(0, 2010, 2)  # 1005 points into 500 bins: sizes 2 and 3
    values = np.sin(steps / 50.0)
    values[7] = math.inf  # a non-finite value is left out of its bin's median
    curve = median_binned(steps, values, 500)
    starts = np.arange(500) * 1005 // 500
    for i, (a, b) in enumerate(zip(starts, [*starts[1:], 1005], strict=True)):
        finite = values[a:b][np.isfinite(values[a:b])]
        assert curve.values[i] == np.float32(np.median(finite))  # float32, as files store it
        assert curve.steps[i] == steps[a + (b - a - 1) // 2]
    short = median_binned(steps[:10], values[:10], 500)  # fewer points than bins: as they are
    assert not short.binned and np.array_equal(short.steps, steps[:10])


def test_show_prints_every_run_config_and_curve(one_run, tmp_path):
    out = tmp_path / "ref.json"
    build([one_run], out)
    shown = CliRunner().invoke(cli, ["reference", "show", str(out)])
    assert shown.exit_code == 0
    lines = shown.output.splitlines()
    assert lines[0].startswith(f"{out}: 1 reference run, format 1, written by coordlint ")
    assert "config: coord_soft_ce_w1.temperature=1.5, coord_soft_ce_w1.ce_weight=0.5" in lines[2]
    assert any(line.split()[:3] == ["eval/loss", "24", "points,"] for line in lines)
    assert any("train/loss" in line and "500 points (bin medians)" in line for line in lines)


def _valid(tmp_path: Path) -> dict:
    write_events(tmp_path / "r", {"eval/loss": {10: 1.0, 20: 0.5}})
    out = tmp_path / "valid.json"
    build([tmp_path / "r"], out)
    return json.loads(out.read_text())


def _steps(values: list[int]) -> str:
    return rf._encode_steps(np.array(values, dtype=np.int64))


def _curve(doc: dict, **change: object) -> None:
    doc["runs"][0]["curves"][0].update(change)


def _arrays(doc: dict, **change: object) -> None:
    doc["runs"][0].update(change)


BROKEN = [
    (lambda d: d.update(format="something-else"), "is not a coordlint reference file"),
    (lambda d: d.update(version=2), "format version 2, written by a newer coordlint"),
    (lambda d: d.update(version="1"), "version: must be a whole number"),
    (lambda d: d.update(runs=[]), "runs: must be a non-empty list"),
    (lambda d: d["runs"].append(d["runs"][0]), "names two reference runs"),
    (lambda d: d["runs"][0].update(name=""), "runs[0].name: must be a non-empty string"),
    (lambda d: d["runs"][0].update(config={"k": {"nested": 1}}), "runs[0].config.k"),
    (lambda d: d["runs"][0].update(curves={}), "runs[0].curves: must be a list of curves"),
    (lambda d: d["runs"][0]["curves"].append({"tag": "eval/loss", "points": 0}), "listed twice"),
    (lambda d: _curve(d, points=3), "runs[0].steps: does not hold 3 points"),
    (lambda d: _curve(d, points=-1), "runs[0].curves[0].points: must be a whole number"),
    (lambda d: _curve(d, binned="no"), "runs[0].curves[0].binned: must be true or false"),
    (lambda d: _curve(d, tag=7), "runs[0].curves[0].tag: must be a non-empty string"),
    (lambda d: _arrays(d, values=7), "runs[0].values: must be a base64 string"),
    (lambda d: _arrays(d, steps="!" * 24), "runs[0].steps: is not base64"),
    (lambda d: _arrays(d, steps=base64.b64encode(b"not zlib").decode()), "is not zlib data"),
    (
        # Differences that inflate to far more than the points listed: refused, not inflated.
        lambda d: _arrays(d, steps=base64.b64encode(zlib.compress(bytes(10**7))).decode()),
        "runs[0].steps: does not hold 2 points",
    ),
    (lambda d: d.update(arrays="base64 of something else"), "arrays: must be"),
    (lambda d: _arrays(d, binned_values="AAAAAA=="), "binned_values: does not hold 0 points"),
    (
        lambda d: _arrays(d, steps=_steps([20, 10])),
        "runs[0].curves['eval/loss']: steps must be strictly increasing",
    ),
]


@pytest.mark.parametrize(("mutate", "message"), BROKEN)
def test_a_broken_reference_file_is_one_clear_error(tmp_path, mutate, message):
    doc = _valid(tmp_path)
    mutate(doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(rf.ReferenceFileError, match=re.escape(message)):
        rf.read_reference_file(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "is not valid JSON"),  # nesting past the recursion limit
        ("\xff\xfe", "is not valid JSON"),
        ("[1, 2]", "is not a coordlint reference file"),
    ],
)
def test_unparseable_files_are_refused(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(rf.ReferenceFileError, match=message):
        rf.read_reference_file(path)


def test_an_oversized_file_is_refused_unread(tmp_path, monkeypatch):
    doc = _valid(tmp_path)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc))
    monkeypatch.setattr(rf, "MAX_BYTES", path.stat().st_size - 1)
    with pytest.raises(rf.ReferenceFileError, match="more than a reference file holds"):
        rf.read_reference_file(path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0),
    flips=st.lists(st.tuples(st.integers(0), st.integers(0, 255)), max_size=4),
)
def test_damaged_files_either_read_or_fail_cleanly(tmp_path, cut, flips):
    raw = bytearray(json.dumps(_VALID_DOC).encode())
    for position, byte in flips:
        raw[position % len(raw)] = byte
    path = tmp_path / "fuzz.json"
    path.write_bytes(bytes(raw[: len(raw) - cut % (len(raw) + 1)]))
    try:
        held = rf.read_reference_file(path)
    except rf.ReferenceFileError:
        return
    for ref in held.references:  # what reads is usable
        for tag in ref.tags:
            curve = ref.curve(tag)
            assert len(curve.steps) == len(curve.values)
            assert np.all(np.diff(curve.steps) > 0)


_VALID_DOC = {
    "format": "coordlint-reference",
    "version": 1,
    "coordlint": "0.1.0",
    "binned_to": 500,
    "arrays": rf.ARRAYS,
    "runs": [
        {
            "name": "r",
            "config": {"coord_soft_ce_w1.temperature": 1.0},
            "curves": [
                {"tag": "eval/loss", "points": 2, "binned": False},
                {"tag": "eval/none", "points": 0, "binned": False},
                {"tag": "train/loss", "points": 3, "binned": True},
            ],
            "steps": _steps([10, 20, 5, 6, 7]),
            "values": base64.b64encode(np.array([1.0, 0.5]).tobytes()).decode(),
            "binned_values": base64.b64encode(np.array([3, 2, 1], "<f4").tobytes()).decode(),
        }
    ],
}


def test_curves_split_the_run_arrays_in_order():
    path_doc = json.loads(json.dumps(_VALID_DOC))
    (ref,) = rf._parse(path_doc, "x").references
    assert ref.tags == ["eval/loss", "eval/none", "train/loss"]
    assert ref.curve("eval/loss").steps.tolist() == [10, 20]
    assert len(ref.curve("eval/none")) == 0  # an empty curve between two others
    assert ref.curve("train/loss").values.tolist() == [3.0, 2.0, 1.0]
    assert ref.binned("train/loss") and not ref.binned("eval/loss")
    # Steps restart at each curve; within one they must rise.
    path_doc["runs"][0]["steps"] = _steps([10, 20, 5, 7, 7])
    with pytest.raises(rf.ReferenceFileError, match=re.escape("curves['train/loss']")):
        rf._parse(path_doc, "x")


def test_check_with_a_broken_reference_file_exits_2_in_one_line(tmp_path):
    write_events(tmp_path / "run", {"eval/loss": {10: 1.0}})
    broken = tmp_path / "ref.json"
    broken.write_text('{"format": "coordlint-reference", "version": 1, "runs": [{"name": 3}]}')
    result = CliRunner().invoke(
        cli, ["check", str(tmp_path / "run"), "--reference", str(broken), "--isolated"]
    )
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line == (
        f"coordlint: error: reference file {broken}: runs[0].name: must be a non-empty "
        "string, got 3"
    )


def test_a_reference_file_is_written_whole_or_not_at_all(tmp_path, one_run):
    out = tmp_path / "missing-dir" / "ref.json"
    result = CliRunner().invoke(cli, ["reference", "build", str(one_run), "-o", str(out)])
    assert result.exit_code == 2 and "cannot write reference file" in result.output
    assert not out.parent.exists()


def test_the_file_is_strict_json_whatever_the_config_holds(tmp_path):
    config = {"coord_soft_ce_w1.temperature": math.nan, "coord_soft_ce_w1.ce_weight": [1, math.inf]}
    ref = make_reference(make_run({"eval/loss": {1: math.nan, 2: 1.0}}, "r", config=config))
    out = tmp_path / "ref.json"
    rf.write_reference_file(out, [ref], "0", BIN_POINTS)

    def refuse(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    json.loads(out.read_text(), parse_constant=refuse)  # no NaN/Infinity literal anywhere
    (back,) = rf.read_reference_file(out).references
    assert dict(back.config) == {
        "coord_soft_ce_w1.temperature": "nan",
        "coord_soft_ce_w1.ce_weight": [1, "inf"],
    }
    assert np.isnan(back.curve("eval/loss").values[0])  # a NaN point is kept, exactly


def test_show_cannot_act_on_the_terminal_whatever_the_file_names(tmp_path):
    doc = json.loads(json.dumps(_VALID_DOC))
    doc["runs"][0]["name"] = "evil\x1b[2J\n::error::owned"
    doc["runs"][0]["curves"][0]["tag"] = "eval/\u202eloss"
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(doc))
    shown = CliRunner().invoke(cli, ["reference", "show", str(path)])
    assert shown.exit_code == 0
    assert "\x1b" not in shown.output and "\u202e" not in shown.output
    assert "evil\\x1b[2J\\n::error::owned: 3 tags" in shown.output
    assert "eval/\\u202eloss" in shown.output
    assert not any(line.lstrip().startswith("::") for line in shown.output.splitlines())
