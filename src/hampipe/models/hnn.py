"""Hamiltonian neural networks (Greydanus, Dzamba & Yosinski 2019)."""

from __future__ import annotations

import numpy as np

from hampipe.core.choices import EXACT_TARGETS, TARGETS
from hampipe.models.method import Batch, Method
from hampipe.models.registry import METHODS


def central_differences(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Second-order central differences (x_{i+1} − x_{i−1}) / (t_{i+1} − t_{i−1}).

    Spring study (seed 001, Eq. 5). ``x`` has shape ``(trajectory, time, dof)``; the
    result covers the interior points, shape ``(trajectory, time − 2, dof)``.
    """
    span = (t[2:] - t[:-2])[None, :, None]
    return (x[:, 2:] - x[:, :-2]) / span


@METHODS.register("hnn")
class HNN(Method):
    """HNN: match the learned vector field to time derivatives of the trajectories.

    Loss (Greydanus et al. 2019, Eq. 2; spring study Eq. 3), averaged over examples:
    w_q ‖∂H_θ/∂p − dq/dt‖² + w_p ‖∂H_θ/∂q + dp/dt‖² (for a black-box model, the field's
    two halves in place of ±∂H_θ), at the interior observation times. ``targets``:

    - ``central_differences`` (default): second-order central differences of the
      observed trajectories; the true vector field is never used;
    - ``exact``: the true system's derivatives at the observed states (HNN's own
      synthetic tasks); the method is built with the true system (``system``);
    - ``exact_clean``: the true system's derivatives at the noise-free states the
      observations were made of, while the inputs carry the observation noise (the HNN
      paper's noisy spring and pendulum, Greydanus et al. 2019 §4; DGNet reuses it).
      The clean states are the ``q_clean``, ``p_clean`` variables that
      :func:`~hampipe.training.observations.add_noise` keeps; without noise it equals
      ``exact``.

    With ``scaling: range`` (the spring study's normalisation into [−1, 1]) the errors
    are measured in normalised units, w_q = 1/q_s², w_p = 1/p_s²; otherwise w = 1.
    """

    def _check(self):
        targets = self.settings.targets
        if targets not in TARGETS:
            raise ValueError(f"unknown HNN targets {targets!r}; valid: {', '.join(TARGETS)}")
        if targets in EXACT_TARGETS and self.system is None:
            raise ValueError(
                f"HNN targets {targets!r} are the true system's derivatives: build the method "
                "with the true system (system=...; the train stage's 'system' param)"
            )

    def _examples(self, train, sai):
        t = train.time.values
        q, p = train.q.values, train.p.values
        n_traj, n_time, dof = q.shape
        if self.settings.targets in EXACT_TARGETS:
            at_q, at_p = q, p
            if self.settings.targets == "exact_clean" and "q_clean" in train:
                at_q, at_p = train.q_clean.values, train.p_clean.values
            dq, dp = self.system.time_derivative(at_q.reshape(-1, dof), at_p.reshape(-1, dof))
            dq_dt = dq.reshape(q.shape)[:, 1:-1]
            dp_dt = dp.reshape(p.shape)[:, 1:-1]
        else:
            dq_dt, dp_dt = central_differences(q, t), central_differences(p, t)
        times = np.broadcast_to(t[None, 1:-1], (n_traj, n_time - 2))
        return {
            "q": self.tensor(q[:, 1:-1].reshape(-1, dof)),
            "p": self.tensor(p[:, 1:-1].reshape(-1, dof)),
            "t": self.tensor(times.reshape(-1, 1)),
            "dq_dt": self.tensor(dq_dt.reshape(-1, dof)),
            "dp_dt": self.tensor(dp_dt.reshape(-1, dof)),
        }

    def _loss(self, batch: Batch):
        f_q, f_p = self.model.vector_field(batch["q"], batch["p"], batch["t"])
        err_q = ((f_q - batch["dq_dt"]) ** 2).sum(-1)
        err_p = ((f_p - batch["dp_dt"]) ** 2).sum(-1)
        if self.settings.scaling == "range":
            err_q = err_q / self.model.q_scale**2
            err_p = err_p / self.model.p_scale**2
        return (err_q + err_p).mean()
