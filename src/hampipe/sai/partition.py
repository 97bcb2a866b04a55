"""Stiff/nonstiff classification of intervals and the resampling of stiff ones."""

from __future__ import annotations

import warnings

import numpy as np

from hampipe.core.choices import RANKINGS

__all__ = ["RANKINGS", "replicate_stiff", "stiff_mask"]


def stiff_mask(sai: np.ndarray, gamma: float, ranking: str = "trajectory") -> np.ndarray:
    """Mark the top-γ intervals by SAI as stiff (SANN paper §3.1).

    The intervals whose SAI lies above the (1 − γ) quantile are stiff. With
    ``ranking="trajectory"`` each trajectory is ranked on its own (SANN Appendix B/G:
    the classification relies only on the ranking of SAI within a trajectory, which
    makes it insensitive to coordinate translations); with ``"dataset"`` all intervals
    are ranked together. Each trajectory (or the data set) gets round(γ · count) stiff
    intervals; ties are broken by position.

    Parameters
    ----------
    sai
        Shape ``(trajectory, interval)``.
    gamma
        Stiff ratio γ in [0, 1).

    Returns
    -------
    numpy.ndarray
        Boolean mask of shape ``(trajectory, interval)``.
    """
    if not 0 <= gamma < 1:
        raise ValueError(f"stiff ratio gamma must lie in [0, 1), got {gamma}")
    if ranking not in RANKINGS:
        raise ValueError(f"unknown ranking {ranking!r}; valid: {', '.join(RANKINGS)}")
    sai = np.asarray(sai, dtype=np.float64)
    if not np.isfinite(sai).all():
        raise ValueError("SAI is not finite everywhere (a state with zero norm?)")
    rows = sai if ranking == "trajectory" else sai.reshape(1, -1)
    n_stiff = int(round(gamma * rows.shape[1]))
    if gamma > 0 and n_stiff == 0:
        warnings.warn(
            f"stiff ratio gamma={gamma} marks no interval stiff among {rows.shape[1]} "
            f"per {ranking}; every interval is treated as nonstiff",
            stacklevel=2,
        )
    mask = np.zeros(rows.shape, dtype=bool)
    if n_stiff:
        order = np.argsort(-rows, axis=1, kind="stable")[:, :n_stiff]
        np.put_along_axis(mask, order, True, axis=1)
    return mask.reshape(sai.shape)


def replicate_stiff(indices: np.ndarray, stiff: np.ndarray, replication: int) -> np.ndarray:
    """Resampling (SANN §3.2): repeat each stiff interval ``replication`` times in total.

    ``indices`` enumerates intervals, ``stiff`` is the matching boolean mask. Returns the
    indices with every stiff one present K = ``replication`` times and every nonstiff
    one once, so a typical K ≈ (1 − γ)/γ balances the two classes.
    """
    if replication < 1:
        raise ValueError(f"replication K must be >= 1, got {replication}")
    counts = np.where(np.asarray(stiff, bool), replication, 1)
    return np.repeat(np.asarray(indices), counts)
