"""The REML profile of a curve's AR(1) eval noise (coordlint.rules._reml)."""

from __future__ import annotations

import numpy as np
import pytest
from _noise import ar1

from coordlint.rules._curves import Noise, eval_noise
from coordlint.rules._reml import NoiseProfile, noise_profile, settled_windows


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
