"""Synthetic evaluations of a two-body test split, for the collect/figure/table tests."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from hampipe.systems import make_system

#: method → (learner, settings, relative error of its rollouts, epochs trained)
RUNS = {
    "hnn": ("hnn", {"model": "separable", "epochs": 5}, 0.05, 5),
    "srnn": ("srnn", {"model": "separable", "epochs": 4}, 0.02, 4),
    "sann": ("sann", {"model": "separable", "epochs": 4, "replication": 8}, 0.01, 4),
    "sann_k1": ("sann", {"model": "separable", "epochs": 4, "replication": 1}, 0.03, 4),
}
SEEDS = 2


def fake_evaluation(
    test: xr.Dataset,
    method: str,
    seed: int,
    error: float,
    epochs: int,
    diverge: dict[int, int] | None = None,
):
    """An evaluation file's content: the truth perturbed by a growing relative error.

    ``diverge`` maps trajectories to the time index from which their rollout is NaN.
    """
    system = make_system(test.attrs["system"], parameters=json.loads(test.attrs["parameters"]))
    growth = 1 + error * (1 + seed) * np.linspace(0, 1, test.sizes["time"])[None, :, None]
    q, p = test.q.values * growth, test.p.values * growth
    for trajectory, first in (diverge or {}).items():
        q[trajectory, first:] = p[trajectory, first:] = np.nan
    n, t, d = q.shape
    with np.errstate(invalid="ignore"):
        H = system.hamiltonian(q.reshape(-1, d), p.reshape(-1, d)).reshape(n, t)
    bad = ~np.isfinite(q).all(-1)
    flags = bad.any(-1)
    when = np.where(flags, test.time.values[np.argmax(bad, axis=-1)], np.nan)
    dims2 = ("trajectory", "time")
    return xr.Dataset(
        {
            "q_pred": (("trajectory", "time", "dof"), q),
            "p_pred": (("trajectory", "time", "dof"), p),
            "mse": (dims2, 0.5 * ((q - test.q.values) ** 2 + (p - test.p.values) ** 2).mean(-1)),
            "energy_pred": (dims2, H, {"units": test.energy.attrs.get("units", "1")}),
            "energy_error": (dims2, (H - H[:, :1]) / np.abs(H[:, :1])),
            "derivative_mse": ("trajectory", error * (1 + seed) * (1 + np.arange(n))),
            "energy_mse": ("trajectory", np.mean((H - H[:, :1]) ** 2, axis=-1)),
            "diverged": ("trajectory", flags.astype(np.int8)),
            "diverged_time": ("trajectory", when),
            "train_loss": ("epoch", np.geomspace(1.0, error, epochs)),
            "epoch_seconds": ("epoch", np.full(epochs, 0.5 + seed)),
        },
        coords={k: test.coords[k] for k in ("trajectory", "time", "dof")},
        attrs={
            "system": test.attrs["system"],
            "method": method,
            "n_diverged": int(flags.sum()),
            "hampipe_version": "0.1.0",
        },
    )
