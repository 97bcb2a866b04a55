"""The baselines' own metrics (issue 20): the learned field's error at the test states
(the HNN paper's "test loss") and the energy drift of a rollout (its "energy MSE")."""

from __future__ import annotations

import numpy as np
import torch

from hampipe.systems import HamiltonianSystem


def derivative_mse(
    model: torch.nn.Module,
    q: np.ndarray,
    p: np.ndarray,
    t: np.ndarray,
    system: HamiltonianSystem,
    q_clean: np.ndarray | None = None,
    p_clean: np.ndarray | None = None,
    chunk: int = 65536,
) -> np.ndarray:
    """Per trajectory, the learned vector field's squared error against the true one.

    The HNN paper's "test loss" (Greydanus, Dzamba & Yosinski 2019, §3 and Table 1;
    DGNet's "derivative" column): at every observed state x = (q, p) of a trajectory,
    (f_θ(x) − f(x_clean))², averaged over the trajectory's time points and the 2n
    coordinates, where f_θ is the model's field (``model.vector_field``: (∂H_θ/∂p,
    −∂H_θ/∂q) for a Hamiltonian model), f the true system's Hamilton equations, and
    ``x_clean`` the noise-free state the observation was made of (default: x itself, a
    clean test split). The mean over trajectories is the paper's mean over points, as
    every trajectory has the same number of points.

    ``q``, ``p`` (and the clean states) have shape ``(trajectory, time, dof)``, ``t``
    ``(time,)`` (time-dependent models see it); returns ``(trajectory,)``. Evaluated in
    the model's dtype and device, ``chunk`` states at a time.
    """
    q_clean = q if q_clean is None else q_clean
    p_clean = p if p_clean is None else p_clean
    n_traj, n_time, dof = q.shape
    dq_true, dp_true = system.time_derivative(q_clean.reshape(-1, dof), p_clean.reshape(-1, dof))
    param = next(model.parameters())
    times = np.broadcast_to(np.asarray(t, np.float64)[None, :, None], (n_traj, n_time, 1))
    flat = [x.reshape(-1, x.shape[-1]) for x in (q, p, times)]
    learned = []
    model.eval()
    with torch.no_grad():
        for begin in range(0, n_traj * n_time, chunk):
            args = [
                torch.as_tensor(np.array(x[begin : begin + chunk]), device=param.device).to(
                    param.dtype
                )
                for x in flat
            ]
            f_q, f_p = model.vector_field(*args)
            learned.append(torch.cat([f_q, f_p], -1).cpu().double().numpy())
    with np.errstate(over="ignore", invalid="ignore"):  # a wild model's error is inf, not a crash
        error = (np.concatenate(learned) - np.concatenate([dq_true, dp_true], -1)) ** 2
        return error.reshape(n_traj, n_time, 2 * dof).mean(axis=(1, 2))


def squared_units(units: str) -> str:
    """UDUNITS text of ``units`` squared (the units of :func:`energy_mse`): ``J`` → ``J2``,
    ``1`` → ``1``, else ``(u)2``."""
    if units == "1":
        return "1"
    return f"{units}2" if units.isalpha() else f"({units})2"


def energy_mse(H_pred: np.ndarray, H_start: np.ndarray) -> np.ndarray:
    """Per trajectory, the mean over time of (H(x̂(t)) − H(x₀))².

    The HNN paper's "energy MSE" (Greydanus et al. 2019, Table 1; DGNet's "energy"
    column): H the true Hamiltonian, x̂(t) the learned model's rollout from the test
    start x₀ (``H_pred``, shape ``(trajectory, time)``, t = 0 included), ``H_start``
    the true energy of x₀ ``(trajectory,)``. In the system's energy units squared, not
    relative: compare it only between runs of one system. NaN for a diverged rollout.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return np.mean((H_pred - np.asarray(H_start)[:, None]) ** 2, axis=-1)
