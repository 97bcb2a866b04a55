"""The paired, crossed bootstrap of method comparisons (issue 21), on cases with known
answers: an exact ratio, a coverage rate, the pairing, and the reproducible draw."""

import numpy as np
import pytest

from hampipe.plotting.uncertainty import Interval, improvement_interval, paired_ratio


def test_an_exact_ratio_has_a_zero_width_interval():
    rng = np.random.default_rng(1)
    baseline = rng.lognormal(size=(3, 40))
    interval = paired_ratio(0.5 * baseline, baseline)
    assert interval.estimate == pytest.approx(0.5)
    assert interval.low == pytest.approx(0.5) and interval.high == pytest.approx(0.5)
    gain = improvement_interval(interval)
    assert (gain.estimate, gain.low, gain.high) == pytest.approx((50.0, 50.0, 50.0))


def test_the_95_percent_interval_covers_the_true_ratio_and_stays_narrow():
    """Errors e = m · exp(seed effect + trajectory effect + noise), with ours' m half of
    the baseline's: the true ratio of means is 0.5. Over 200 simulated studies the
    interval holds it in at least 90 % of them (binomial sd 1.5 % around 95 %); the
    crossed bootstrap is conservative (resampling seeds and trajectories both counts the
    residual noise twice, McCullagh 2000), so more is allowed, but not by being wide:
    the intervals stay within ±15 % of the estimate on average."""
    rng = np.random.default_rng(7)
    hits, widths = 0, []
    studies = 200
    for _ in range(studies):
        seed_effect = rng.normal(0, 0.2, size=(5, 1))
        trajectory_effect = rng.normal(0, 0.5, size=(1, 30))
        shared = np.exp(seed_effect + trajectory_effect)
        baseline = shared * np.exp(rng.normal(0, 0.3, size=(5, 30)))
        ours = 0.5 * shared * np.exp(rng.normal(0, 0.3, size=(5, 30)))
        interval = paired_ratio(ours, baseline, resamples=400, seed=int(rng.integers(1e9)))
        hits += interval.contains(0.5)
        widths.append((interval.high - interval.low) / interval.estimate)
    assert hits / studies >= 0.9
    assert np.mean(widths) < 0.3


def test_pairing_narrows_the_interval():
    """With a large trajectory effect shared by both methods, the paired interval is
    much narrower than the same data with the baseline's trajectories shuffled."""
    rng = np.random.default_rng(3)
    shared = np.exp(rng.normal(0, 1.5, size=(1, 60)))
    baseline = shared * np.exp(rng.normal(0, 0.1, size=(3, 60)))
    ours = 0.8 * shared * np.exp(rng.normal(0, 0.1, size=(3, 60)))
    paired = paired_ratio(ours, baseline)
    unpaired = paired_ratio(ours, baseline[:, rng.permutation(60)])
    assert paired.contains(0.8)
    assert (paired.high - paired.low) < 0.3 * (unpaired.high - unpaired.low)


def test_diverged_runs_are_left_out_and_the_draw_is_reproducible():
    rng = np.random.default_rng(5)
    baseline = rng.lognormal(size=(2, 20))
    ours = 2 * baseline.copy()
    ours[0, 3] = np.nan  # a diverged rollout
    a, b = paired_ratio(ours, baseline, seed=11), paired_ratio(ours, baseline, seed=11)
    assert a == b and np.isfinite([a.low, a.high]).all()
    assert a.low <= a.estimate <= a.high


def test_shapes_must_match():
    with pytest.raises(ValueError, match="same .seed, trajectory. shape"):
        paired_ratio(np.ones((2, 3)), np.ones((3, 2)))
    assert Interval(1.0, 0.9, 1.1).contains(1.0) and not Interval(1.0, 1.05, 1.1).contains(1.0)
