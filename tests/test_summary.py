"""``summary_table`` / ``format_summary``: the analysis note's end-of-training table."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from coordlint.cli import cli
from coordlint.core.plugins import load_plugins
from coordlint.core.summary import format_summary
from coordlint.core.summary import summary_table as _summary_table
from coordlint.testing import load, make_run, write_events

# The columns the built-in pack contributes through the coordlint_summary_columns hook.
COLUMNS = load_plugins(autoload=False).summary_columns


def summary_table(runs):
    return _summary_table(runs, COLUMNS)


RUNS = Path(__file__).resolve().parents[1] / "examples" / "runs"
NAMES = ["soft_ce_only", "pure_ce_only", "soft_ce_hard_ce_mixed"]

# Section 2 of the seed analysis note, copied as printed.
NOTE_TABLE = """\
| model | max_train_step | max_eval_step | eval_coord_ce | eval_coord_soft_ce | eval_coord_w1 | eval_coord_gate | eval_p_gt_mean | eval_acc_top5 | eval_expected_bin_mae | eval_coord_vocab_mass | eval_margin_mean | eval_flip_coord_to_noncoord |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| soft_ce_only | 1830 | 1832 | 0 | 3.5260 | 0.0803 | 0.0026 | 0.0655 | 0.4085 | 20.8764 | 0.9995 | 0.8338 | 0 |
| pure_ce_only | 1930 | 1932 | NA | 4.8058 | 0.0881 | 0.0066 | 0.1234 | 0.5448 | 20.9029 | 0.9988 | 1.0985 | 0 |
| soft_ce_hard_ce_mixed | 1340 | 1344 | 3.4371 | 3.6293 | 0.0296 | 0.0029 | 0.0930 | 0.4782 | 21.3715 | 0.9987 | 1.1014 | 8.4831e-05 |
"""  # noqa: E501


def note_rows():
    lines = NOTE_TABLE.strip().splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines[2:]]
    return header, {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in rows}


@pytest.fixture(scope="module")
def trio():
    if not all((RUNS / n).is_dir() for n in NAMES):
        pytest.skip("examples/runs not generated")
    return [load(RUNS / n) for n in NAMES]


def test_reproduces_the_note_to_4_significant_digits(trio):
    header, rows = note_rows()
    df = summary_table(trio)
    assert df.index.name == "model"
    assert list(df.columns) == header[1:]
    assert list(df.index) == NAMES
    for name, row in rows.items():
        for column, printed in row.items():
            value = df.loc[name, column]
            if printed == "NA":
                assert pd.isna(value), (name, column)
            elif float(printed) == 0:
                assert value == 0, (name, column)
            else:
                assert float(value) == pytest.approx(float(printed), rel=5e-4), (name, column)


def test_markdown_is_the_notes_table(trio):
    assert format_summary(summary_table(trio), "markdown") == NOTE_TABLE


def test_csv_round_trips(trio):
    df = summary_table(trio)
    back = pd.read_csv(io.StringIO(format_summary(df, "csv")), index_col="model")
    assert list(back.columns) == list(df.columns)
    assert math.isnan(back.loc["pure_ce_only", "eval_coord_ce"])
    assert back.loc["soft_ce_hard_ce_mixed", "max_eval_step"] == 1344
    for name in NAMES:
        for column in df.columns:
            if not pd.isna(df.loc[name, column]):
                # float32 logged values come back to float32 precision
                assert back.loc[name, column] == pytest.approx(
                    float(df.loc[name, column]), rel=1e-6
                )


def test_text_is_aligned(trio):
    lines = format_summary(summary_table(trio), "text").splitlines()
    assert len(lines) == 4
    assert lines[0].split() == ["model", *summary_table(trio).columns]
    assert lines[2].split()[:4] == ["pure_ce_only", "1930", "1932", "NA"]
    assert len({len(line) for line in lines}) == 1  # right-aligned columns: equal widths


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="markdown"):
        format_summary(summary_table([make_run({})]), "html")


def test_fallback_na_and_preference(tmp_path):
    steps = [40, 80]
    write_events(
        tmp_path / "r",
        {
            "eval/coord_softce_w1/soft_ce": {40: 5.0, 80: 3.25},
            "eval/coord_diag/soft_ce": {40: 9.0, 80: 9.5},  # shadowed by the softce block
            "eval/coord_diag/w1": {s: 0.125 for s in steps},  # no softce w1: the fallback
            "eval/flip_coord_to_noncoord": {40: 0.5, 80: 0.25},  # the un-prefixed flip tag
            "train/loss": {10: 1.0, 20: 0.9, 70: 0.8},
            "eval/loss": {s: 1.0 for s in steps},
        },
    )
    df = summary_table([load(tmp_path / "r")])
    row = df.loc["r"]
    assert row["eval_coord_soft_ce"] == 3.25
    assert row["eval_coord_w1"] == 0.125
    assert row["eval_flip_coord_to_noncoord"] == 0.25
    assert row["max_train_step"] == 70
    assert row["max_eval_step"] == 80
    assert pd.isna(row["eval_coord_ce"]) and pd.isna(row["eval_p_gt_mean"])


def test_run_without_coord_metrics_is_all_na():
    run = make_run({"loss": {1: 1.0}}, name="plain")
    df = summary_table([run])
    assert df.loc["plain"].isna().all()
    assert format_summary(df, "markdown").splitlines()[2] == "| plain |" + " NA |" * 12


def test_markdown_number_spelling():
    run = make_run(
        {
            "eval/coord_diag/soft_ce": {1: 1234.56789},
            "eval/coord_diag/w1": {1: 0.00012345},
            "eval/coord_diag/gate": {1: -0.5},
        },
        name="x",
    )
    cells = format_summary(summary_table([run]), "markdown").splitlines()[2].split(" | ")
    assert cells[4:7] == ["1234.5679", "1.2345e-04", "-0.5000"]
    assert np.isnan(summary_table([run]).loc["x", "eval_coord_ce"])


def _table_from_csv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), na_values=["NA"], keep_default_na=False)


def _records(table: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as plain Python values, NA as None (what JSON holds)."""
    return [
        {k: None if pd.isna(v) else getattr(v, "item", lambda v=v: v)() for k, v in row.items()}
        for row in table.to_dict("records")
    ]


