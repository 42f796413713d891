"""Smoke test of the accuracy benchmark (benchmarks/accuracy): generator, writer, scorer, report.

The benchmark itself is run by hand; this runs it end to end on a handful of runs with a fixed
seed, and pins what it relies on: the three float32 encodings and a resume load back exactly,
and the expert labels follow their written definitions at their boundaries.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from accuracy import curves, families, labels  # noqa: E402
from accuracy.__main__ import main  # noqa: E402
from accuracy.score import check_groups, tally  # noqa: E402
from accuracy.writer import write_run  # noqa: E402

from coordlint.testing import load  # noqa: E402


def test_end_to_end_on_a_handful_of_runs(capsys):
    assert main(["--runs", "24", "--seed", "3", "--misses"]) == 0
    out = capsys.readouterr().out
    assert "runs in" in out and "seed 3" in out
    for code in families.CODES:
        assert f"| {code} |" in out, code
    assert "loader or rule problems" not in out


def test_every_run_is_labelled_loaded_and_checked(tmp_path):
    groups = families.generate(30, seed=11)
    specs = [s for g in groups for s in g]
    assert len(specs) >= 30
    assert {s.family for s in specs} == set(families.FAMILIES)
    for s in specs:
        assert set(s.labels) == set(families.CODES)
        assert set(s.labels.values()) <= {labels.POS, labels.NEG, labels.EITHER}
    checked, info = check_groups(groups, tmp_path)
    assert info["crashes"] == []
    assert [c.spec.name for c in checked] == [s.name for s in specs]
    for c in checked:
        assert set(c.verdicts) == set(info["codes"])
        # The resumed runs are exactly the ones CL903 reports.
        resumed = c.spec.resume_steps is not None
        assert (c.verdicts["CL903"].outcome == "fire") == resumed, c.spec.name
    # The tallies count what the verdicts say: a miss that abstained is a miss that said so.
    tallies = tally(checked, info["codes"])
    for code in info["codes"]:
        t = tallies[code]["rule"]
        pos = [c.verdicts[code].outcome for c in checked if c.spec.labels[code] == labels.POS]
        assert (t.tp, t.fn) == (pos.count("fire"), len(pos) - pos.count("fire")), code
        assert t.fn_info == pos.count("info"), code


@pytest.mark.parametrize("encoding", families.ENCODINGS)
def test_encodings_and_resume_load_back_exactly(tmp_path, encoding):
    rng = np.random.default_rng(0)
    spec = families._healthy(rng, "run", "healthy", "g", 1)
    spec.noise = curves.Noise("gauss", 0.0)
    spec.encoding = encoding
    spec.length, spec.interval, spec.resume, spec.missing = 1000, 50, (0.5, 3), ()
    run = load(write_run(spec, tmp_path))
    steps = spec.steps.astype(float)
    mass = run.series("eval/coord_diag/coord_vocab_mass")
    expected = spec.curves["coord_vocab_mass"](steps).astype(np.float32)
    assert mass.index.tolist() == spec.steps.tolist()
    assert mass.to_numpy().tolist() == expected.astype(float).tolist()
    # Without noise the resumed attempt writes the same values again: one point each, not a
    # rewrite (a repeated row is not a resume). With noise, each repeated eval is a rewrite.
    assert "eval/coord_diag/coord_vocab_mass" not in run.rewritten
    spec.noise = curves.Noise("gauss", 0.01)
    noisy = load(write_run(spec, tmp_path / "noisy"))
    at, end = spec.resume_steps
    assert noisy.rewritten["eval/coord_diag/coord_vocab_mass"] == (end - at) // 50 + 1


def test_rebound_label_boundaries():
    steps = np.arange(1, 8) * 100
    # First eval and the last three exactly 7.5% above the minimum: a rebound.
    clear = np.array([1.075, 1.0, 1.0, 1.0, 1.075, 1.075, 1.075])
    assert labels.soft_ce_rebound(clear, steps)[0] == labels.POS
    # One of the last three just under 3.3% above: not one.
    assert labels.soft_ce_rebound(clear * [1, 1, 1, 1, 1, 1, 1.032 / 1.075], steps)[0] == "neg"
    # In the band: either.
    assert labels.soft_ce_rebound(clear * [1, 1, 1, 1, 1, 1, 1.05 / 1.075], steps)[0] == "either"
    # No visible improvement: not a rebound, however much it rises.
    assert labels.soft_ce_rebound(np.array([1.0, 1, 1, 1, 2, 2, 2]), steps)[0] == labels.NEG


def test_confinement_labels_use_the_noise_free_crossing():
    grid = np.arange(1, 11) * 110  # evals at 110, 220, ...: none between 200 and 240
    late = curves.logistic_mass(0.1, 240, 0.999)
    assert labels.crossing_step(late, 1100) == 240
    assert labels.slow_confinement(late, grid, 1100)[0] == labels.POS  # eval 220 is before 240
    barely = curves.logistic_mass(0.1, 215, 0.999)
    assert labels.slow_confinement(barely, grid, 1100)[0] == labels.EITHER
    hidden = curves.logistic_mass(0.1, 250, 0.999)
    coarse = np.arange(1, 9) * 130  # 130, 260: no eval in [200, 250)
    assert labels.slow_confinement(hidden, coarse, 1040)[0] == labels.EITHER
    assert labels.slow_confinement(curves.logistic_mass(0.1, 160, 0.999), grid, 1100)[0] == "neg"


def test_float32_rounded_configs_are_equal_to_the_expert():
    assert labels.odd_ones_out([("a", 0.9), ("b", float(np.float32(0.9))), ("c", 0.9)]) == set()
    assert labels.odd_ones_out([("a", 0.9), ("b", 0.91), ("c", 0.9)]) == {"b"}
    assert labels.odd_ones_out([("a", 1.0), ("b", 2.0)]) == {"a", "b"}
