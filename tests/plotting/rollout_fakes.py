"""Synthetic collected datasets with known answers, for the rollout figure tests."""

from __future__ import annotations

import numpy as np
import xarray as xr

COLOURS = {"sann": "#0173b2", "hnn": "#de8f05", "ode": "#029e73"}
LABELS = {"sann": "SANN", "hnn": "HNN", "ode": "ODE"}


def _collected(q, p, q_pred, p_pred, energy, h_pred, time, dof, attrs) -> xr.Dataset:
    """A collected dataset from arrays: truth (traj, time, dof), predictions (method, seed, …)."""
    methods = list(LABELS)[: q_pred.shape[0]]
    mse = np.concatenate([(q_pred - q) ** 2, (p_pred - p) ** 2], -1).mean(-1)
    with np.errstate(invalid="ignore"):
        energy_error = (h_pred - h_pred[..., :1]) / np.abs(h_pred[..., :1])
    d3, d5, d4 = (
        ("trajectory", "time", "dof"),
        ("method", "seed", "trajectory", "time", "dof"),
        ("method", "seed", "trajectory", "time"),
    )
    return xr.Dataset(
        {
            "q": (d3, q, {"units": "m"}),
            "p": (d3, p, {"units": "kg m s-1"}),
            "energy": (("trajectory", "time"), energy, {"units": "J"}),
            "q_pred": (d5, q_pred),
            "p_pred": (d5, p_pred),
            "mse": (d4, mse),
            "energy_error": (d4, energy_error),
            "true_energy_pred": (d4, h_pred),
        },
        coords={
            "method": methods,
            "seed": np.arange(q_pred.shape[1]),
            "trajectory": np.arange(q.shape[0]),
            "time": time,
            "dof": dof,
            "label": ("method", [LABELS[m] for m in methods]),
            "colour": ("method", [COLOURS[m] for m in methods]),
        },
        attrs=attrs,
    )


def circles(phase_rate, n_traj=3, seeds=2, n_time=41, diverge_method=None, diverge_at=25):
    """Two bodies on opposite points of the unit circle, ω = 1, m = 1.

    Method k runs at angular rate ω (1 + phase_rate[k]) (a known phase drift) and on a
    radius 1 + phase_rate[k] (so its energy is off too). ``diverge_method`` turns into
    NaN from time index ``diverge_at`` on, for every seed and trajectory.
    """
    time = np.linspace(0.0, 4.0, n_time)
    phase0 = np.linspace(0, np.pi, n_traj)[:, None]

    def state(rate, radius):
        angle = phase0 + rate * time[None, :]  # (traj, time)
        q = np.stack([radius * np.cos(angle), radius * np.sin(angle)], -1)
        v = np.stack([-radius * rate * np.sin(angle), radius * rate * np.cos(angle)], -1)
        return np.concatenate([q, -q], -1), np.concatenate([v, -v], -1)

    def hamiltonian(q, p):
        return (p**2).sum(-1) / 2 - 2.0  # a bound orbit: H = -1 on the truth

    q, p = state(1.0, 1.0)
    preds = [state(1.0 + e, 1.0 + e) for e in phase_rate]
    q_pred = np.stack([np.stack([qp] * seeds) for qp, _ in preds])
    p_pred = np.stack([np.stack([pp] * seeds) for _, pp in preds])
    if diverge_method is not None:
        q_pred[diverge_method, :, :, diverge_at:] = np.nan
        p_pred[diverge_method, :, :, diverge_at:] = np.nan
    return _collected(
        q,
        p,
        q_pred,
        p_pred,
        hamiltonian(q, p),
        hamiltonian(q_pred, p_pred),
        time,
        ["x1", "y1", "x2", "y2"],
        {"system": "two_body", "spatial_dim": 2, "bodies": 2},
    )


def spring(n_traj=2, seeds=1, n_time=31):
    """k = m = 1 spring, H = (q² + p²)/2; the methods have frequency errors 2 % and 10 %."""
    time = np.linspace(0.0, 3.0, n_time)
    amp = np.arange(1, n_traj + 1)[:, None]

    def state(rate):
        return (amp * np.cos(rate * time))[..., None], (-amp * np.sin(rate * time))[..., None]

    q, p = state(1.0)
    preds = [state(r) for r in (1.02, 1.1)]
    q_pred = np.stack([np.stack([a] * seeds) for a, _ in preds])
    p_pred = np.stack([np.stack([b] * seeds) for _, b in preds]) * 1.01
    h = (q[..., 0] ** 2 + p[..., 0] ** 2) / 2
    h_pred = (q_pred[..., 0] ** 2 + p_pred[..., 0] ** 2) / 2
    return _collected(
        q,
        p,
        q_pred,
        p_pred,
        h,
        h_pred,
        time,
        ["x"],
        {"system": "spring", "spatial_dim": 0, "bodies": 0},
    )


def same(a, b):
    np.testing.assert_array_equal(np.asarray(a, float), np.asarray(b, float))


def check_lines_against_table(fig, table, coords):
    """Every data line's points are the table's rows for that line, and nothing more."""
    seen = 0
    for ax in fig.axes:
        for line in ax.get_lines():
            gid = line.get_gid()
            if gid is None or gid.startswith("start/"):
                continue  # start markers repeat a line's first point
            parts = gid.split("/")
            if parts[0] == "energy":
                rows = table[table.panel == "energy"]
                rows = (
                    rows[rows.source == "true"]
                    if parts[1] == "true"
                    else rows[(rows.source == "predicted") & (rows.method == parts[1])]
                )
                same(line.get_xdata(), rows.time)
                same(line.get_ydata(), rows.value)
            else:
                panel, method, source, item = parts
                key = "body" if panel == "orbit" else "dof"
                item = int(item) if key == "body" else item
                rows = table[
                    (table.panel == panel)
                    & (table.method == method)
                    & (table.source == source)
                    & (table[key] == item)
                ]
                same(line.get_xdata(), rows[coords[0]])
                same(line.get_ydata(), rows[coords[1]])
            assert len(rows) > 0
            seen += len(rows)
    assert seen == len(table)
