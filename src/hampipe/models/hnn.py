"""Hamiltonian neural networks (Greydanus, Dzamba & Yosinski 2019)."""

from __future__ import annotations

import numpy as np

from hampipe.models.base import METHODS, Batch, Method


def central_differences(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Second-order central differences (x_{i+1} − x_{i−1}) / (t_{i+1} − t_{i−1}).

    Spring study (seed 001, Eq. 5). ``x`` has shape ``(trajectory, time, dof)``; the
    result covers the interior points, shape ``(trajectory, time − 2, dof)``.
    """
    span = (t[2:] - t[:-2])[None, :, None]
    return (x[:, 2:] - x[:, :-2]) / span


@METHODS.register("hnn")
class HNN(Method):
    """HNN: match the learned vector field to observed time derivatives.

    Loss (Greydanus et al. 2019, Eq. 2; spring study Eq. 3), averaged over examples:
    ‖∂H_θ/∂p − dq/dt‖² + ‖∂H_θ/∂q + dp/dt‖², the time derivatives estimated from the
    trajectories by second-order central differences at interior observation times
    (the true vector field is never used).
    """

    def _examples(self, train, sai):
        t = train.time.values
        q, p = train.q.values, train.p.values
        dof = q.shape[-1]
        return {
            "q": self.tensor(q[:, 1:-1].reshape(-1, dof)),
            "p": self.tensor(p[:, 1:-1].reshape(-1, dof)),
            "dq_dt": self.tensor(central_differences(q, t).reshape(-1, dof)),
            "dp_dt": self.tensor(central_differences(p, t).reshape(-1, dof)),
        }

    def _loss(self, batch: Batch):
        q, p = batch["q"], batch["p"]
        dq = self.model.dH_dp(q, p) - batch["dq_dt"]
        dp = self.model.dH_dq(q, p) + batch["dp_dt"]
        return ((dq**2).sum(-1) + (dp**2).sum(-1)).mean()
