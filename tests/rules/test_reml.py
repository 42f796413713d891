"""The REML profile of a curve's AR(1) eval noise (coordlint.rules._reml)."""

from __future__ import annotations

import numpy as np
import pytest
from _noise import ar1

from coordlint.rules._curves import Noise, eval_noise
from coordlint.rules._reml import (
    SHAPE_RATIO,
    NoiseProfile,
    _residual_variance,
    noise_profile,
    settled_windows,
)


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_the_best_noise_recovers_ar1_noise_around_a_smooth_trend(phi):
    rng = np.random.default_rng(2)
    steps = np.arange(1000.0)
    trend = np.log(21.0) + 0.05 * np.sin(steps / 400)
    profile = noise_profile(trend + 0.01 * ar1(rng, len(steps), phi), 64)
    assert profile.best.sd == pytest.approx(0.01, rel=0.15)
    assert profile.best.phi == pytest.approx(phi, abs=0.08)


def test_windows_tile_back_from_the_end_and_stop_at_a_steep_descent():
    rng = np.random.default_rng(3)
    steps = np.arange(100.0)
    flat = np.log(21.0) + 0.01 * rng.standard_normal(100)
    assert settled_windows(flat, 20) == [80, 60, 40, 20, 0]
    descent = flat + np.log1p(6.0 * np.exp(-steps / 4.0))  # falls 7x over the first evals
    starts = settled_windows(descent, 20)
    assert starts[:4] == [80, 60, 40, 20]
    assert len(starts) == 5 and 0 < starts[-1] < 20  # the last window moved past the descent


def test_the_descent_barely_moves_the_noise():
    # The same 1% noise with and without a 7x descent over the first evals: within 25%, where
    # the whole-run second-difference estimate (eval_noise) comes out three times too high.
    rng = np.random.default_rng(4)
    steps = np.arange(100.0)
    noise = 0.01 * rng.standard_normal(100)
    descent = np.log(21.0) + np.log1p(6.0 * np.exp(-steps / 4.0)) + noise
    plain = noise_profile(np.log(21.0) + noise, 20).best.sd
    assert noise_profile(descent, 20).best.sd == pytest.approx(plain, rel=0.25)
    assert eval_noise(descent, 50).sd > 3 * plain


def test_the_noisiest_plausible_noise_grows_with_the_likelihood_drop():
    rng = np.random.default_rng(5)
    profile = noise_profile(np.log(21.0) + 0.01 * ar1(rng, 40, 0.5), 20)
    weights = np.linspace(-1.0, 1.0, 20) / 10
    best = profile.best
    assert profile.widest(weights, 0.0) == best
    wider = [profile.widest(weights, drop).contrast_sd(weights) for drop in (0.5, 2.0, np.inf)]
    assert best.contrast_sd(weights) <= wider[0] <= wider[1] <= wider[2]
    everything = max(
        (Noise(float(s), float(p)) for s, p in zip(profile.sds, profile.phis, strict=True)),
        key=lambda n: n.contrast_sd(weights),
    )
    assert profile.widest(weights, np.inf) == everything


def test_widest_keeps_to_the_interval_and_takes_the_first_of_equals():
    phis = np.array([0.0, 0.5, 0.9])
    profile = NoiseProfile(phis, np.array([1.0, 1.0, 1.0]), np.array([3.0, 0.0, 2.0]), 10)
    weights = np.array([1.0, 1.0])
    assert profile.best == Noise(1.0, 0.5)
    assert profile.widest(weights, 1.99) == Noise(1.0, 0.5)  # phi 0.9 is 2.0 below: outside
    assert profile.widest(weights, 2.0) == Noise(1.0, 0.9)  # at exactly the drop: inside
    flat = NoiseProfile(phis, np.array([1.0, 1.0, 1.0]), np.zeros(3), 10)
    assert flat.widest(np.array([1.0]), 0.0) == Noise(1.0, 0.0)  # one eval: all equal


