"""The curve statistics the coord rules share (coordlint.rules._curves)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _noise import ar1

from coordlint.rules._curves import (
    MIN_WINDOW,
    Noise,
    _residual_lag_variance,
    after_descent,
    eval_noise,
    quadratic_fit,
    robust_sd,
    running_median,
    short_noise,
)


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_eval_noise_recovers_ar1_noise_around_a_trend(phi):
    rng = np.random.default_rng(1)
    steps = np.arange(2000.0)
    trend = np.log(21 + 120 * np.exp(-steps / 150)) + 0.05 * steps / 2000
    noise = eval_noise(trend + 0.01 * ar1(rng, len(steps), phi), 40)
    assert noise.sd == pytest.approx(0.01, rel=0.15)
    assert noise.phi == pytest.approx(phi, abs=0.1)


def test_eval_noise_needs_a_window_of_evals_and_some_scatter():
    assert eval_noise(np.zeros(MIN_WINDOW - 1), 4) is None
    assert eval_noise(np.zeros(40), 20) is None
    assert eval_noise(np.random.default_rng(0).standard_normal(MIN_WINDOW), 4) is not None


def test_contrast_sd_is_exact_for_ar1():
    w = np.array([-0.5, -0.5, 0.0, 0.0, 1.0 / 3, 1.0 / 3, 1.0 / 3])
    i = np.arange(len(w))
    cov = 0.02**2 * 0.7 ** np.abs(i[:, None] - i[None, :])
    assert Noise(0.02, 0.7).contrast_sd(w) == pytest.approx(np.sqrt(w @ cov @ w), rel=1e-9)
    assert Noise(0.02, 0.0).contrast_sd(w) == pytest.approx(0.02 * np.sqrt(w @ w), rel=1e-12)


def test_quadratic_fit_is_exact_and_ignores_one_outlier():
    x = np.linspace(100, 900, 20)
    u = (x - x[0]) / (x[-1] - x[0])
    y = 3.0 - 0.5 * u + 0.25 * u**2
    coef, solve = quadratic_fit(x, y)
    assert coef == pytest.approx([3.0, -0.5, 0.25], abs=1e-9)
    assert solve @ y == pytest.approx(coef)
    y_out = y.copy()
    y_out[7] += 5.0
    assert quadratic_fit(x, y_out)[0] == pytest.approx([3.0, -0.5, 0.25], abs=1e-6)


def test_short_noise_is_white_noise_from_second_differences():
    rng = np.random.default_rng(2)
    y = np.linspace(0, 1, 4000) + 0.03 * rng.standard_normal(4000)
    assert short_noise(y).sd == pytest.approx(0.03, rel=0.05)
    assert short_noise(y).phi == 0.0
    assert short_noise(y[:2]) is None
    # three evals are one second difference: (0 - 2 + 0) has no spread around itself
    assert short_noise(np.array([0.0, 1.0, 0.0])) == Noise(0.0, 0.0)


def test_running_median_keeps_the_end_points():
    s = pd.Series([5.0, 1.0, 3.0, 2.0, 9.0, 4.0])
    assert running_median(s, 3).tolist() == [5.0, 3.0, 2.0, 3.0, 4.0, 4.0]
    assert running_median(s.iloc[:2], 3).tolist() == [5.0, 1.0]


@pytest.mark.parametrize(
    ("smooth", "expected"),
    [
        ([10.0, 5.0, 1.9, 1.0, 1.0], 2),  # 1.9 is within 10% of the 9.0 drop of the low
        ([10.0, 5.0, 1.91, 1.0, 1.0], 3),
        ([1.0, 2.0, 3.0], 0),  # no descent
        ([0.5, 0.2, 0.1], 2),  # a drop smaller than 1 is a drop
    ],
)
def test_after_descent(smooth, expected):
    assert after_descent(np.array(smooth)) == expected


def test_robust_sd_ignores_outliers():
    x = np.r_[np.random.default_rng(3).standard_normal(1000), [1e6] * 10]
    assert robust_sd(x) == pytest.approx(1.0, rel=0.1)
    assert robust_sd(np.array([])) == 0.0


@pytest.mark.parametrize(("window", "lags"), [(8, 2), (11, 3)])
def test_the_expected_lag_variances_are_those_of_ar1_noise_after_a_quadratic_fit(window, lags):
    """Re-derived with explicit second-difference weights: var(w . r) = w' R S R' w for the
    fit's residual map R and AR(1) covariance S, averaged over the centres."""
    x = np.arange(window, dtype=float)
    design = np.vstack([np.ones(window), x, x * x]).T
    residual = np.eye(window) - design @ np.linalg.pinv(design)
    table = _residual_lag_variance(window, lags)
    assert table.shape == (37, lags)
    for row, phi in ((0, 0.0), (20, 0.5), (36, 0.9)):
        cov = residual @ (phi ** np.abs(x[:, None] - x[None, :])) @ residual.T
        for k in range(1, lags + 1):
            variances = []
            for c in range(k, window - k):
                w = np.zeros(window)
                w[c + k], w[c], w[c - k] = 1.0, -2.0, 1.0
                variances.append(w @ cov @ w)
            assert table[row, k - 1] == pytest.approx(np.log(np.mean(variances)), rel=1e-9)
