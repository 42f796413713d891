"""CL401 bin-mae-not-converged: a robust late trend fires; noisy plateaus and outliers do not."""

from __future__ import annotations

import numpy as np
import pytest
from _noise import ar1

from coordlint.rules._curves import Noise
from coordlint.rules._reml import NoiseProfile
from coordlint.rules.cl401_bin_mae_not_converged import (
    NOISE_WIDTHS,
    Trend,
    _cannot_tell,
    judged_at,
    last_quarter_trend,
)
from coordlint.testing import check, make_run

STEPS = np.arange(40, 2001, 40)
TAG = "eval/coord_diag/expected_bin_mae"


def approach(start=143.0, final=20.9, tau=85.0, steps=STEPS):
    return final + (start - final) * np.exp(-(steps - 40.0) / tau)


def series(values, steps=STEPS):
    return dict(zip(steps.tolist(), np.asarray(values).tolist(), strict=True))


def noisy(values, rng, sd):
    return np.asarray(values) * (1 + sd * rng.standard_normal(len(values)))


def test_fires_while_still_falling(write_run):
    values = approach(tau=900.0)  # still ~2.4 bins/quarter of downhill at the end
    run = write_run({TAG: series(values)})
    (finding,) = check(run, "CL401")
    assert finding.severity.name == "WARNING"
    assert finding.data["final"] == pytest.approx(values[-1], rel=1e-6)
    # The exact change over the last quarter of the noiseless curve (13 evals: 1520..2000).
    expected = values[-1] - values[-13]
    assert finding.data["change"] == pytest.approx(expected, rel=0.15)
    assert finding.data["change"] < 0
    assert "falling" in finding.message


def test_fires_when_rising_at_the_end(write_run):
    values = approach()
    values[STEPS > 1500] *= np.linspace(1.0, 1.12, int((STEPS > 1500).sum()))
    (finding,) = check(write_run({TAG: series(values)}), "CL401")
    assert finding.data["change"] > 0
    assert "rising" in finding.message


def test_clean_converged(write_run):
    assert check(write_run({TAG: series(approach())}), "CL401") == []


@pytest.mark.parametrize("seed", range(3))
def test_noisy_plateau_event_files(write_run, seed):
    values = noisy(approach(), np.random.default_rng(seed), 0.01)
    assert check(write_run({TAG: series(values)}), "CL401") == []


def warnings(findings):
    return [f for f in findings if f.severity.name != "INFO"]


def test_noisy_plateaus_do_not_cry_wolf():
    # 1% eval noise (three times what the real metric shows) on 200 converged runs: no alarm.
    # A plateau that wanders past rel_tol by chance may get an info ("cannot tell"), naming a
    # change it would call that is larger than the one it saw.
    rng = np.random.default_rng(7)
    runs = [make_run({TAG: series(noisy(approach(), rng, 0.01))}, name=f"r{i}") for i in range(200)]
    findings = check(runs, "CL401")
    assert warnings(findings) == []
    assert all("cannot tell whether it has converged" in f.message for f in findings)
    assert all(f.data["needed"] > abs(f.data["change"] / f.data["final"]) for f in findings)


@pytest.mark.parametrize("start", ["steep descent", "flat from the first eval"])
@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_noisy_plateaus_at_the_edge_of_the_range_stay_within_budget(start, phi):
    # 2% eval noise (the edge of the operating range) on 200 converged runs, white or with
    # consecutive evals correlated by phi, with and without an early descent. The rule is
    # calibrated to at most 1% warnings on such curves for every phi: 2 of 200. (Its earlier
    # noise estimate, which leaned on the early descent, warned on 6, 12 and 23 of these 200
    # flat runs at phi 0, 0.5 and 0.8.)
    rng = np.random.default_rng(11)
    base = approach() if start == "steep descent" else np.full(len(STEPS), 21.0)
    runs = [
        make_run({TAG: series(base * (1 + 0.02 * ar1(rng, len(STEPS), phi)))}, name=f"r{i}")
        for i in range(200)
    ]
    assert len(warnings(check(runs, "CL401"))) <= 2


def falling_by(change, steps):
    """An MAE approaching 21 from 140 whose last-quarter fall is ``change`` of the final."""
    lo, hi = 50.0, 3000.0
    for _ in range(60):
        tau = (lo + hi) / 2
        v = 21.0 + 119.0 * np.exp(-(steps - steps[0]) / tau)
        moved = (np.interp(0.75 * steps[-1], steps, v) - v[-1]) / v[-1]
        lo, hi = (tau, hi) if moved < change else (lo, tau)
    return v


