"""The bundled example runs under examples/runs/ reproduce the stage-1 analysis note.

The runs are read back with TensorBoard's own record reader (not with coordlint, and not with
the generator), so these tests check what a user's TensorBoard would see: the note's
end-of-training table to the digits it prints, the section-3 curve shapes, the tag sets, and
that ``examples/make_runs.py`` regenerates the committed files byte for byte.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
RUNS = EXAMPLES / "runs"
NAMES = ["soft_ce_only", "pure_ce_only", "soft_ce_hard_ce_mixed"]

# Section 2 of the note, copied as printed (strings, so the printed digits are the contract).
COLUMNS = [
    "max_train_step",
    "max_eval_step",
    "eval_coord_ce",
    "eval_coord_soft_ce",
    "eval_coord_w1",
    "eval_coord_gate",
    "eval_p_gt_mean",
    "eval_acc_top5",
    "eval_expected_bin_mae",
    "eval_coord_vocab_mass",
    "eval_margin_mean",
    "eval_flip_coord_to_noncoord",
]
TABLE = """
| soft_ce_only | 1830 | 1832 | 0 | 3.5260 | 0.0803 | 0.0026 | 0.0655 | 0.4085 | 20.8764 | 0.9995 | 0.8338 | 0 |
| pure_ce_only | 1930 | 1932 | NA | 4.8058 | 0.0881 | 0.0066 | 0.1234 | 0.5448 | 20.9029 | 0.9988 | 1.0985 | 0 |
| soft_ce_hard_ce_mixed | 1340 | 1344 | 3.4371 | 3.6293 | 0.0296 | 0.0029 | 0.0930 | 0.4782 | 21.3715 | 0.9987 | 1.1014 | 8.4831e-05 |
"""  # noqa: E501
ROWS = {
    cells[0]: dict(zip(COLUMNS, cells[1:], strict=True))
    for line in TABLE.strip().splitlines()
    for cells in [[c.strip() for c in line.strip().strip("|").split("|")]]
}

HF_TAGS = {
    "train/loss",
    "train/learning_rate",
    "train/grad_norm",
    "train/epoch",
    "eval/loss",
    "eval/runtime",
    "eval/text_token_acc",
    "eval/token_acc",
}
DIAG_TAGS = {
    f"eval/coord_diag/{k}"
    for k in [
        "soft_ce",
        "w1",
        "gate",
        "p_gt_mean",
        "acc_top5",
        "expected_bin_mae",
        "coord_vocab_mass",
        "margin_mean",
        "enabled",
    ]
}
SOFTCE_TAGS = {
    f"{split}/coord_softce_w1/{k}"
    for split in ["train", "eval"]
    for k in ["ce", "soft_ce", "w1", "gate"]
}
FLIP = "eval/coord_monitor/flip_coord_to_noncoord"


def event_file(run_dir: Path) -> Path:
    (path,) = sorted(run_dir.glob("events.out.tfevents.*"))
    return path


def read_events(path: Path) -> list:
    return list(LegacyEventFileLoader(str(path)).Load())


def read_scalars(run_dir: Path) -> dict[str, dict[int, float]]:
    """Every tag's ``{step: value}`` (the last write of a step wins, as TensorBoard shows it)."""
    scalars: dict[str, dict[int, float]] = {}
    for event in read_events(event_file(run_dir)):
        for value in event.summary.value:
            assert value.WhichOneof("value") == "simple_value", value.tag
            scalars.setdefault(value.tag, {})[event.step] = value.simple_value
    return scalars


@pytest.fixture(scope="module")
def runs() -> dict[str, dict[str, dict[int, float]]]:
    return {name: read_scalars(RUNS / name) for name in NAMES}


def series(run: dict[str, dict[int, float]], tag: str) -> tuple[np.ndarray, np.ndarray]:
    points = sorted(run[tag].items())
    return np.array([s for s, _ in points]), np.array([v for _, v in points])


def last(run: dict[str, dict[int, float]], tag: str) -> float:
    return run[tag][max(run[tag])]


def as_printed(value: float, printed: str) -> str:
    """``value`` formatted with as many digits as ``printed`` shows."""
    if "e" in printed:
        mantissa = printed.split("e")[0]
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return f"{value:.{digits}e}"
    if "." in printed:
        return f"{value:.{len(printed.split('.')[1])}f}"
    return f"{value:.0f}" if value == 0 else repr(value)


