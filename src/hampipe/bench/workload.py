"""The workload of ``python -m hampipe.bench train``: what each benchmark run trains on.

The :data:`SCALES` of a run, the config they load, each benchmark method's resolved
settings at a scale, the simulated three-body examples (SANN paper §4.2) and the batch
order of one epoch, and a freshly initialised method with its examples on a device.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import xarray as xr

from hampipe.core import resolve_method
from hampipe.data import GroundTruthSolver, simulate
from hampipe.models import METHODS
from hampipe.models.method import Batch, Method
from hampipe.plan import load_config
from hampipe.sai import annotate
from hampipe.systems import make_system

log = logging.getLogger(__name__)

#: The system every benchmark runs on (SANN paper §4.2).
SYSTEM = "three_body"
#: Benchmark method name → the ``methods`` entry of the config it times. ``general`` is
#: SANN with the general (inseparable) Hamiltonian and explicit Euler (``sann_general``,
#: SANN Appendix H).
BENCH_METHODS: dict[str, str] = {
    "sann": "sann",
    "srnn": "srnn",
    "hnn": "hnn",
    "hinn": "hinn",
    "ode": "ode",
    "general": "sann_general",
}


@dataclass(frozen=True)
class Scale:
    """The sizes of a benchmark run; ``None`` keeps the config's value.

    Attributes
    ----------
    configfiles
        Config files merged in order, relative to the project root (as Snakemake's
        ``--configfile`` overlays).
    width
        Hidden units per layer of every method's network (``width``).
    trajectories, time_points
        Three-body trajectories simulated and observed time points per trajectory
        (default: the config's ``systems.three_body`` training split).
    batch_size
        Examples per mini-batch (default: each method's ``batch_size``).
    """

    configfiles: tuple[str, ...]
    width: int
    trajectories: int | None = None
    time_points: int | None = None
    batch_size: int | None = None


#: ``tiny``: a few trajectories and width 8, seconds (tests, CI); ``cpu``: the quick
#: config's three-body split (40 × 30) at width 64; ``paper``: SANN Exp. 5 on three-body
#: (1000 trajectories × 60 time points, γ = 0.1, S = 10/50, K = 8, batch 1024, width 256,
#: depth 3, rational activation, pairwise distances).
SCALES: dict[str, Scale] = {
    "tiny": Scale(
        ("config.yaml", "config.quick.yaml"), width=8, trajectories=3, time_points=8, batch_size=16
    ),
    "cpu": Scale(("config.yaml", "config.quick.yaml"), width=64),
    "paper": Scale(("config.yaml",), width=256, trajectories=1000, time_points=60, batch_size=1024),
}


def _scale(name: str) -> Scale:
    if name not in SCALES:
        raise ValueError(f"unknown scale {name!r}; valid: {', '.join(SCALES)}")
    return SCALES[name]


def scale_config(scale: str, root: str | Path = ".") -> dict[str, Any]:
    """The config files of ``scale`` under ``root``, merged and checked (defaults filled).

    Loaded by :func:`hampipe.plan.load_config`, as the workflow sees them. Raises
    ``FileNotFoundError`` naming the missing file when ``root`` is not the project
    directory (the one holding ``config.yaml`` and ``workflow/``).
    """
    return load_config(*_scale(scale).configfiles, root=root)


def method_settings(config: Mapping[str, Any], method: str, scale: str) -> tuple[str, dict]:
    """The learner and settings that benchmark method ``method`` trains at ``scale``.

    The config entry :data:`BENCH_METHODS` names, resolved for :data:`SYSTEM`, with the
    scale's ``width`` and ``batch_size``. Raises ``ValueError`` listing the valid methods.
    """
    if method not in BENCH_METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(BENCH_METHODS)}")
    sizes = _scale(scale)
    learner, h = resolve_method(config["methods"], BENCH_METHODS[method], SYSTEM)
    h["width"] = sizes.width
    if sizes.batch_size is not None:
        h["batch_size"] = sizes.batch_size
    return learner, h


def benchmark_data(
    config: Mapping[str, Any],
    scale: str,
    trajectories: int | None = None,
    seed: int = 0,
    workers: int = 1,
) -> tuple[xr.Dataset, xr.Dataset]:
    """Simulate the three-body training data of ``scale`` and annotate it with SAI.

    The system, observation step and ground-truth solver are ``systems.three_body`` of
    ``config``; ``trajectories`` overrides the scale's count. Returns ``(data, sai)``.
    """
    sizes = _scale(scale)
    spec = config["systems"][SYSTEM]
    system = make_system(SYSTEM, parameters=spec["parameters"], initial_state=spec["initial_state"])
    n_traj = trajectories or sizes.trajectories or spec["trajectories"]["train"]
    n_time = sizes.time_points or spec["steps"]["train"]
    start = time.perf_counter()
    ds = simulate(
        system,
        n_traj,
        n_time,
        spec["dt"],
        seed,
        solver=GroundTruthSolver(**spec["ground_truth"]),
        workers=workers,
    )
    log.info(
        "simulated %d %s trajectories of %d points in %.1f s",
        n_traj,
        SYSTEM,
        n_time,
        time.perf_counter() - start,
    )
    return ds, annotate(ds)


def batch_order(n: int, batch_size: int, seed: int) -> list[torch.Tensor]:
    """The index batches of one epoch: a permutation seeded by ``seed``, cut as ``fit`` cuts it."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return [order[begin : begin + batch_size] for begin in range(0, n, batch_size)]


def prepare(
    learner: str,
    h: Mapping[str, Any],
    data: xr.Dataset,
    sai: xr.Dataset,
    device: torch.device,
    seed: int,
) -> tuple[Method, Batch]:
    """A freshly initialised method (seeded) on ``device`` and its examples there."""
    torch.manual_seed(seed)
    method = METHODS[learner].build(h, data)
    method.model.to(device)
    examples = method.examples(data, sai)
    return method, {k: v.to(device) for k, v in examples.items()}
