"""Sparklines: bucket-averaging, NaN as a space, the key step and threshold crossing marked."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.formatters.sparkline import BLOCKS, lines_for, sparkline
from coordlint.testing import write_events

ANSI = re.compile(r"\x1b\[[0-9;]*m")

PLUGIN = '''
import coordlint
from coordlint import Finding


@coordlint.rule("TS001", "loss-curve-shape", severity="warning")
def loss_curve_shape(run, params):
    """Test rule: reports eval/loss with its curve, its minimum and a threshold."""
    series = run.series("eval/loss")
    if series.empty:
        return
    yield Finding(
        f"eval/loss bottomed out at step {int(series.idxmin())}",
        tag="eval/loss",
        step=int(series.idxmin()),
        data={"threshold": 1.5},
        series=series,
    )

'''


def _steps(n: int, start: int = 0, every: int = 10) -> list[int]:
    return list(range(start, start + n * every, every))


def test_downsamples_to_at_most_40_buckets_of_averages():
    s = pd.Series(np.arange(1000, dtype=float), index=_steps(1000))
    spark = sparkline(s)
    assert len(spark.chars) == 40
    assert spark.chars[0] == BLOCKS[0] and spark.chars[-1] == BLOCKS[-1]
    assert list(spark.chars) == sorted(spark.chars, key=BLOCKS.index)  # monotone stays monotone
    assert (spark.first_step, spark.last_step) == (0, 9990)
    # bucket means, not samples: 1000 points in 40 buckets of 25 -> range 12..987
    assert spark.low == pytest.approx(12.0) and spark.high == pytest.approx(987.0)


def test_short_series_get_one_char_per_point_and_averaging_is_exact():
    assert sparkline(pd.Series([0.0, 0.0, 10.0, 10.0], index=[1, 2, 3, 4]), width=2).chars == "▁█"
    assert sparkline(pd.Series([0.0, 7.0, 3.5], index=[1, 2, 3])).chars == "▁█▅"
    assert len(sparkline(pd.Series([1.0, 2.0, 3.0], index=[1, 2, 3])).chars) == 3


def test_nan_buckets_are_spaces_and_do_not_disturb_the_scale():
    values = [0.0, 1.0, math.nan, 3.0, 4.0]
    spark = sparkline(pd.Series(values, index=[1, 2, 3, 4, 5]))
    assert spark.chars == "▁▃ ▆█"
    # a NaN inside a bucket makes the bucket a space: it does not vanish into an average
    many = pd.Series(np.linspace(0, 1, 400), index=_steps(400))
    many.iloc[205] = math.nan
    chars = sparkline(many).chars
    assert chars.count(" ") == 1 and chars.index(" ") == 205 // 10
    assert sparkline(pd.Series([math.nan, math.inf], index=[1, 2])).chars == "  "


def test_constant_series_and_empty_series():
    assert set(sparkline(pd.Series([2.0] * 5, index=[1, 2, 3, 4, 5])).chars) == {"▄"}
    assert sparkline(pd.Series([], dtype=float)) is None
    assert lines_for(pd.Series([], dtype=float), step=3) == []


def test_key_step_marks_the_bucket_of_the_nearest_logged_point():
    s = pd.Series(np.arange(400, dtype=float), index=_steps(400))  # steps 0..3990
    spark = sparkline(s, key_step=2004)  # nearest logged step: 2000, point 200, bucket 20
    assert (spark.key, spark.key_step) == (20, 2000)
    assert spark.markers() == " " * 20 + "^"
    assert sparkline(s, key_step=10**9).key == 39
    assert sparkline(s, key_step=-5).key == 0


def test_threshold_crossing_is_the_first_change_of_side():
    values = [5.0, 4.0, 3.0, 0.9, 0.8, 1.2, 0.5]
    spark = sparkline(pd.Series(values, index=[10, 20, 30, 40, 50, 60, 70]), threshold=1.0)
    assert (spark.crossing, spark.crossing_step) == (3, 40)
    spark = sparkline(pd.Series(values, index=[10, 20, 30, 40, 50, 60, 70]), 50, threshold=1.0)
    assert spark.markers() == "   ×^"
    assert sparkline(pd.Series(values, index=range(7)), threshold=0.1).crossing is None


def test_lines_for_labels_and_colour():
    s = pd.Series([3.0, 2.0, 1.0, 2.0, 3.0], index=[100, 200, 300, 400, 500])
    plain = lines_for(s, tag="eval/loss", step=300, data={"threshold": 1.5})
    assert plain == [
        "    █▅▁▅█  eval/loss: 1–3, steps 100–500",
        "      ^    ^ step 300; × crosses 1.5 at step 300",
    ]
    assert lines_for(s, data={"threshold": 0.5})[1].endswith("never crosses 0.5")
    assert len(lines_for(s)) == 1  # no key step, no threshold: no caret line
    coloured = lines_for(s, tag="eval/loss", step=300, color=True)
    assert ANSI.search(coloured[0])
    assert ANSI.sub("", coloured[0]) == "    █▅▁▅█  eval/loss: 1–3, steps 100–500"
    assert not ANSI.search("".join(plain))


def test_text_format_puts_the_sparkline_under_a_finding_with_a_series(tmp_path: Path):
    plugin = tmp_path / "ts_shape_plugin.py"
    plugin.write_text(PLUGIN)
    losses = {s: 3.0 - s / 100 if s <= 200 else 1.0 + (s - 200) / 200 for s in range(0, 601, 20)}
    write_events(tmp_path / "shape", {"eval/loss": losses})
    result = CliRunner().invoke(
        cli, ["check", "--isolated", "--plugin", str(plugin), "--select", "TS001", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "shape TS001 [warning] eval/loss bottomed out at step 200"
    spark, carets = lines[1], lines[2]
    assert spark.startswith("    ") and set(spark[4:35]) <= set(BLOCKS)
    assert spark.endswith("eval/loss: 1–3, steps 0–600")
    assert carets.index("^") == 4 + 10  # step 200 is point 10 of 31: its own bucket
    assert carets.index("×") == 4 + 8  # 3.0 - 160/100 = 1.4: the first point below 1.5
    assert carets.endswith("^ step 200; × crosses 1.5 at step 160")
    assert lines[3].startswith("1 finding (1 warning)")


def test_findings_without_a_series_have_no_sparkline(tmp_path: Path):
    write_events(tmp_path / "nan", {"train/loss": {1: 2.0, 2: math.nan, 3: 1.0}})
    result = CliRunner().invoke(cli, ["check", "--isolated", str(tmp_path / "nan")])
    lines = result.output.splitlines()
    assert lines[0].startswith("nan CL902 [error] train/loss is NaN at step 2")
    assert not any(ch in result.output for ch in BLOCKS)
