"""A small collected dataset built by the real ``collect`` from synthetic evaluations."""

from __future__ import annotations

import pytest
import xarray as xr

from hampipe.data import simulate
from hampipe.plotting import collect, presentation
from hampipe.systems import make_system

from .fakes import RUNS, SEEDS, fake_evaluation


@pytest.fixture(scope="session")
def collected(tmp_path_factory) -> xr.Dataset:
    """two_body test rollouts of four methods × two seeds, through ``collect``."""
    root = tmp_path_factory.mktemp("collected")
    test = simulate(make_system("two_body"), 3, 12, 0.1, seed=3)
    evals = {}
    for method, (_, _, error, epochs) in RUNS.items():
        evals[method] = []
        for seed in range(SEEDS):
            path = root / f"{method}{seed}.nc"
            fake_evaluation(test, method, seed, error, epochs).to_netcdf(path)
            evals[method].append(path)
    learners = {m: run[0] for m, run in RUNS.items()}
    settings = {m: run[1] for m, run in RUNS.items()}
    styles = presentation(list(RUNS), learners, {"labels": {"sann_k1": "SANN, K = 1"}})
    return collect(evals, test, styles, learners, settings)
