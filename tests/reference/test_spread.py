"""The statistics behind reference bands (rules/_spread.py, rules/_reference.py): the tables
re-derived by simulation, the center and spread by count, alignment, sustain, directions."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import coordlint
from coordlint.reference import Curve, Reference
from coordlint.rules import _reference as r
from coordlint.rules import _spread as s
from coordlint.rules.cl101_coord_ce_mode import objective
from coordlint.testing import make_run

_erfc = np.vectorize(math.erfc)


def _mean_abs(ordered: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(ordered - np.median(ordered, axis=0)), axis=0)


@pytest.mark.parametrize("n", [3, 5, 10, 41, 60])
def test_consistency_makes_the_spread_estimate_the_sd(n):
    samples = np.random.default_rng(12345 + n).standard_normal((n, 40_000))
    estimate = s.consistency(n) * _mean_abs(samples)
    assert np.mean(estimate) == pytest.approx(1.0, rel=0.01)  # tabulated to 40, formula beyond


@pytest.mark.parametrize("n", [3, 5, 10, 45])
def test_inflation_keeps_a_new_run_inside_as_often_as_3_known_sds(n):
    """P(new - median > 3 × inflation × spread) for n references and a new run all standard
    normal is P(Z > 3): averaged exactly over the new run given the references."""
    refs = np.random.default_rng(777 + n).standard_normal((n, 60_000))
    spread = s.consistency(n) * _mean_abs(refs)
    edge = np.median(refs, axis=0) + s.NOMINAL_Z * s.inflation(n) * spread
    tail = np.mean(0.5 * _erfc(edge / math.sqrt(2)))
    assert tail == pytest.approx(0.5 * math.erfc(3 / math.sqrt(2)), rel=0.08)


def test_center_and_spread_by_count():
    values = np.array(
        [
            [2.0, 1.0, 1.0, np.nan],
            [np.nan, 3.0, 2.0, np.nan],
            [np.nan, np.nan, 4.0, np.nan],
            [np.nan, np.nan, 10.0, np.nan],
            [np.nan, np.nan, 3.0, np.nan],
        ]
    )
    center, mean, spread, count = s.center_spread(values)
    assert count.tolist() == [1, 2, 5, 0]
    assert center[:3].tolist() == [2.0, 2.0, 3.0] and math.isnan(center[3])
    # Five: the trimmed mean drops the lowest (1) and the highest (10).
    assert mean[:3].tolist() == [2.0, 2.0, 3.0]
    # One: no spread; two: half their distance; five: scaled mean |x - median| (2+1+0+1+7)/5.
    assert spread[0] == 0.0 and spread[1] == 1.0
    assert spread[2] == pytest.approx(s.consistency(5) * 11 / 5)


def test_half_width_by_count_and_the_noise_floor():
    center = np.array([10.0, 10.0, 10.0, 10.0])
    spread = np.array([0.0, 1.0, 0.5, 0.0])
    count = np.array([1, 2, 5, 5])
    half = s.half_width(center, spread, count, k=4.0, rtol=0.01, atol=0.05, noise=0.2)
    assert half[0] == pytest.approx(0.1)  # one: rtol × 10 (> atol)
    assert half[1] == pytest.approx(1.0)  # two: half their distance
    assert half[2] == pytest.approx(4.0 * s.inflation(5) * 0.5)
    assert half[3] == pytest.approx(4.0 * 0.2)  # a spread of 0 is floored at the noise
    lone = s.half_width(center[:1], spread[:1], count[:1], k=4.0, rtol=0.0, atol=0.05, noise=9)
    assert lone[0] == pytest.approx(0.05)  # one reference: no noise floor, atol only


def _ref(name: str, points: dict[int, float], config: dict | None = None) -> Reference:
    steps = np.array(sorted(points), dtype=np.int64)
    values = np.array([points[k] for k in sorted(points)], dtype=np.float64)
    return Reference(name, {"eval/loss": Curve(steps, values)}, config or {})


def test_references_align_by_interpolation_inside_their_own_range_only():
    a = _ref("a", {100: 1.0, 200: 2.0, 300: 4.0})
    b = _ref("b", {150: 0.0, 250: 1.0})
    got = r.aligned([a, b], "eval/loss", np.array([50, 100, 150, 250, 300]))
    assert np.array_equal(got[0], [np.nan, 1.0, 1.5, 3.0, 4.0], equal_nan=True)
    assert np.array_equal(got[1], [np.nan, np.nan, 0.0, 1.0, np.nan], equal_nan=True)


def test_an_envelope_covers_only_steps_some_reference_covers():
    refs = [_ref(n, {100: v, 200: v, 300: v}) for n, v in (("a", 1.0), ("b", 2.0), ("c", 3.0))]
    env = r.envelope(refs, "eval/loss", np.array([50, 100, 200, 400]), r.DEFAULT_TOLERANCE)
    assert env is not None and env.steps.tolist() == [100, 200]
    assert env.center.tolist() == [2.0, 2.0] and env.count.tolist() == [3, 3]
    assert r.envelope(refs, "eval/loss", np.array([10, 20]), r.DEFAULT_TOLERANCE) is None


def test_stretches_need_sustain_consecutive_flags():
    flags = np.array([1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1], dtype=bool)
    assert r.stretches(flags, 3) == [(3, 6), (7, 11)]
    assert r.stretches(flags, 4) == [(7, 11)]
    assert r.stretches(flags, 2) == [(0, 2), (3, 6), (7, 11)]
    assert r.stretches(np.zeros(3, dtype=bool), 1) == []


def test_worse_is_one_side_for_a_known_direction_and_both_for_an_unknown_one():
    dev = np.array([-2.0, -1.0, 1.0, 2.0])
    assert r.worse(dev, "lower").tolist() == [False, False, False, True]
    assert r.worse(dev, "higher").tolist() == [True, False, False, False]
    assert r.worse(dev, None).tolist() == [True, False, False, True]


def test_every_coord_metric_knows_its_direction():
    assert r.better("eval/coord_diag/expected_bin_mae") == "lower"
    assert r.better("eval/coord_softce_w1/soft_ce") == "lower"
    assert r.better("eval/coord_diag/coord_vocab_mass") == "higher"
    assert r.better("eval/coord_monitor/flip_coord_to_noncoord") == "lower"
    assert r.better("eval/loss") == "lower" and r.better("eval/bbox_loss") == "lower"
    assert r.better("eval/token_acc") is None and r.better("eval/lossy_metric") is None


def test_tag_overrides_first_matching_glob_wins_and_bad_ones_are_refused():
    base = r.Tolerance(4.0, 0.02, 0.0)
    overrides = {"eval/coord_*": {"atol": 0.5}, "eval/*": {"rtol": 0.1, "k": 2}}
    assert r.tolerance_for("eval/coord_diag/w1", base, overrides) == r.Tolerance(4.0, 0.02, 0.5)
    assert r.tolerance_for("eval/loss", base, overrides) == r.Tolerance(2.0, 0.1, 0.0)
    assert r.tolerance_for("train/loss", base, overrides) == base
    with pytest.raises(ValueError, match="no field 'sigma'"):
        r.check_overrides({"eval/*": {"sigma": 1}})
    with pytest.raises(ValueError, match="must be a number >= 0"):
        r.check_overrides({"eval/*": {"k": -1}})
    with pytest.raises(ValueError, match="must be a mapping"):
        r.check_overrides({"eval/*": 3})


MIXED = {"eval/coord_softce_w1/ce": {100: 3.4}, "eval/coord_softce_w1/soft_ce": {100: 3.6}}
SOFT_ONLY = {"eval/coord_softce_w1/ce": {100: 0.0}, "eval/coord_softce_w1/soft_ce": {100: 3.5}}


def _as_reference(run: coordlint.Run, name: str) -> Reference:
    curves = {t: Curve(run.series(t).index.to_numpy(), run.series(t).to_numpy()) for t in run.tags}
    return Reference(name, curves, dict(run.config), origin=f"/refs/{name}")


def test_comparable_leaves_out_other_settings_objectives_and_the_run_itself():
    config = {"coord_soft_ce_w1.temperature": 1.0, "coord_soft_ce_w1.w1_weight": 1.0}
    same = _as_reference(make_run(MIXED, config=config), "same")
    unknown = _as_reference(make_run(MIXED), "unknown")  # no config: nothing to differ in
    hot = _as_reference(make_run(MIXED, config={"coord_soft_ce_w1.temperature": 2}), "hot")
    soft = _as_reference(make_run(SOFT_ONLY, config=config), "soft")
    itself = _as_reference(make_run(MIXED, config=config), "itself")
    run = make_run(MIXED, "run", path="/refs/itself", config=config)._with_references(
        [same, unknown, hot, soft, itself]
    )
    kept, left = r.comparable(run)
    assert [k.name for k in kept] == ["same", "unknown"]
    reasons = {out.reference.name: (out.reason, out.keys) for out in left}
    assert reasons["hot"] == (
        "temperature is 2 there, 1.0 here",
        ("coord_soft_ce_w1.temperature",),
    )  # 2 and 2.0 would be equal: numbers compare as numbers
    assert reasons["soft"][1] == ("objective",) and "soft_only" in reasons["soft"][0]
    assert reasons["itself"] == ("it is this run", ())


def test_loss_weights_are_not_compared_when_either_run_has_soft_ce_off():
    off = {"coord_soft_ce_w1.enabled": False, "coord_soft_ce_w1.w1_weight": 0.0}
    on = {"coord_soft_ce_w1.enabled": True, "coord_soft_ce_w1.w1_weight": 1.0}
    diag = {"eval/coord_diag/soft_ce": {100: 4.0}}
    ref = _as_reference(make_run(diag, config=off), "pure")
    run = make_run(diag, config={"coord_soft_ce_w1.w1_weight": 1.0})._with_references([ref])
    assert [k.name for k in r.comparable(run)[0]] == ["pure"]
    run = make_run(MIXED, config=on)._with_references(
        [_as_reference(make_run(MIXED, config={**on, "coord_soft_ce_w1.w1_weight": 2.0}), "heavy")]
    )
    (out,) = r.comparable(run)[1]
    assert out.keys == ("coord_soft_ce_w1.w1_weight",)


def test_cl602_smooths_as_the_running_median_of_three_does():
    import pandas as pd

    from coordlint.rules._curves import running_median
    from coordlint.rules.cl602_slower_than_reference import _median_of_three

    values = np.random.default_rng(5).normal(size=41)
    expected = running_median(pd.Series(values), 3).to_numpy()
    assert np.array_equal(_median_of_three(values), expected)
    assert np.array_equal(_median_of_three(values[:2]), values[:2])
    assert _median_of_three(np.array([1.0, 5.0, 2.0])).tolist() == [1.0, 2.0, 2.0]


def test_the_loss_direction_reads_the_last_component_only():
    assert r.better("eval/coord_x/loss") == "lower"
    assert r.better("eval/loss_curve/acc") is None


def test_overrides_of_zero_are_allowed_and_booleans_refused():
    r.check_overrides({"eval/*": {"atol": 0, "rtol": 0.0, "k": 1}})
    with pytest.raises(ValueError, match=r"tag_overrides\['eval/\*'\]\['atol'\] must be a number"):
        r.check_overrides({"eval/*": {"atol": True}})


@pytest.mark.parametrize(
    ("count", "word"), [(1, "value"), (2, "mean"), (3, "median"), (7, "median")]
)
def test_the_center_is_named_for_the_number_of_references(count, word):
    assert r.center_word(count) == word


def test_a_zero_width_band_puts_any_other_value_infinitely_far_and_warns_of_nothing():
    env = r.Envelope(
        "eval/x",
        np.array([1, 2, 3]),
        np.ones((1, 3)),
        center=np.ones(3),
        half=np.array([0.0, 0.0, 0.5]),
        count=np.ones(3, dtype=int),
        names=("golden",),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dev = r.deviation(np.array([1.5, 0.5, 1.25]), env)
        assert dev.tolist() == [math.inf, -math.inf, 0.5]
        assert math.isnan(r.deviation(np.array([1.0, 1.0, 1.0]), env)[0])


def test_the_tables_end_at_40_and_the_formulas_take_over():
    assert s.consistency(3) == 1.775 and s.consistency(40) == 1.278
    assert s.consistency(41) == pytest.approx(math.sqrt(math.pi / 2) * 41 / 40.2)
    assert s.inflation(3) == 6.592 and s.inflation(40) == 1.088
    assert s.inflation(41) == pytest.approx(1 + 3.5 / 41)


def test_three_and_four_references_use_the_median_and_an_untrimmed_mean():
    values = np.array([[1.0, 1.0], [2.0, 2.0], [6.0, 6.0], [np.nan, 7.0]])
    center, mean, spread, count = s.center_spread(values)
    assert count.tolist() == [3, 4]
    assert center.tolist() == [2.0, 4.0] and mean.tolist() == [3.0, 4.0]
    assert spread[0] == pytest.approx(s.consistency(3) * (1 + 0 + 4) / 3)
    assert spread[1] == pytest.approx(s.consistency(4) * (3 + 2 + 2 + 3) / 4)


def test_three_references_widen_by_inflation_and_two_by_half_their_distance_only():
    center = np.array([10.0, 10.0, 10.0])
    spread = np.array([0.5, 0.5, 0.5])
    count = np.array([3, 2, 1])
    half = s.half_width(center, spread, count, k=2.0, rtol=0.0, atol=0.0)
    assert half.tolist() == pytest.approx([2.0 * s.inflation(3) * 0.5, 0.5, 0.0])
    floored = s.half_width(center, spread, count, k=2.0, rtol=0.0, atol=0.75)
    assert floored.tolist() == pytest.approx([2.0 * s.inflation(3) * 0.5, 0.75, 0.75])
    negative = s.half_width(-center, spread, count, k=0.0, rtol=0.1, atol=0.0)
    assert negative.tolist() == pytest.approx([1.0, 1.0, 1.0])  # rtol of |center|


def test_a_references_eval_noise_is_the_robust_sd_of_its_second_differences():
    # second differences of 0, 1, 1, 3, 3, 6: -1, 2, -2, 3; median 0.5; |x - 0.5| median 2.0
    ref = _ref("a", dict(zip(range(100, 700, 100), [0.0, 1.0, 1.0, 3.0, 3.0, 6.0], strict=True)))
    expected = r.ROBUST_SD * 2.0 / math.sqrt(6.0)
    assert r._noise(ref, "eval/loss") == pytest.approx(expected)
    three = _ref("b", {100: 0.0, 200: 1.0, 300: 5.0})  # one second difference: no spread
    assert r._noise(three, "eval/loss") == 0.0
    assert r._noise(_ref("c", {100: 0.0, 200: 1.0}), "eval/loss") is None
    assert r.eval_noise([ref, three], "eval/loss") == pytest.approx(expected / 2)
    assert r.eval_noise([_ref("c", {100: 0.0})], "eval/loss") == 0.0


@pytest.mark.parametrize(
    ("values", "median"), [([3.0, 1.0, 2.0], 2.0), ([4.0, 1.0, 3.0, 2.0], 2.5), ([7.0], 7.0)]
)
def test_the_short_median(values, median):
    assert r._median(np.array(values)) == median


def test_an_unknown_objective_on_either_side_is_no_reason_to_leave_a_reference_out():
    unknown = {"eval/coord_softce_w1/w1": {100: 0.1}}  # the soft-CE block without its ce term
    ref = _as_reference(make_run(MIXED), "mixed")
    run = make_run(unknown)._with_references([ref])
    assert [k.name for k in r.comparable(run)[0]] == ["mixed"]
    run = make_run(MIXED)._with_references([_as_reference(make_run(unknown), "unknown")])
    assert [k.name for k in r.comparable(run)[0]] == ["unknown"]


def test_the_objective_of_a_reference_reads_any_hard_ce_and_the_config():
    assert objective(make_run({"eval/coord_softce_w1/ce": {100: 0.5}})) == "mixed"
    config = {"coord_soft_ce_w1.enabled": True, "coord_soft_ce_w1.ce_weight": 1.0}
    assert objective(make_run({"eval/loss": {100: 1.0}}, config=config)) == "mixed"
    assert objective(make_run({"eval/coord_softce_w1/w1": {100: 0.1}})) == "unknown"
    assert objective(make_run({"eval/loss": {100: 1.0}})) is None


def test_several_columns_with_as_many_references_each_get_their_own_mean():
    values = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0]])
    _, mean, _, _ = s.center_spread(values)
    assert mean.tolist() == [2.5, 25.0]