def test_json_reads_back_as_the_same_table_as_csv(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples are outside this project: named by their dirs
    runner = CliRunner()
    args = ["summary", "--isolated", *(str(RUNS / n) for n in NAMES)]
    as_json = runner.invoke(cli, [*args, "-f", "json"])
    as_csv = runner.invoke(cli, [*args, "--output-format", "csv", "-o", "table.csv"])
    assert as_json.exit_code == as_csv.exit_code == 0, as_json.output + as_csv.output
    assert as_csv.stdout == ""  # -o: the table went to the file
    rows = json.loads(as_json.stdout)
    from_csv = _table_from_csv((tmp_path / "table.csv").read_text())
    assert rows == _records(from_csv)  # the same cells, to the last bit
    assert len(rows) == 3 and list(rows[0]) == list(from_csv.columns)
    from_json = pd.DataFrame(rows)
    # exact: the logged float32 value, spelled shortest, in both (not 3.5260000228881836)
    assert from_json.set_index("model").loc["soft_ce_only", "eval_coord_soft_ce"] == 3.526
    logged = trio_value("soft_ce_only", "eval/coord_softce_w1/soft_ce")
    assert np.float32(3.526) == np.float32(logged) and logged != 3.526
    assert from_json["eval_coord_ce"].isna().tolist() == [False, True, False]  # null and NA


def trio_value(name: str, tag: str) -> float:
    return float(load(RUNS / name).series(tag).iloc[-1])


def test_a_float64_value_is_exact_too():
    run = make_run({"eval/coord_diag/soft_ce": {1: 0.1}}, name="x")  # 0.1 as a float64
    table = summary_table([run])
    table["eval_coord_soft_ce"] = [0.1 + 2**-40]  # not a float32: written in full
    text = format_summary(table, "csv")
    assert f",{0.1 + 2**-40!r}," in text
    assert json.loads(format_summary(table, "json")) == _records(_table_from_csv(text))


def test_columns_pick_named_columns_and_any_tag(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["summary", "--isolated", *(str(RUNS / n) for n in NAMES), "-f", "csv"]
    picked = runner.invoke(cli, [*args, "--columns", "eval/loss,eval_coord_soft_ce"])
    assert picked.exit_code == 0, picked.output
    table = _table_from_csv(picked.stdout).set_index("model")
    assert list(table.columns) == [
        "max_train_step",
        "max_eval_step",
        "eval/loss",
        "eval_coord_soft_ce",
    ]
    soft_ce = trio_value("pure_ce_only", "eval/coord_diag/soft_ce")
    assert np.float32(table.loc["pure_ce_only", "eval_coord_soft_ce"]) == np.float32(soft_ce)
    loss = trio_value("pure_ce_only", "eval/loss")
    assert np.float32(table.loc["pure_ce_only", "eval/loss"]) == np.float32(loss)
    typo = runner.invoke(cli, [*args, "--columns", "eval/los", "--columns", "train/loss"])
    assert typo.exit_code == 0
    assert "coordlint: warning: no run logs eval/los (did you mean 'eval/loss'?)" in typo.stderr
    assert _table_from_csv(typo.stdout)["eval/los"].isna().all()


def test_format_is_a_deprecated_alias(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["summary", "--isolated", str(RUNS / NAMES[0])]
    old = CliRunner().invoke(cli, [*args, "--format", "markdown"])
    new = CliRunner().invoke(cli, [*args, "-f", "markdown"])
    assert old.exit_code == 0 and old.stdout == new.stdout
    assert "summary --format is deprecated; use -f/--output-format" in old.stderr
    assert "--format" not in CliRunner().invoke(cli, ["summary", "--help"]).output.replace(
        "--output-format", ""
    )