def test_no_profile_without_a_window_or_scatter():
    assert noise_profile(np.zeros(10), 20) is None  # shorter than its window
    assert noise_profile(np.zeros(10), 3) is None  # a window too small for a quadratic
    x = np.arange(30.0)
    assert noise_profile(0.1 + 0.01 * x - 1e-4 * x * x, 10) is None  # a quadratic: no scatter
    assert noise_profile(np.log(21.0) + 0.01 * np.sin(x), 10).dof == 3 * (10 - 3)


def _dense_minus_2ll(windows: list[np.ndarray], phi: float) -> tuple[float, float]:
    """-2 restricted log-likelihood (sd profiled out) and the marginal sd, from dense AR(1)
    covariances: the definition the whitened computation must match."""
    rss = logdet = 0.0
    dof = 0
    for y in windows:
        m = len(y)
        u = np.arange(m) / (m - 1)
        x = np.vstack([np.ones(m), u, u * u]).T
        i = np.arange(m)
        cov = phi ** np.abs(i[:, None] - i[None, :]) / (1 - phi * phi)  # unit innovations
        inv = np.linalg.inv(cov)
        gram = x.T @ inv @ x
        beta = np.linalg.solve(gram, x.T @ inv @ y)
        r = y - x @ beta
        rss += float(r @ inv @ r)
        logdet += np.linalg.slogdet(cov)[1] + np.linalg.slogdet(gram)[1]
        dof += m - 3
    innovation = rss / dof
    return dof * np.log(innovation) + logdet, float(np.sqrt(innovation / (1 - phi * phi)))


def test_the_profile_is_the_restricted_likelihood_of_ar1_noise():
    rng = np.random.default_rng(6)
    y = np.log(21.0) + 0.01 * ar1(rng, 30, 0.6)
    profile = noise_profile(y, 10)
    assert settled_windows(y, 10) == [20, 10, 0]
    dense = [_dense_minus_2ll([y[20:], y[10:20], y[:10]], float(p)) for p in profile.phis]
    assert profile.dof == 21
    assert profile.sds == pytest.approx([sd for _, sd in dense], rel=1e-9)
    gaps = profile.minus_2ll - profile.minus_2ll[0]
    assert gaps == pytest.approx([ll - dense[0][0] for ll, _ in dense], abs=1e-8)


def test_a_window_may_be_as_short_as_four_evals_and_as_long_as_the_curve():
    rng = np.random.default_rng(7)
    y = 0.01 * rng.standard_normal(12)
    assert noise_profile(y, 4).dof == 3 * (4 - 3)
    assert noise_profile(y, 12).dof == 12 - 3


def test_a_window_steps_forward_by_an_eighth_of_its_length_past_the_descent():
    rng = np.random.default_rng(8)
    for window, step in ((16, 2), (12, 1)):
        n = 4 * window
        y = np.log(21.0) + 0.01 * rng.standard_normal(n)
        y[: window + 3] += np.log1p(6.0 * np.exp(-np.arange(window + 3) / 2.0))
        starts = settled_windows(y, window)
        moved = starts[-1]
        base = n - 4 * window  # where the unmoved earliest window would start
        assert 0 < moved - base < window and (moved - base) % step == 0, (window, starts)
        # ... and stops at the first such start a quadratic can follow
        limit = SHAPE_RATIO * _residual_variance(y[-window:])
        assert _residual_variance(y[moved : moved + window]) <= limit
        assert _residual_variance(y[moved - step : moved - step + window]) > limit


def test_no_earlier_window_when_none_settles():
    rng = np.random.default_rng(9)
    y = np.concatenate([rng.standard_normal(20), 1e-3 * rng.standard_normal(10)])
    assert settled_windows(y, 10) == [20]


def test_scatter_at_rounding_level_is_no_scatter():
    x = np.arange(20.0)
    curve = 3.0 + 0.01 * x
    wobble = np.random.default_rng(10).standard_normal(20)
    assert noise_profile(curve + 3e-13 * wobble, 10) is None
    assert noise_profile(curve + 1e-11 * wobble, 10) is not None
