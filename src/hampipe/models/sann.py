"""Stiffness-aware neural network (Liang, Huang & Zhang, ICLR 2022)."""

from __future__ import annotations

import numpy as np

from hampipe.models.intervals import IntervalMethod
from hampipe.models.registry import METHODS
from hampipe.sai import replicate_stiff, stiff_mask


@METHODS.register("sann")
class SANN(IntervalMethod):
    """SANN: integrate every observed interval in S sub-steps and match the next state.

    1. The intervals of the training split are ranked by SAI (SANN Eq. 5); the top γ
       are stiff (§3.1, ``gamma``, ``ranking``).
    2. Each interval [t_i, t_{i+1}] is integrated from the observed state with the
       learned H_θ in S sub-steps of size (t_{i+1} − t_i)/S (Eq. 6), S =
       ``partitions.stiff`` for stiff and ``partitions.nonstiff`` for nonstiff
       intervals, with the ``integrator`` (leapfrog, Appendix C; explicit Euler for the
       general model, Appendix H).
    3. The loss is the mean over intervals of ‖p̂_{i+1} − p_{i+1}‖² + ‖q̂_{i+1} − q_{i+1}‖²
       (Eq. 7).
    4. Every stiff interval appears K = ``replication`` times in an epoch (§3.2).
    """

    def _stiff(self, train, sai) -> np.ndarray:
        n_traj, n_time = train.sizes["trajectory"], train.sizes["time"]
        if sai.attrs.get("system") != train.attrs.get("system"):
            raise ValueError(
                f"SAI annotation is for system {sai.attrs.get('system')!r}, "
                f"the training split for {train.attrs.get('system')!r}"
            )
        if sai.sai.shape != (n_traj, n_time - 1):
            raise ValueError(
                f"SAI shape {sai.sai.shape} does not match the training split "
                f"({n_traj} trajectories, {n_time - 1} intervals)"
            )
        return stiff_mask(sai.sai.values, self.settings.gamma, self.settings.ranking)

    def _substeps(self, train, sai):
        parts = self.settings.partitions
        return np.where(self._stiff(train, sai), parts.stiff, parts.nonstiff)

    def _resample(self, index, train, sai):
        stiff = self._stiff(train, sai).ravel()
        picked = replicate_stiff(index, stiff[index], self.settings.replication)
        return {"index": picked, "stiff": stiff}
