"""Stiffness-aware neural network (Liang, Huang & Zhang, ICLR 2022)."""

from __future__ import annotations

import numpy as np
import torch

from hampipe.integrators import INTEGRATORS
from hampipe.models.base import METHODS, Batch, Method
from hampipe.sai import replicate_stiff, stiff_mask


@METHODS.register("sann")
class SANN(Method):
    """SANN: integrate every observed interval in S sub-steps and match the next state.

    1. The intervals of the training split are ranked by SAI (SANN Eq. 5); the top γ
       are stiff (§3.1, ``gamma``, ``ranking``).
    2. Each interval [t_i, t_{i+1}] is integrated from the observed state with the
       learned H_θ in S sub-steps of size (t_{i+1} − t_i)/S (Eq. 6), S =
       ``partitions.stiff`` for stiff and ``partitions.nonstiff`` for nonstiff
       intervals, with the ``integrator`` (leapfrog, Appendix C).
    3. The loss is the mean over intervals of ‖p̂_{i+1} − p_{i+1}‖² + ‖q̂_{i+1} − q_{i+1}‖²
       (Eq. 7).
    4. Every stiff interval appears K = ``replication`` times in an epoch (§3.2).
    """

    requires_sai = True

    def _examples(self, train, sai):
        h = self.hyperparameters
        q, p, t = train.q.values, train.p.values, train.time.values
        n_traj, n_time, dof = q.shape
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
        stiff = stiff_mask(sai.sai.values, h["gamma"], h.get("ranking", "trajectory")).ravel()
        substeps = np.where(stiff, h["partitions"]["stiff"], h["partitions"]["nonstiff"])
        index = replicate_stiff(np.arange(stiff.size), stiff, h["replication"])
        dt = np.broadcast_to(np.diff(t)[None, :], (n_traj, n_time - 1)).ravel()
        return {
            "q0": self.tensor(q[:, :-1].reshape(-1, dof)[index]),
            "p0": self.tensor(p[:, :-1].reshape(-1, dof)[index]),
            "q1": self.tensor(q[:, 1:].reshape(-1, dof)[index]),
            "p1": self.tensor(p[:, 1:].reshape(-1, dof)[index]),
            "dt": self.tensor(dt[index])[:, None],
            "substeps": torch.as_tensor(substeps[index]),
            "stiff": torch.as_tensor(stiff[index]),
        }

    def _loss(self, batch: Batch):
        integrator = INTEGRATORS.get_class(self.hyperparameters.get("integrator", "leapfrog"))(
            self.model.dH_dq, self.model.dH_dp
        )
        total = batch["q0"].new_zeros(())
        for s in torch.unique(batch["substeps"]).tolist():
            sel = batch["substeps"] == s
            q, p = integrator.integrate(batch["q0"][sel], batch["p0"][sel], batch["dt"][sel] / s, s)
            err = ((q - batch["q1"][sel]) ** 2).sum(-1) + ((p - batch["p1"][sel]) ** 2).sum(-1)
            total = total + err.sum()
        return total / batch["q0"].shape[0]