def note_row(run: dict[str, dict[int, float]]) -> dict[str, float | None]:
    """The note's section-2 row, computed the way the note describes."""

    def coord(key: str) -> float | None:
        for tag in (f"eval/coord_softce_w1/{key}", f"eval/coord_diag/{key}"):
            if tag in run:
                return last(run, tag)
        return None

    return {
        "max_train_step": max(max(v) for t, v in run.items() if t.startswith("train/")),
        "max_eval_step": max(max(v) for t, v in run.items() if t.startswith("eval/")),
        "eval_coord_ce": coord("ce"),
        "eval_coord_soft_ce": coord("soft_ce"),
        "eval_coord_w1": coord("w1"),
        "eval_coord_gate": coord("gate"),
        "eval_p_gt_mean": last(run, "eval/coord_diag/p_gt_mean"),
        "eval_acc_top5": last(run, "eval/coord_diag/acc_top5"),
        "eval_expected_bin_mae": last(run, "eval/coord_diag/expected_bin_mae"),
        "eval_coord_vocab_mass": last(run, "eval/coord_diag/coord_vocab_mass"),
        "eval_margin_mean": last(run, "eval/coord_diag/margin_mean"),
        "eval_flip_coord_to_noncoord": last(run, FLIP),
    }


# -- files -----------------------------------------------------------------------------------


def test_each_run_is_one_small_event_file() -> None:
    total = 0
    for name in NAMES:
        files = list((RUNS / name).iterdir())
        assert [f.name for f in files] == [event_file(RUNS / name).name]
        total += files[0].stat().st_size
    assert total < 1_000_000


@pytest.mark.parametrize("name", NAMES)
def test_first_record_is_the_file_version_event(name: str) -> None:
    events = read_events(event_file(RUNS / name))
    assert events[0].file_version == "brain.Event:2"
    assert not events[0].HasField("summary")
    assert all(e.HasField("summary") for e in events[1:])
    wall_times = [e.wall_time for e in events]
    assert wall_times == sorted(wall_times)


