"""Where stiffness awareness helps: one-interval errors binned by the interval's SAI.

The SANN paper's claim is local: SANN spends more effort (sub-steps, replication) on the
stiff intervals, those of high stiffness-aware index (SAI, SANN Eq. 5), so it should
win there. A rollout's error mixes every interval before it; the evaluation's
``interval_error`` does not (each observed interval of the test split integrated alone
from its observed start, :func:`hampipe.evaluation.interval_errors`). Here it is binned
by the interval's SAI percentile, computed on the test split with the training split's
definition (SANN's ``ranking``: within each trajectory, or over the whole split), and
split at SANN's stiff ratio γ into the top-γ ("stiff") intervals and the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from hampipe.plotting.collect import colour_of, label_of
from hampipe.plotting.figures import legend_outside, set_style
from hampipe.plotting.uncertainty import paired_ratio
from hampipe.sai import stiff_mask, stiffness_aware_index

#: Bins of the error-by-stiffness figure (deciles of the SAI percentile).
BINS = 10
#: The baselines SANN's interval errors are compared with in the ``stiffness`` table.
BASELINES = ("srnn", "hnn")


def _ranks(sai: np.ndarray, ranking: str) -> tuple[np.ndarray, int]:
    """Each interval's rank (0 the least stiff) among the intervals ranked together, and
    their number."""
    sai = np.asarray(sai, dtype=np.float64)
    rows = sai if ranking == "trajectory" else sai.reshape(1, -1)
    order = np.argsort(rows, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(rows.shape[1])[None, :], axis=1)
    return ranks.reshape(sai.shape), rows.shape[1]


def sai_percentile(sai: np.ndarray, ranking: str = "trajectory") -> np.ndarray:
    """Each interval's SAI percentile in [0, 1): its rank among the ranked intervals
    divided by their number (rank 0 the least stiff).

    ``ranking="trajectory"`` ranks within each trajectory (SANN's default, Appendix G),
    ``"dataset"`` over all intervals; ties are broken by position, as in
    :func:`hampipe.sai.stiff_mask`. ``sai`` has shape ``(trajectory, interval)``.
    """
    ranks, n = _ranks(sai, ranking)
    return ranks / n


def sai_bins(sai: np.ndarray, ranking: str = "trajectory", bins: int = BINS) -> np.ndarray:
    """The percentile bin of each interval: b where b/bins <= percentile < (b+1)/bins."""
    ranks, n = _ranks(sai, ranking)
    return (ranks * bins) // n


def sai_of_split(collected: xr.Dataset) -> np.ndarray:
    """SAI (SANN Eq. 5) of every observed interval of the collected test split."""
    return stiffness_aware_index(collected.q.values, collected.p.values, collected.time.values)


def stiff_share(collected: xr.Dataset, gamma: float, ranking: str = "trajectory") -> np.ndarray:
    """Per observed interval of the test split, the share of test trajectories inside one
    of their top-γ stiff intervals (:func:`hampipe.sai.stiff_mask` on the test split's
    SAI): when the test trajectories pass through their stiff parts."""
    return stiff_mask(sai_of_split(collected), gamma, ranking).mean(axis=0)


def errors_by_bin(collected: xr.Dataset, method: str, ranking: str, bins: int = BINS) -> np.ndarray:
    """Mean one-interval error per (seed, SAI-percentile bin) of ``method``.

    Bin b holds the intervals with percentile in [b/bins, (b+1)/bins); NaN (a diverged
    one-interval step) is left out of the means.
    """
    if "interval_error" not in collected:
        raise ValueError(
            "the collected dataset lacks 'interval_error' (collected from evaluations that "
            "did not store it): rerun evaluate and collect"
        )
    which = sai_bins(sai_of_split(collected), ranking, bins)
    errors = (
        collected.interval_error.sel({"method": method})
        .transpose("seed", "trajectory", "interval")
        .values
    )
    out = np.full((errors.shape[0], bins), np.nan)
    for b in range(bins):
        chosen = errors[:, which == b]
        with np.errstate(invalid="ignore"):
            out[:, b] = np.nanmean(np.where(np.isfinite(chosen), chosen, np.nan), axis=1)
    return out


def error_by_stiffness_figure(
    collected: xr.Dataset, methods: Sequence[str], ranking: str, gamma: float, bins: int = BINS
) -> tuple[plt.Figure, pd.DataFrame]:
    """One-interval error against the interval's SAI decile, one line per method.

    The line is the mean over seeds of each seed's mean error in the bin, the band the
    range over seeds; the shaded span is the top γ (SANN's stiff intervals).
    """
    set_style()
    fig, ax = plt.subplots(figsize=(6.6, 3.4), layout="constrained")
    centres = (np.arange(bins) + 0.5) / bins * 100
    rows = []
    for method in methods:
        per_seed = errors_by_bin(collected, method, ranking, bins)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(per_seed, axis=0)
            low, high = np.nanmin(per_seed, axis=0), np.nanmax(per_seed, axis=0)
        colour = colour_of(collected, method)
        label = label_of(collected, method)
        ax.plot(centres, mean, marker="o", ms=3, lw=1.6, color=colour, label=label)
        if per_seed.shape[0] > 1:
            ax.fill_between(centres, low, high, color=colour, alpha=0.2, lw=0)
        for b in range(bins):
            rows.append(
                {
                    "method": method,
                    "bin": b + 1,
                    "percentile_low": 100 * b / bins,
                    "percentile_high": 100 * (b + 1) / bins,
                    "mean": mean[b],
                    "seed_min": low[b],
                    "seed_max": high[b],
                    "seeds": per_seed.shape[0],
                }
            )
    if gamma > 0:
        ax.axvspan(100 * (1 - gamma), 100, color="0.85", zorder=0, lw=0, label=f"top γ = {gamma:g}")
    ax.set_yscale("log")
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"SAI percentile of the interval (ranked per {ranking})")
    ax.set_ylabel("one-interval MSE")
    system = str(collected.attrs.get("system", "")).replace("_", "-")
    ax.set_title(f"{system}: error of one observed interval by its stiffness")
    n_seed, n_traj = collected.sizes["seed"], collected.sizes["trajectory"]
    legend_outside(
        ax, f"mean over {n_traj} test trajectories\nand {n_seed} seed(s); band: range over seeds"
    )
    return fig, pd.DataFrame(rows)


def stiffness_table(
    collected: Mapping[str, xr.Dataset],
    methods: Mapping[str, Sequence[str]],
    stiffness: Mapping[str, Mapping[str, object]],
    seed: int = 0,
) -> pd.DataFrame:
    """Per system and method: the mean one-interval error on the top-γ intervals of the
    test split and on the rest (mean over seeds, with the std across seeds), and for
    SANN entries the ratio of their error to SRNN's and HNN's (the entries ``srnn`` and
    ``hnn``, else the first entry of that learner) on each part with its 95 %
    paired bootstrap interval (:func:`~hampipe.plotting.uncertainty.paired_ratio`) and
    ``..._clear``: whether that interval leaves out 1 (else the difference is inside
    the noise).

    ``stiffness`` maps each system to SANN's ``gamma`` and ``ranking`` there.
    """
    rows = []
    for system, ds in collected.items():
        gamma, ranking = float(stiffness[system]["gamma"]), str(stiffness[system]["ranking"])
        stiff = stiff_mask(sai_of_split(ds), gamma, ranking)
        parts = {"stiff": stiff, "rest": ~stiff}
        per_traj: dict[str, dict[str, np.ndarray]] = {}
        for method in methods[system]:
            errors = (
                ds.interval_error.sel({"method": method})
                .transpose("seed", "trajectory", "interval")
                .values
            )
            per_traj[method] = {}
            row = {"system": system, "method": method, "label": label_of(ds, method),
                   "gamma": gamma, "seeds": errors.shape[0]}  # fmt: skip
            for part, mask in parts.items():
                chosen = np.where(mask[None], errors, np.nan)
                with np.errstate(invalid="ignore"):
                    values = np.nanmean(chosen, axis=2)  # (seed, trajectory)
                per_traj[method][part] = values
                seeds = np.nanmean(values, axis=1)
                row[f"error_{part}"] = float(np.nanmean(seeds))
                row[f"error_{part}_std"] = (
                    float(np.nanstd(seeds, ddof=1)) if len(seeds) > 1 else float("nan")
                )
            rows.append(row)
        learners = dict(zip(ds.method.values.tolist(), ds.learner.values.tolist(), strict=True))
        for row in rows:
            if row["system"] != system or learners[row["method"]] != "sann":
                continue
            for base in BASELINES:
                # the baseline: the entry of that name, else the first of that learner
                named = [m for m in per_traj if m == base] or [
                    m for m in per_traj if learners[m] == base
                ]
                if not named:
                    continue
                for part in parts:
                    ratio = paired_ratio(
                        per_traj[row["method"]][part], per_traj[named[0]][part], seed=seed
                    )
                    row[f"ratio_to_{base}_{part}"] = ratio.estimate
                    row[f"ratio_to_{base}_{part}_low"] = ratio.low
                    row[f"ratio_to_{base}_{part}_high"] = ratio.high
                    # the difference is inside the noise when the interval holds 1
                    row[f"ratio_to_{base}_{part}_clear"] = not ratio.contains(1.0)
    return pd.DataFrame(rows)
