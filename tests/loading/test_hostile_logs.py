"""Hostile JSON logs and configs (issue 15, items 1 and 11): a bad value is a CL901 problem for
its line or file, never an exception, and every valid point is kept."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coordlint.loading import RunSpec, json_input, load_run
from coordlint.loading.hf_logs import (
    read_logging_jsonl,
    read_newest_trainer_state,
    read_trainer_state,
    row_step,
)
from coordlint.loading.run_config import load_run_config

DEEP = 100_000
NESTED = b"[" * DEEP + b"]" * DEEP


def _jsonl(tmp_path, lines: list[bytes]):
    path = tmp_path / "logging.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return read_logging_jsonl(path)


def _row(step: int, loss: float) -> bytes:
    return json.dumps({"global_step": step, "loss": loss}).encode()


def _points(log, tag: str = "train/loss") -> list[tuple[int, float]]:
    cols = log.writes.get(tag, [])
    return [p for c in cols for p in zip(c.steps.tolist(), c.values.tolist(), strict=True)]


def _bad_lines(log) -> dict[int, str]:
    return {int(p.message.split()[1].rstrip(":")): p.kind for p in log.problems}


# -- item 1: nesting, big numbers, non-ASCII digits ---------------------------------------------


def test_a_line_nested_100000_deep_is_a_problem_and_the_others_are_kept(tmp_path) -> None:
    log = _jsonl(
        tmp_path, [_row(1, 2.0), NESTED, b'{"a":' * DEEP + b"1" + b"}" * DEEP, _row(2, 1.0)]
    )
    assert _points(log) == [(1, 2.0), (2, 1.0)]
    assert _bad_lines(log) == {2: "bad-line", 3: "bad-line"}
    assert "nested deeper than 100 levels" in log.problems[0].message


def test_nesting_at_the_limit_is_read(tmp_path) -> None:
    at_limit = b'{"global_step": 3, "loss": 0.5, "n": ' + b"[" * 99 + b"]" * 99 + b"}"
    log = _jsonl(tmp_path, [at_limit])
    assert _points(log) == [(3, 0.5)] and log.problems == []


def test_huge_integers_and_steps_beyond_int64(tmp_path) -> None:
    log = _jsonl(
        tmp_path,
        [
            _row(1, 2.0),
            b'{"global_step": 2, "loss": 1' + b"0" * 400 + b', "acc": 0.5}',  # 10**400 value
            b'{"global_step": 3, "loss": 1' + b"0" * 5000 + b"}",  # too many digits to parse
            b'{"global_step": 1' + b"0" * 400 + b', "loss": 1.0}',
            b'{"global_step": 9223372036854775808, "loss": 1.0}',  # 2**63
            b'{"global_step": -9223372036854775809, "loss": 1.0}',
            b'{"global_step": 1e30, "loss": 1.0}',
            b'{"global_step": 9223372036854775807, "loss": 4.0}',  # int64's largest: kept
        ],
    )
    assert _points(log) == [(1, 2.0), (2**63 - 1, 4.0)]
    assert _points(log, "train/acc") == [(2, 0.5)]  # the row's other values are kept
    assert _bad_lines(log) == {2: "bad-value", 3: "bad-line", 4: "bad-line", 5: "bad-line",
                               6: "bad-line", 7: "bad-line"}  # fmt: skip
    (value,) = [p for p in log.problems if p.kind == "bad-value"]
    assert "'loss' is an integer beyond float64's range" in value.message


@pytest.mark.parametrize("progress", ["²/10", "٣/10", "３/10", "99999999999999999999/10", "-1/10"])
def test_a_step_that_is_not_ascii_digits_in_int64_is_no_step(progress) -> None:
    assert row_step({"global_step/max_steps": progress}) is None
    assert row_step({"global_step/max_steps": "12/40"}) == 12
    assert row_step({"global_step/max_steps": progress, "global_step": 7}) == 7


def test_a_non_ascii_digit_step_line_is_reported(tmp_path) -> None:
    line = json.dumps({"global_step/max_steps": "²/10", "loss": 1.0}).encode()
    log = _jsonl(tmp_path, [line, _row(4, 0.25)])
    assert _points(log) == [(4, 0.25)]
    assert _bad_lines(log) == {1: "bad-line"}


def test_a_checkpoint_folder_of_non_ascii_digits_does_not_crash(tmp_path) -> None:
    paths = []
    for name, n in (("checkpoint-²", 3), ("checkpoint-20", 2), ("checkpoint-٣", 3)):
        (tmp_path / name).mkdir()
        path = tmp_path / name / "trainer_state.json"
        history = [{"loss": 1.0, "step": k + 1} for k in range(n)]
        path.write_text(json.dumps({"log_history": history}))
        paths.append(path)
    found = read_newest_trainer_state(paths)
    assert found is not None and found[0].parent.name in ("checkpoint-²", "checkpoint-٣")
    assert _points(found[1]) == [(1, 1.0), (2, 1.0), (3, 1.0)]


def test_hostile_trainer_states(tmp_path) -> None:
    path = tmp_path / "trainer_state.json"
    path.write_bytes(b'{"log_history": ' + NESTED + b"}")
    assert [p.kind for p in read_trainer_state(path).problems] == ["corrupt"]
    history = [{"loss": 1.0, "step": 1}, [1], None, {"loss": 2.0, "step": 2**64}, {"loss": 3.0}]
    history.append({"loss": 10**400, "acc": 0.5, "step": 5})
    path.write_text(json.dumps({"log_history": history}))
    log = read_trainer_state(path)
    assert _points(log) == [(1, 1.0)] and _points(log, "train/acc") == [(5, 0.5)]
    kinds = sorted(p.kind for p in log.problems)
    assert kinds == ["bad-line", "bad-value"]
    (skipped,) = [p for p in log.problems if p.kind == "bad-line"]
    assert skipped.records_skipped == 4 and "[1, 2, 3, 4]" in skipped.message


def test_lone_surrogates_and_invalid_utf8_never_raise(tmp_path) -> None:
    log = _jsonl(
        tmp_path,
        [b'{"global_step": 1, "\\ud800": 1.0, "loss": 2.0}', b"\xff\xfe garbage", _row(2, 1.0)],
    )
    assert _points(log) == [(1, 2.0), (2, 1.0)]
    assert "train/\ud800" in log.writes
    assert _bad_lines(log) == {2: "bad-line"}


# -- item 11: lines that are not objects, a null config ------------------------------------------


def test_json_lines_that_are_not_objects_are_problems(tmp_path) -> None:
    log = _jsonl(tmp_path, [b"[1, 2]", b"null", b'"text"', b"42", b"true", _row(1, 3.0)])
    assert _points(log) == [(1, 3.0)]
    assert _bad_lines(log) == dict.fromkeys(range(1, 6), "bad-line")
    assert "line 2 is JSON null, not an object" in log.problems[1].message


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"null", "JSON null, not an object"),
        (b"[1]", "JSON list, not an object"),
        (NESTED, "nested deeper than 100 levels"),
        (b'{"resolved": ' + NESTED + b"}", "nested deeper than 100 levels"),
        (b"\xff\xfe", "not valid JSON"),
    ],
)
@pytest.mark.parametrize("name", ["resolved_config.json", "args.json"])
def test_config_files_that_are_not_objects_are_problems(tmp_path, name, content, why) -> None:
    (tmp_path / name).write_bytes(content)
    config = load_run_config(tmp_path)
    (problem,) = config.problems
    assert (problem.kind, problem.file) == ("bad-config", str(tmp_path / name))
    assert why in problem.message
    assert dict(config.values) == {}


def test_a_config_with_a_huge_integer_is_read(tmp_path) -> None:
    (tmp_path / "args.json").write_bytes(b'{"big": 1' + b"0" * 400 + b', "lr": 0.1}')
    config = load_run_config(tmp_path)
    assert config.problems == [] and config.values["lr"] == 0.1


def test_load_run_never_raises_on_hostile_logs(tmp_path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "logging.jsonl").write_bytes(b"\n".join([NESTED, _row(1, 1.0), b"null"]))
    (run_dir / "trainer_state.json").write_bytes(NESTED)
    (run_dir / "resolved_config.json").write_bytes(b"null")
    (run_dir / "args.json").write_bytes(b'{"a": ' + NESTED + b"}")
    spec = RunSpec("r", run_dir, (), run_dir / "logging.jsonl", (run_dir / "trainer_state.json",))
    run = load_run(spec)
    assert run.columns["train/loss"].steps.tolist() == [1]
    by_file = sorted((p.file.rsplit("/", 1)[1], p.kind) for p in run.problems)
    assert by_file == [
        ("args.json", "bad-config"),
        ("logging.jsonl", "bad-line"),
        ("logging.jsonl", "bad-line"),
        ("resolved_config.json", "bad-config"),
        ("trainer_state.json", "corrupt"),
    ]


# -- the nesting measure -------------------------------------------------------------------------

_leaf = st.one_of(
    st.integers(), st.floats(allow_nan=False), st.text(alphabet='[]{}"\\ ab'), st.none()
)
_docs = st.recursive(
    _leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text('[]{}"\\a'), inner, max_size=3)
    ),
    max_leaves=40,
)


def _depth(doc) -> int:
    if isinstance(doc, list):
        return 1 + max(map(_depth, doc), default=0)
    if isinstance(doc, dict):
        return 1 + max(map(_depth, doc.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(doc=_docs, ascii_only=st.booleans())
def test_the_nesting_measure_ignores_brackets_in_strings(doc, ascii_only) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_only).encode()
    assert json_input._max_depth(np.frombuffer(text, dtype=np.uint8)) == _depth(doc)


def test_a_bad_value_in_the_first_copy_of_a_doubled_row_is_reported(tmp_path) -> None:
    # ms-swift 2.x writes every row twice and the second copy wins; a value the first copy
    # could not hold is still reported, with its own line.
    bad = b'{"global_step": 3, "loss": 1' + b"0" * 400 + b"}"
    log = _jsonl(tmp_path, [bad, b'{"global_step": 3, "loss": 0.5}'])
    assert _points(log) == [(3, 0.5)]
    assert _bad_lines(log) == {1: "bad-value"}
