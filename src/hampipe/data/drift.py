"""Long-horizon energy drift of the adaptive ground-truth integrators.

The spring study (seed 001, §4.1, Fig. 3) chose DOP853 over RK45 after seeing RK45's
energy drift along a trajectory of the ideal spring. This stage measures the drift for
any system: it integrates initial states of the test split far beyond the training
horizon with each method and tolerance and records the relative energy error along the
way. Which method drifts less depends on the tolerance (at solve_ivp's defaults,
rtol = 1e-3, DOP853 can drift more than RK45), so the figure shows several.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from hampipe.data.energy import relative_energy_error
from hampipe.data.ground_truth import system_attrs
from hampipe.integrators import solve
from hampipe.systems import HamiltonianSystem

log = logging.getLogger(__name__)


def integrator_drift(
    system: HamiltonianSystem,
    q0: np.ndarray,
    p0: np.ndarray,
    horizon: float,
    points: int,
    methods: Sequence[str],
    rtol: Sequence[float],
    atol: Sequence[float],
) -> xr.Dataset:
    """Relative energy error (H(t) − H(0)) / |H(0)| of ``solve_ivp`` runs from ``(q0, p0)``.

    The error is :func:`~hampipe.data.energy.relative_energy_error` without a floor,
    H(0) the exact Hamiltonian at ``(q0, p0)``.

    Parameters
    ----------
    system
        The system; H is evaluated with its exact Hamiltonian.
    q0, p0
        Initial states, shape ``(trajectories, dof)``.
    horizon
        Final time of every run (seconds); the error is recorded at ``points`` evenly
        spaced times in ``[0, horizon]``.
    methods
        ``solve_ivp`` methods (``RK45``, ``DOP853``, ``Radau``).
    rtol, atol
        Paired tolerance settings: run ``k`` uses ``rtol[k]`` and ``atol[k]``.

    Returns
    -------
    xarray.Dataset
        ``energy_error(integrator, tolerance, trajectory, time)``, with coordinates
        ``integrator`` (the method names),
        ``rtol(tolerance)``, ``atol(tolerance)`` and ``time``.
    """
    if len(rtol) != len(atol):
        raise ValueError(f"rtol and atol need the same length, got {len(rtol)} and {len(atol)}")
    q0, p0 = np.asarray(q0, np.float64), np.asarray(p0, np.float64)
    n, dof = q0.shape
    t = np.linspace(0.0, horizon, points)
    h0 = system.hamiltonian(q0, p0)
    error = np.empty((len(methods), len(rtol), n, points))
    energy = np.empty((n, points))
    for i, method in enumerate(methods):
        for k, (rel, abs_) in enumerate(zip(rtol, atol, strict=True)):
            for j in range(n):
                u = solve(system.vector_field, np.concatenate([q0[j], p0[j]]), t, method, rel, abs_)
                energy[j] = system.hamiltonian(u[:, :dof], u[:, dof:])
            error[i, k] = relative_energy_error(energy, reference=h0)
            final = np.abs(error[i, k, :, -1])
            log.info(
                "%s rtol=%g atol=%g: median |relative energy error| at t=%g: %.3e",
                method,
                rel,
                abs_,
                horizon,
                np.median(final),
            )
    return xr.Dataset(
        {
            "energy_error": (
                ("integrator", "tolerance", "trajectory", "time"),
                error,
                {"units": "1", "long_name": "relative energy error (H(t) - H(0)) / |H(0)|"},
            ),
        },
        coords={
            "integrator": (
                "integrator",
                np.array(methods, dtype=object),
                {"long_name": "solve_ivp method"},
            ),
            "rtol": ("tolerance", np.asarray(rtol, np.float64), {"units": "1"}),
            "atol": ("tolerance", np.asarray(atol, np.float64), {"units": "1"}),
            "time": ("time", t, {"units": "s", "long_name": "time since the initial state"}),
        },
        attrs=system_attrs(system),
    )


def integrator_drift_to_file(
    test: str,
    output: str,
    trajectories: int,
    horizon: float,
    points: int,
    methods: Sequence[str],
    rtol: Sequence[float],
    atol: Sequence[float],
    *,
    system: Mapping[str, Any],
    expect: Mapping[str, Any] | None = None,
) -> None:
    """The ``integrator_drift`` stage: drift runs from the first initial states of a split.

    ``system`` is the stage's ``system`` param (:func:`hampipe.systems.system_from_spec`):
    the true system is built from it and the ground-truth file ``test`` checked against
    it (:func:`hampipe.data.io.check_system`); the first ``trajectories`` initial states
    are integrated and the result written to ``output`` (NetCDF). ``expect``: the job's
    wildcards, which ``test`` (a test split) must have been written for
    (:func:`hampipe.data.io.check_identity`).
    """
    from hampipe.data.io import read_dataset, write_dataset
    from hampipe.systems import system_from_spec

    true_system = system_from_spec(system)
    data = read_dataset(test, "data", true_system, {**(expect or {}), "split": "test"})
    if trajectories > data.sizes["trajectory"]:
        raise ValueError(
            f"{test} has {data.sizes['trajectory']} trajectories, "
            f"fewer than the {trajectories} requested for the drift runs"
        )
    q0 = data.q.values[:trajectories, 0]
    p0 = data.p.values[:trajectories, 0]
    ds = integrator_drift(true_system, q0, p0, horizon, points, methods, rtol, atol)
    ds.attrs["source"] = f"initial states of {test}"
    write_dataset(ds, output)