def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    for _ in range(2):  # the second pass also checks that an existing output is replaced
        subprocess.run(
            [sys.executable, str(EXAMPLES / "make_runs.py"), "--out", str(tmp_path)],
            check=True,
            capture_output=True,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(NAMES)
    for name in NAMES:
        committed = event_file(RUNS / name)
        fresh = event_file(tmp_path / name)
        assert fresh.name == committed.name
        assert fresh.read_bytes() == committed.read_bytes(), name


# -- tags ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_tag_sets(runs, name: str) -> None:
    tags = set(runs[name])
    expected = HF_TAGS | DIAG_TAGS | {FLIP}
    if name != "pure_ce_only":
        expected |= SOFTCE_TAGS
    assert tags == expected
    enabled = series(runs[name], "eval/coord_diag/enabled")[1]
    assert set(enabled) == {0.0 if name == "pure_ce_only" else 1.0}


@pytest.mark.parametrize("name", NAMES)
def test_cadence(runs, name: str) -> None:
    row = ROWS[name]
    max_train, max_eval = int(row["max_train_step"]), int(row["max_eval_step"])
    evals = [*range(40, max_eval, 40), max_eval]
    for tag, points in runs[name].items():
        expected = evals if tag.startswith("eval/") else list(range(10, max_train + 1, 10))
        assert sorted(points) == expected, tag


# -- section 2: the end-of-training table ----------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_final_values_match_the_note_table(runs, name: str) -> None:
    computed = note_row(runs[name])
    for column, printed in ROWS[name].items():
        value = computed[column]
        if printed == "NA":
            assert value is None, column
            continue
        assert value is not None, column
        assert as_printed(value, printed) == printed, (column, value)
        # ...and to 4 significant digits, independently of how the note formats it.
        assert value == pytest.approx(float(printed), rel=5e-4, abs=1e-12), column


@pytest.mark.parametrize("name", ["soft_ce_only", "soft_ce_hard_ce_mixed"])
def test_coord_diag_mirrors_the_softce_block(runs, name: str) -> None:
    run = runs[name]
    for key in ["soft_ce", "w1", "gate"]:
        assert run[f"eval/coord_diag/{key}"] == run[f"eval/coord_softce_w1/{key}"], key


# -- section 3: curve shapes -----------------------------------------------------------------


def test_hard_ce_term_off_for_soft_only_and_on_for_mixed(runs) -> None:
    for split in ["train", "eval"]:
        assert set(series(runs["soft_ce_only"], f"{split}/coord_softce_w1/ce")[1]) == {0.0}
        assert (series(runs["soft_ce_hard_ce_mixed"], f"{split}/coord_softce_w1/ce")[1] > 0).all()
    assert last(runs["soft_ce_hard_ce_mixed"], "eval/coord_softce_w1/ce") == pytest.approx(
        3.44, abs=0.005
    )


def test_pure_ce_soft_ce_improves_then_worsens(runs) -> None:
    run = runs["pure_ce_only"]
    tag = "eval/coord_diag/soft_ce"
    quoted = {40: 8.19, 200: 4.21, 400: 4.19, 800: 4.56, 1200: 4.72, 1600: 4.81, 1932: 4.81}
    for step, printed in quoted.items():
        assert f"{run[tag][step]:.2f}" == f"{printed:.2f}", step
    steps, values = series(run, tag)
    lowest = values.min()
    assert abs(int(steps[values.argmin()]) - 400) <= 40  # the minimum is within one eval of 400
    assert (values[steps >= 800] > 1.05 * lowest).all()  # rises >5% above it and stays up
    assert values[-1] > 1.05 * lowest


@pytest.mark.parametrize(
    ("name", "level"), [("soft_ce_only", 3.53), ("soft_ce_hard_ce_mixed", 3.63)]
)
def test_soft_ce_decreases_then_plateaus(runs, name: str, level: float) -> None:
    steps, values = series(runs[name], "eval/coord_softce_w1/soft_ce")
    lowest = values.min()
    assert values[0] > 1.3 * values[-1]  # it decreases
    tail = values[steps >= steps[-1] / 2]
    assert np.median(tail) == pytest.approx(level, rel=0.01)  # ...and stabilises around level
    assert tail.max() < 1.02 * lowest  # small noise, no sustained rise
    assert np.abs(np.diff(tail) / tail[:-1]).max() < 0.02


@pytest.mark.parametrize(
    ("name", "at40", "at200"),
    [
        ("soft_ce_only", 0.34, 0.9985),
        ("pure_ce_only", 0.0565, 0.9916),
        ("soft_ce_hard_ce_mixed", 0.192, 0.9959),
    ],
)
def test_coord_vocab_mass_confines_quickly(runs, name: str, at40: float, at200: float) -> None:
    run = runs[name]
    tag = "eval/coord_diag/coord_vocab_mass"
    assert run[tag][40] == float(np.float32(at40))
    assert run[tag][200] == float(np.float32(at200))
    steps, values = series(run, tag)
    assert (values[steps >= 200] >= 0.99).all()
    assert (values <= 1.0).all()
    assert (np.diff(values[steps <= 200]) > 0).all()


@pytest.mark.parametrize("name", NAMES)
def test_expected_bin_mae_converges_to_about_21(runs, name: str) -> None:
    steps, values = series(runs[name], "eval/coord_diag/expected_bin_mae")
    assert values[0] > 5 * values[-1]
    quarter = values[steps >= 0.75 * steps[-1]]
    assert len(quarter) >= 5
    assert (quarter.max() - quarter.min()) / np.median(quarter) < 0.02
    assert np.median(quarter) == pytest.approx(21, abs=0.6)


@pytest.mark.parametrize("name", NAMES)
def test_flip_rate_is_small(runs, name: str) -> None:
    steps, values = series(runs[name], FLIP)
    assert (values >= 0).all()
    assert values.max() < 0.05
    assert (values[steps >= 400] < 1e-3).all()


def test_pure_ce_text_token_acc_looks_low(runs) -> None:
    def final(name: str) -> float:
        return last(runs[name], "eval/text_token_acc")

    assert final("pure_ce_only") == pytest.approx(0.55, abs=0.03)
    for name in ["soft_ce_only", "soft_ce_hard_ce_mixed"]:
        assert final(name) == pytest.approx(0.85, abs=0.03)


@pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning")
@pytest.mark.parametrize("name", NAMES)
def test_tbparse_reads_the_same_final_values(runs, name: str) -> None:
    import tbparse

    frame = tbparse.SummaryReader(str(event_file(RUNS / name))).scalars
    assert set(frame["tag"]) == set(runs[name])
    for tag, group in frame.groupby("tag"):
        final = group.sort_values("step").iloc[-1]
        assert int(final["step"]) == max(runs[name][tag])
        assert float(final["value"]) == pytest.approx(last(runs[name], tag), rel=1e-7), tag
