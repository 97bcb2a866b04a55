"""A small three-body training split and its SAI file, for the SAI figure tests."""

from __future__ import annotations

import xarray as xr

from hampipe.data import simulate
from hampipe.sai import annotate
from hampipe.systems import make_system

N_TRAJ, N_TIME, DT = 6, 41, 0.1
N_INTERVALS = N_TIME - 1


def three_body_split() -> xr.Dataset:
    """``N_TRAJ`` three-body trajectories of ``N_TIME`` points ``DT`` apart (seed 0)."""
    return simulate(make_system("three_body"), N_TRAJ, N_TIME, DT, seed=0)


def three_body_sai(data: xr.Dataset) -> xr.Dataset:
    """The SAI file of ``data``, with SI from the true three-body Hamiltonian."""
    return annotate(data, make_system("three_body"))
