"""Confidence intervals for comparisons between methods: a paired, crossed bootstrap.

Two methods of one study are evaluated on the same test trajectories, and their runs of
seed i share the training noise, the validation split and the batch order; so a
comparison is *paired* by trajectory and by seed. A metric of method A and of method B
is an array ``(seed, trajectory)`` each. One bootstrap replicate draws the seeds with
replacement and, independently, the trajectories with replacement, and takes the mean
of each method's metric over the drawn grid (both methods on the same draw): a crossed
design, so that the interval reflects both the spread between training runs and the
spread between test starts. The interval is the percentile interval of the replicates
(Efron & Tibshirani 1993, ch. 13).

With one seed the seed draw is always that seed: the interval then covers the test
trajectories only, and says nothing about another training run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Replicates of a bootstrap interval, and the interval's confidence level.
RESAMPLES, LEVEL = 2000, 0.95


@dataclass(frozen=True)
class Interval:
    """A point estimate with its percentile bootstrap interval (``low`` ≤ ``high``)."""

    estimate: float
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return bool(self.low <= value <= self.high)


def _grid_means(values: np.ndarray, seeds: np.ndarray, trajectories: np.ndarray) -> np.ndarray:
    """Mean of ``values[seed, trajectory]`` over each replicate's drawn grid (NaN left out).

    ``seeds``: ``(replicate, n_seed)``, ``trajectories``: ``(replicate, n_traj)`` indices.
    """
    out = np.empty(len(seeds))
    for r, (s, t) in enumerate(zip(seeds, trajectories, strict=True)):
        block = values[np.ix_(s, t)]
        finite = np.isfinite(block)
        out[r] = block[finite].mean() if finite.any() else np.nan
    return out


def paired_ratio(
    ours: np.ndarray,
    baseline: np.ndarray,
    resamples: int = RESAMPLES,
    level: float = LEVEL,
    seed: int = 0,
) -> Interval:
    """The ratio of means, mean(ours) / mean(baseline), with its paired bootstrap interval.

    ``ours`` and ``baseline`` have shape ``(seed, trajectory)`` (the same seeds and test
    trajectories); NaN entries (diverged rollouts) are left out of the means. The
    replicates are drawn from ``seed``, so the interval is reproducible.
    """
    ours, baseline = (np.atleast_2d(np.asarray(x, dtype=np.float64)) for x in (ours, baseline))
    if ours.shape != baseline.shape:
        raise ValueError(
            f"paired values must have the same (seed, trajectory) shape: {ours.shape} and "
            f"{baseline.shape}"
        )
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    n_seed, n_traj = ours.shape
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, n_seed, size=(resamples, n_seed))
    trajectories = rng.integers(0, n_traj, size=(resamples, n_traj))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = _grid_means(ours, seeds, trajectories) / _grid_means(baseline, seeds, trajectories)
        estimate = float(np.nanmean(ours) / np.nanmean(baseline))
    finite = ratios[np.isfinite(ratios)]
    if not finite.size:
        return Interval(estimate, np.nan, np.nan)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(estimate, float(low), float(high))


def improvement_interval(ratio: Interval) -> Interval:
    """Percent by which ours is below the baseline, 100 (1 − ratio), with its interval."""
    return Interval(100 * (1 - ratio.estimate), 100 * (1 - ratio.high), 100 * (1 - ratio.low))
