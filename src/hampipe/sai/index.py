"""The stiffness-aware index (SAI) and the stiffness index (SI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from hampipe.core.provenance import __version__
from hampipe.systems import HamiltonianSystem


def stiffness_aware_index(q: np.ndarray, p: np.ndarray, t: np.ndarray) -> np.ndarray:
    """SAI of every observed interval, SANN paper Eq. 5.

    For the state u = (q, p) observed at times t_i,

        SAI_i = ‖u_{i+1} − u_i‖₂ / ((t_{i+1} − t_i) ‖u_i‖₂),

    the relative rate of change of the state over the interval (t_i, t_{i+1}).

    Parameters
    ----------
    q, p
        Observed states, shape ``(trajectory, time, dof)``.
    t
        Observation times, shape ``(time,)``, strictly increasing.

    Returns
    -------
    numpy.ndarray
        Shape ``(trajectory, time − 1)``.
    """
    u = np.concatenate([np.asarray(q, np.float64), np.asarray(p, np.float64)], axis=-1)
    dt = np.diff(np.asarray(t, np.float64))
    if np.any(dt <= 0):
        raise ValueError("observation times must be strictly increasing")
    change = np.linalg.norm(np.diff(u, axis=1), axis=-1)
    size = np.linalg.norm(u[:, :-1], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return change / (dt[None, :] * size)


def stiffness_index(system: HamiltonianSystem, q: np.ndarray, p: np.ndarray) -> np.ndarray:
    """SI = max_i |Re λ_i| over the eigenvalues of the vector field's Jacobian (SANN §3.1).

    ``q``, ``p`` have shape ``(..., dof)``; the result has shape ``(...)``. Requires a
    system with a Hessian (``system.has_hessian``).
    """
    q = np.asarray(q, np.float64)
    shape = q.shape[:-1]
    flat_q = q.reshape(-1, system.dof)
    flat_p = np.asarray(p, np.float64).reshape(-1, system.dof)
    eigenvalues = np.linalg.eigvals(system.jacobian(flat_q, flat_p))
    return np.abs(eigenvalues.real).max(axis=-1).reshape(shape)


def annotate(train: xr.Dataset, system: HamiltonianSystem | None = None) -> xr.Dataset:
    """Compute ``sai(trajectory, interval)`` and, where H is known, ``si`` for a split.

    SI is evaluated at the state that opens each interval, u_i, so ``si`` and ``sai``
    share the ``interval`` axis. ``interval`` i spans ``time[i]`` to ``time[i + 1]``;
    the coordinate ``interval_start`` holds ``time[i]``.
    """
    sai = stiffness_aware_index(train.q.values, train.p.values, train.time.values)
    coords = {
        "trajectory": train.trajectory.values,
        "interval": np.arange(sai.shape[1]),
        "interval_start": ("interval", train.time.values[:-1], {"units": "s"}),
    }
    ds = xr.Dataset(
        {
            "sai": (
                ("trajectory", "interval"),
                sai,
                {
                    "units": "s-1",
                    "long_name": "stiffness-aware index, SANN Eq. 5",
                },
            ),
        },
        coords=coords,
        attrs={
            "Conventions": "CF-1.10",
            "system": train.attrs.get("system", ""),
            "source": "training split",
            "hampipe_version": __version__,
        },
    )
    if system is not None and system.has_hessian:
        si = stiffness_index(system, train.q.values[:, :-1], train.p.values[:, :-1])
        ds["si"] = (
            ("trajectory", "interval"),
            si,
            {
                "units": "s-1",
                "long_name": "stiffness index max|Re eig(J)| at the interval's first state",
            },
        )
    return ds


def check_finite_sai(sai: np.ndarray, source: str) -> None:
    """Raise unless the SAI of every interval of a split is finite.

    SAI (SANN Eq. 5) divides by ‖u_i‖₂: at a zero state it is infinite, and the
    intervals can no longer be ranked. Raises :class:`~hampipe.data.io.InputFileError`
    naming ``source`` (the split) and the trajectory and interval of the first one.
    """
    from hampipe.data.io import InputFileError

    bad = ~np.isfinite(sai)
    if bad.any():
        trajectory, interval = (int(i) for i in np.argwhere(bad)[0])
        raise InputFileError(
            f"{source}: the SAI (SANN Eq. 5) at index trajectory={trajectory}, "
            f"interval={interval} is {sai[trajectory, interval]} ({int(bad.sum())} intervals "
            "in all): the state opening it has zero norm; check the system's "
            "initial-state sampler"
        )


def annotate_file(
    train: str,
    output: str,
    system: Mapping[str, Any],
    expect: Mapping[str, Any] | None = None,
) -> None:
    """The ``sai`` stage: annotate a training split file and write ``results/sai/...``.

    ``system`` is the stage's ``system`` param (:func:`hampipe.systems.system_from_spec`):
    the true system (for SI) is built from it and the file checked against it
    (:func:`hampipe.data.io.check_system`). ``expect``: the job's wildcards; ``train``
    must be a training split written for them (:func:`hampipe.data.io.check_identity`).
    A file holding NaN or inf, or a zero state (an infinite SAI,
    :func:`check_finite_sai`), is refused before anything is written.
    """
    from hampipe.data.io import read_dataset, write_dataset
    from hampipe.systems import system_from_spec

    true_system = system_from_spec(system)
    data = read_dataset(train, "data", true_system, {**(expect or {}), "split": "train"})
    ds = annotate(data, true_system)
    check_finite_sai(ds.sai.values, train)
    write_dataset(ds, output)