def test_still_falling_is_caught_at_one_percent_noise():
    # A 5% fall over the last quarter, 1% white eval noise, 100 evals: caught nearly always.
    steps = np.arange(20, 2001, 20)
    rng = np.random.default_rng(3)
    runs = [
        make_run({TAG: series(noisy(falling_by(0.05, steps), rng, 0.01), steps)}, name=f"r{i}")
        for i in range(50)
    ]
    fired = warnings(check(runs, "CL401"))
    assert len(fired) >= 45
    assert all(f.data["change"] < 0 and "still falling" in f.message for f in fired)


def test_few_evals_need_a_larger_change_to_call_it_a_trend():
    # 20 evals cannot tell 1% white noise from noise whose evals wander together, so a 5% fall
    # is "cannot tell" (info) while a 15% fall is a warning.
    steps = np.arange(100, 2001, 100)
    pattern = np.random.default_rng(4).standard_normal(len(steps))
    for change, severity in ((0.05, "INFO"), (0.15, "WARNING")):
        values = falling_by(change, steps) * np.exp(0.01 * pattern)
        (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
        assert finding.severity.name == severity, change


def test_endpoint_outliers_do_not_fire(write_run):
    # A noisy pair of endpoints would "show" a 15% drop; the robust slope ignores them.
    values = noisy(approach(), np.random.default_rng(11), 0.003)
    values[-13] *= 1.15
    values[-1] *= 0.97
    assert check(write_run({TAG: series(values)}), "CL401") == []


def test_rel_tol_param_is_honoured():
    run = make_run({TAG: series(approach(tau=900.0))})
    assert check(run, "CL401", params={"CL401": {"rel_tol": 0.5}}) == []


def test_too_few_evals_says_so_at_info():
    run = make_run({TAG: {40: 100.0, 80: 50.0, 120: 30.0}})
    (finding,) = check(run, "CL401")
    assert finding.severity.name == "INFO"
    assert finding.data["evals"] == 3
    assert "too few" in finding.message


def test_too_few_flat_evals_are_silent():
    run = make_run({TAG: series(np.full(15, 21.0), STEPS[:15])})
    assert check(run, "CL401") == []


@pytest.mark.parametrize(("evals", "judged"), [(15, False), (16, True)])
def test_min_points_boundary(evals, judged):
    # A clean 10% fall over the last quarter: judged (a warning) from min_points evals on.
    steps = np.arange(1, evals + 1) * 100
    values = 21.0 * np.exp(0.4 * (1 - steps / steps[-1]))
    (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
    assert (finding.severity.name == "WARNING") == judged
    assert ("too few" in finding.message) != judged


def log_quadratic(change, n=40):
    """A noiseless MAE whose log is a quadratic in the step, falling by ``change`` (relative to
    the final value) over the last quarter, so the fit is exact and the change known."""
    steps = np.arange(1, n + 1) * 50.0
    u = steps / steps[-1]
    slope = -np.log1p(change) / 0.25  # log falls linearly in the step
    return steps, 21.0 * np.exp(slope * (u - 1))


@pytest.mark.parametrize(("change", "fires"), [(0.0198, False), (0.0202, True)])
def test_rel_tol_boundary(change, fires):
    steps, values = log_quadratic(change)
    # The value a quarter ago is final * (1 + change): final - that = -change * final.
    findings = check(make_run({TAG: series(values, steps)}), "CL401")
    assert bool(warnings(findings)) == fires


@pytest.mark.parametrize(("evals", "factor"), [(40, 1.0), (16, 1.3)])
def test_noise_widths_boundary(evals, factor):
    # The fitted change must clear NOISE_WIDTHS times the bar's factor (1.3 for a noise
    # estimated from 10 dof: 16 evals) of its own sd: scale a fixed noise pattern so the change
    # sits just below, then just above, that bar.
    from coordlint.rules.cl401_bin_mae_not_converged import NOISE_WIDTHS, last_quarter_trend

    steps, clean = log_quadratic(0.06, n=evals)
    pattern = np.random.default_rng(5).standard_normal(len(steps))

    def z(scale):
        values = clean * np.exp(scale * pattern)
        trend = last_quarter_trend(steps, values)
        noise, judged_factor = trend.noise()
        assert judged_factor == factor
        return abs(trend.log_change) / (factor * noise.contrast_sd(trend.weights)), values

    lo, hi = 1e-4, 0.2
    for _ in range(60):  # the noise scale at which the change is exactly NOISE_WIDTHS sds
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if z(mid)[0] > NOISE_WIDTHS else (lo, mid)
    for scale, fires in ((lo * 0.98, True), (hi * 1.02, False)):
        _, values = z(scale)
        (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
        assert (finding.severity.name == "WARNING") == fires, scale


@pytest.mark.parametrize(
    ("dof", "row"), [(1, 0), (10, 0), (11, 1), (14, 1), (15, 2), (130, 9), (131, 10), (10**9, 10)]
)
def test_the_noise_is_judged_by_the_row_of_its_degrees_of_freedom(dof, row):
    from coordlint.rules.cl401_bin_mae_not_converged import PHI_INTERVALS, judged_at

    assert judged_at(dof) == PHI_INTERVALS[row][1:]


def test_missing_tag_is_not_applicable(write_run, outcomes):
    run = write_run({"eval/loss": series(np.linspace(2, 1, 50))})
    assert outcomes(run, "CL401")["run"].status == "skipped"


def test_resumed_run_latest_write_wins_clean(resumed_run):
    # The first attempt was still falling at step 2000; the resume from step 1000 rewrote the
    # second half with a converged curve.
    late = STEPS[STEPS >= 1000]
    run = resumed_run(
        {TAG: series(approach(tau=900.0))}, {TAG: series(np.full(len(late), 21.0), late)}
    )
    assert run.rewritten.get(TAG, 0) > 0
    assert check(run, "CL401") == []


def test_resumed_run_trend_after_resume_fires(resumed_run):
    late = STEPS[STEPS >= 1400]
    rising = np.linspace(21.0, 26.0, len(late))
    run = resumed_run({TAG: series(approach())}, {TAG: series(rising, late)})
    assert run.rewritten.get(TAG, 0) > 0
    (finding,) = check(run, "CL401")
    assert finding.data["final"] == pytest.approx(26.0, rel=1e-6)
    assert finding.data["change"] > 0


def test_min_points_cannot_go_below_what_the_noise_estimate_needs():
    steps = np.arange(1, 16) * 100
    values = 21.0 * np.exp(0.4 * (1 - steps / steps[-1]))
    run = make_run({TAG: series(values, steps)})
    (finding,) = check(run, "CL401", params={"CL401": {"min_points": 4}})
    assert finding.severity.name == "INFO" and "it takes 16" in finding.message


def test_non_positive_values_are_not_judged():
    values = approach(tau=900.0)
    values[-1] = 0.0
    assert check(make_run({TAG: series(values)}), "CL401") == []


def quarter(finding):
    """The message's ``change bins (relative) over the last quarter (steps a–b`` part."""
    change, final = finding.data["change"], finding.data["final"]
    return f"{change:+.3g} bins ({change / final:+.1%}) over the last quarter"


def test_the_falling_message_names_the_change_the_steps_and_the_advice():
    steps, values = log_quadratic(0.1)  # 10% higher a quarter ago: still falling
    (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
    data = finding.data
    assert finding.message == (
        f"{TAG} is still falling: {quarter(finding)} (steps 1500–2000; eval noise "
        f"±{data['noise']:.1%}), final 21: train longer (or lower the LR later) before "
        "comparing this run's end"
    )
    assert (finding.tag, finding.step) == (TAG, 2000)
    assert set(data) == {"final", "change", "noise", "phi"}
    assert data["change"] == pytest.approx(21.0 - 23.1, rel=1e-6)
    assert finding.series is not None and len(finding.series) == len(steps)


def test_the_rising_message_points_at_the_schedule():
    steps, values = log_quadratic(-0.1)  # 10% lower a quarter ago: rising
    (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
    assert finding.message == (
        f"{TAG} is rising: {quarter(finding)} (steps 1500–2000; eval noise "
        f"±{finding.data['noise']:.1%}), final 21: the coordinates are getting worse late in "
        "training: check the LR schedule"
    )
    assert finding.data["change"] == pytest.approx(21.0 - 18.9, rel=1e-6)


def needed(values, steps, data):
    """The change the rule would call, from its own fit, the judged noise and the bar."""
    trend = last_quarter_trend(steps, values)
    _, factor = judged_at(trend.profile.dof)
    bar = NOISE_WIDTHS * factor * Noise(data["noise"], data["phi"]).contrast_sd(trend.weights)
    return abs(np.expm1(np.sign(trend.log_change) * bar))


def test_the_too_noisy_message_gives_the_noise_and_the_change_it_would_call():
    steps, clean = log_quadratic(0.1)
    pattern = np.random.default_rng(2).standard_normal(len(steps))
    values = clean * np.exp(0.08 * pattern)  # 8% noise: a 10% trend does not clear it
    (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
    data = finding.data
    assert finding.severity.name == "INFO"
    assert data["needed"] == pytest.approx(needed(values, steps, data), rel=1e-12)
    assert data["needed"] > abs(data["change"] / data["final"]) > 0.02
    assert finding.message == (
        f"{TAG} moved {quarter(finding)} (steps 1500–2000), within its eval noise "
        f"(±{data['best_noise']:.1%} at its best fit, up to ±{data['noise']:.1%} with consecutive "
        f"evals correlated up to {data['phi']:.2f}, which 40 evals cannot rule out): it takes a "
        f"change of {data['needed']:.1%} to call a trend, so the evals cannot tell whether it "
        f"has converged (more evals would); final {data['final']:.4g}"
    )
    assert data["noise"] > data["best_noise"] > 0.05 and 0 <= data["best_phi"] < data["phi"]
    assert (finding.step, finding.tag) == (2000, TAG)
    assert finding.series is not None and finding.series.to_numpy() == pytest.approx(values)


def falling_20pct_a_run(evals, seed):
    steps = np.linspace(2000 / evals, 2000, evals).round()
    noise = np.random.default_rng(seed).standard_normal(len(steps))
    return steps, 21 * np.exp(0.20 * (1 - steps / 2000)) * np.exp(0.01 * noise)


def test_a_change_beyond_the_best_fit_noise_says_the_evals_cannot_rule_out_a_wander():
    # 24 evals of 1% white noise around a 5% fall: a trend against the best-fit (white) noise,
    # an ordinary wander if consecutive evals were correlated, which 24 evals cannot exclude.
    steps, values = falling_20pct_a_run(24, 0)
    (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
    data = finding.data
    assert finding.severity.name == "INFO"
    assert finding.message == (
        f"{TAG} moved {quarter(finding)} (steps 1500–2000), beyond its best-fit eval noise but "
        f"not the noisiest the evals allow (±{data['best_noise']:.1%} at its best fit, up to "
        f"±{data['noise']:.1%} with consecutive evals correlated up to {data['phi']:.2f}, which "
        f"24 evals cannot rule out): it takes a change of {data['needed']:.1%} to call a trend, "
        f"so the evals cannot tell whether it has converged (more evals would); final "
        f"{data['final']:.4g}"
    )
    assert data["needed"] == pytest.approx(needed(values, steps, data), rel=1e-12)
    assert data["best_phi"] < 0.2 < 0.8 < data["phi"]


def test_with_the_fewest_evals_it_says_the_bar_is_widened():
    steps, values = falling_20pct_a_run(16, 0)
    (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
    assert finding.severity.name == "INFO"
    assert judged_at(last_quarter_trend(steps, values).profile.dof)[1] > 1.0
    assert ", which 16 evals cannot rule out and pin down only roughly): " in finding.message
    assert finding.data["needed"] == pytest.approx(needed(values, steps, finding.data), rel=1e-12)


WEIGHTS = np.array([1.0])


def cannot_tell(log_change, profile, bar=None):
    trend = Trend(log_change, WEIGHTS, profile)
    data = {"final": 20.0, "change": -1.0, "noise": 0.02, "phi": 0.5}
    if bar is None:  # the plain bar at the judged noise
        bar = NOISE_WIDTHS * Noise(0.02, 0.5).contrast_sd(WEIGHTS)
    return _cannot_tell(TAG, None, trend, "m", Noise(0.02, 0.5), bar, data, 16, 900)


PROFILE = NoiseProfile(np.array([0.0, 0.5]), np.array([0.01, 0.02]), np.array([3.0, 4.0]), 20)


def test_the_best_fit_bar_is_the_boundary_between_the_two_reasons():
    at = NOISE_WIDTHS * Noise(0.01, 0.0).contrast_sd(WEIGHTS)
    assert "within its eval noise" in cannot_tell(at, PROFILE).message
    assert "beyond its best-fit" in cannot_tell(np.nextafter(at, 1.0), PROFILE).message
    assert "beyond its best-fit" in cannot_tell(-np.nextafter(at, 1.0), PROFILE).message


def test_the_change_it_would_call_follows_the_direction_and_the_widest_noise_is_named():
    rising, falling = cannot_tell(0.01, PROFILE, 0.06), cannot_tell(-0.01, PROFILE, 0.06)
    assert rising.data["needed"] == pytest.approx(np.expm1(0.06), rel=1e-12)
    assert falling.data["needed"] == pytest.approx(-np.expm1(-0.06), rel=1e-12)
    assert (rising.step, rising.tag, rising.severity.name) == (900, TAG, "INFO")
    assert rising.data["best_noise"] == 0.01 and rising.data["best_phi"] == 0.0
    plain = cannot_tell(0.01, PROFILE)
    assert (
        "(±1.0% at its best fit, up to ±2.0% with consecutive evals correlated up to 0.50, "
        "which 16 evals cannot rule out): it takes a change of 5.1% to call" in plain.message
    )


def test_a_widened_bar_is_said_once_it_exceeds_the_plain_one():
    plain = NOISE_WIDTHS * Noise(0.02, 0.5).contrast_sd(WEIGHTS)
    assert "roughly" not in cannot_tell(0.01, PROFILE, plain).message
    assert "roughly" not in cannot_tell(0.01, PROFILE, plain * (1 + 1e-10)).message
    assert "roughly" not in cannot_tell(0.01, PROFILE, plain * (1.0 + 1e-9)).message
    assert (
        "rule out and pin down only roughly)" in cannot_tell(0.01, PROFILE, plain * 1.001).message
    )
    same = NoiseProfile(np.array([0.5]), np.array([0.02]), np.array([3.0]), 20)
    assert "(±2.0% at its best fit):" in cannot_tell(0.01, same).message
    assert "(±2.0% at its best fit, which 16 evals pin down only roughly):" in (
        cannot_tell(0.01, same, plain * 1.3).message
    )


def test_the_too_few_message_gives_the_move_and_the_evals_needed():
    run = make_run({TAG: {100: 30.0, 200: 25.0, 300: 22.0, 400: 20.0}})
    (finding,) = check(run, "CL401")
    # a quarter before the end is step 300: 22.0; final 20.0 moved -10%
    assert finding.message == (
        f"{TAG} moved -10.0% over the last quarter of the run, but 4 evals are too few to tell "
        "a trend from eval noise (it takes 16); final 20"
    )
    assert finding.data == {"final": 20.0, "change": -2.0, "evals": 4}
    assert (finding.step, finding.tag) == (400, TAG)
    assert finding.series.to_list() == [30.0, 25.0, 22.0, 20.0]


def test_two_evals_are_judged_as_too_few_and_one_is_not():
    (finding,) = check(make_run({TAG: {100: 30.0, 200: 20.0}}), "CL401")
    assert finding.severity.name == "INFO" and finding.data["evals"] == 2
    assert check(make_run({TAG: {100: 30.0}}), "CL401") == []


def test_a_noiseless_trend_is_judged_against_no_noise():
    # Exact float64 values of a log-quadratic: the quadratics leave no scatter at all.
    steps, values = log_quadratic(0.05)
    (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
    assert finding.severity.name == "WARNING"
    assert (finding.data["noise"], finding.data["phi"]) == (0.0, 0.0)
    assert (finding.step, finding.tag) == (2000, TAG)
    assert finding.series.to_numpy() == pytest.approx(values)


def test_a_rise_of_under_one_bin_is_a_rise():
    steps, values = log_quadratic(-0.03)  # final 21, 0.6 bins above a quarter earlier
    (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
    assert 0 < finding.data["change"] < 1
    assert "is rising" in finding.message


def test_an_mae_under_one_bin_is_judged():
    steps, values = log_quadratic(0.05)
    (finding,) = check(make_run({TAG: series(values / 30.0, steps)}), "CL401")
    assert finding.severity.name == "WARNING" and finding.data["final"] < 1


def test_the_steps_start_at_the_first_eval_when_it_is_inside_the_last_quarter():
    steps = np.arange(1510, 2001, 10)  # a piece of a run: every eval is in its last quarter
    values = 21.0 * np.exp(0.2 * (2000 - steps) / 490)
    (finding,) = check(make_run({TAG: series(values, steps)}), "CL401")
    assert "(steps 1510–2000" in finding.message


def test_a_short_run_moving_exactly_rel_tol_is_quiet():
    # 0.5 of 25: the last quarter moved exactly 2%
    run = make_run({TAG: {100: 30.0, 200: 25.5, 300: 25.5, 400: 25.0}})
    assert check(run, "CL401") == []
    assert len(check(run, "CL401", params={"CL401": {"rel_tol": 0.0199}})) == 1


def test_the_newer_block_is_preferred():
    steps, values = log_quadratic(0.1)
    other = "eval/coord_softce_w1/expected_bin_mae"
    run = make_run({other: series(values, steps), TAG: series(np.full(40, 21.0), steps)})
    assert [f.tag for f in check(run, "CL401")] == [other]
