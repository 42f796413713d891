"""Column-wise text parsing: damage is reported by line and byte offset, every valid cell kept."""

from __future__ import annotations

import math

import numpy as np

from coordlint.loading.sources.delimited import (
    MAX_LINE_PROBLEMS,
    LineProblems,
    numeric,
    parse_delimited,
)


def cells(data: bytes, column: str, **kwargs):
    parsed = parse_delimited(data, "f.csv", **kwargs)
    problems = LineProblems("f.csv")
    read = numeric(parsed, column, problems)
    return parsed, read, problems.done()


def test_wrong_field_count_is_skipped_with_its_line_and_offset():
    data = b"step,a\n1,0.5\n2,0.6,9\n3,0.7\n"
    parsed, (values, present), _ = cells(data, "a")
    assert values.tolist() == [0.5, 0.7] and present.all()
    assert parsed.lines.tolist() == [2, 4]
    (problem,) = parsed.problems
    assert (problem.kind, problem.offset, problem.records_skipped) == ("bad-line", 13, 1)
    assert problem.message == "line 3 has 3 fields, not 2; skipped"
    assert data[problem.offset :].startswith(b"2,0.6,9")


def test_an_unterminated_last_line_is_truncated_only_when_fields_are_missing():
    parsed, (values, _), _ = cells(b"step,a,b\n1,0.5,1\n2,0.", "a")
    assert values.tolist() == [0.5]
    (problem,) = parsed.problems
    assert (problem.kind, problem.offset) == ("truncated", 17)
    assert "line 3 is incomplete" in problem.message
    parsed, (values, _), _ = cells(b"step,a\n1,0.5\n2,0.25", "a")  # saved without a final newline
    assert values.tolist() == [0.5, 0.25] and parsed.problems == []


def test_a_cell_that_is_no_number_costs_only_itself():
    parsed, (values, present), problems = cells(b"step,a,b\n1,x,2\n2,3,4\n", "a")
    assert present.tolist() == [False, True] and values[1] == 3.0
    (problem,) = problems
    assert problem.message == "line 2 has 'x' in column 'a', not a number; skipped"
    assert problem.offset == 9
    assert numeric(parsed, "b")[0].tolist() == [2.0, 4.0]


def test_a_text_column_is_no_metric_and_no_damage():
    _, read, problems = cells(b"step,phase\n1,train\n2,eval\n", "phase")
    assert read is None and problems == []


def test_an_empty_cell_is_no_value_and_a_spelled_nan_is_one():
    _, (values, present), problems = cells(b"step,a\n1,\n2,nan\n3,inf\n4,-inf\n5,1e-300\n", "a")
    assert present.tolist() == [False, True, True, True, True]
    assert math.isnan(values[1]) and values[2:].tolist() == [math.inf, -math.inf, 1e-300]
    assert problems == []
    _, (_, present), _ = cells(b"step,a,b\n1,,x\n2,nan,y\n3,,z\n", "a")  # text column beside
    assert present.tolist() == [False, True, False]


def test_without_nan_text_an_empty_cell_is_simply_missing():
    parsed, (values, present), _ = cells(b"step,a\n1,\n2,2.5\n", "a")
    assert parsed.written is None
    assert present.tolist() == [False, True] and values[1] == 2.5


def test_blank_lines_are_skipped_and_lines_still_counted():
    parsed, (values, _), _ = cells(b"step,a\n\n1,0.5\n\n\n2,0.6,1\n3,0.7\n", "a")
    assert values.tolist() == [0.5, 0.7]
    assert parsed.lines.tolist() == [3, 7]
    assert parsed.problems[0].message.startswith("line 6 has 3 fields")


def test_problems_past_the_cap_are_summed_up():
    rows = b"".join(b"%d,1,1\n" % i for i in range(MAX_LINE_PROBLEMS + 3))
    parsed, (values, _), _ = cells(b"step,a\n0,1\n" + rows, "a")
    assert values.tolist() == [1.0]
    assert len(parsed.problems) == MAX_LINE_PROBLEMS + 1
    last = parsed.problems[-1]
    assert last.message == "3 more malformed lines from line 13 on; skipped"
    assert last.records_skipped == 3


def test_quoted_cells_may_hold_the_delimiter():
    data = b'step,"a,b",c\n1,2,"x,y"\n2,3,z\n3,4\n'
    parsed, (values, present), _ = cells(data, "a,b")
    assert values.tolist() == [2.0, 3.0] and present.all()
    assert [p.message for p in parsed.problems] == ["line 4 has 2 fields, not 3; skipped"]


def test_space_separated_lines_with_several_widths():
    data = b"1 0.5 10\n2 0.6 20 ds abc\n3 0.7 30 x\n"
    names = ["timestamp", "value", "step", "dataset_name", "dataset_digest"]
    parsed = parse_delimited(data, "m", sep=" ", names=names, widths=(3,))
    assert numeric(parsed, "value")[0].tolist() == [0.5, 0.6]
    assert parsed.problems[0].message == "line 3 has 4 fields, not 3 or 5; skipped"


def test_rows_line_up_with_lines_even_at_scale():
    n = 50_000
    steps = np.arange(n)
    body = "\n".join(f"{s},{s * 0.5}" for s in steps).encode()
    data = b"step,a\n" + body.replace(b"\n777,", b"\n777,x,", 1) + b"\n"
    parsed, (values, present), _ = cells(data, "a")
    assert len(values) == n - 1 and present.all()
    assert parsed.problems[0].message == "line 779 has 3 fields, not 2; skipped"
    assert parsed.lines[777] == 780 and values[777] == 778 * 0.5
