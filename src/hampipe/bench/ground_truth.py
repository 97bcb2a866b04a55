"""Time the ``simulate`` stage for one system at the sizes of a config.

``python -m hampipe.bench ground_truth`` runs what the two ``simulate`` jobs of a
system do (the train and test splits, with the workflow's seeds, system and
ground-truth solver) in this process, and yields one record per split and a total.
Nothing is written to ``results/``.

Issue 4's target: the paper-size three-body set (1000 + 300 trajectories) in at most
two minutes on 2 cores.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import xarray as xr

from hampipe.core.config import suggest
from hampipe.data import GroundTruthSolver, simulate
from hampipe.plan import Plan, load_config
from hampipe.plan.config import SCHEMA
from hampipe.systems import make_system

#: The splits a system's ``simulate`` jobs write, in the order they are timed.
SPLITS = ("train", "test")


def simulate_split(plan: Plan, system: str, split: str, workers: int = 1) -> xr.Dataset:
    """One split of ``system``'s ground truth as its ``simulate`` job makes it.

    The job's params come from ``plan`` as ``workflow/rules/simulate.smk`` takes them:
    the system's definition (a named variant's built-in system) and the split's
    initial-state recipe (``test_initial_state`` for the test split), dt, sizes, solver
    and the seed derived for (``simulate``, system, split).
    """
    spec = plan.system_spec(system)
    block = plan.config["systems"][system]
    model = make_system(
        spec["name"], spec["parameters"], plan.initial_state(system, split), spec["definition"]
    )
    return simulate(
        model,
        block["trajectories"][split],
        block["steps"][split],
        block["dt"],
        plan.seed("simulate", system, split),
        GroundTruthSolver(**block["ground_truth"]),
        workers=workers,
    )


def run(
    system: str,
    configfiles: Sequence[str | os.PathLike] = ("config.yaml",),
    workers: int = 2,
    root: str | os.PathLike = ".",
) -> Iterator[dict[str, Any]]:
    """Simulate both splits of ``system`` as the workflow would; yield what each took.

    ``configfiles`` are merged in order under ``root`` and checked
    (:func:`hampipe.plan.load_config`). Yields, per split of :data:`SPLITS`, a record
    with ``system``, ``split``, ``trajectories``, ``time_points``, ``workers``,
    ``seconds`` (wall, rounded to 0.01 s), ``n_resampled`` and
    ``max_relative_energy_drift``; then ``{"system", "total_seconds"}``.

    Raises ``ValueError`` naming the configured systems when ``system`` is not one.
    """
    config = load_config(*configfiles, root=root)
    systems = config["systems"]
    if system not in systems:
        raise ValueError(
            f"no system {system!r} in the config{suggest(system, systems)}; configured "
            f"systems: {', '.join(systems)}"
        )
    plan = Plan.from_config(config, Path(root) / SCHEMA)
    total = 0.0
    for split in SPLITS:
        start = time.perf_counter()
        ds = simulate_split(plan, system, split, workers)
        seconds = time.perf_counter() - start
        total += seconds
        yield {
            "system": system,
            "split": split,
            "trajectories": ds.sizes["trajectory"],
            "time_points": ds.sizes["time"],
            "workers": workers,
            "seconds": round(seconds, 2),
            "n_resampled": ds.attrs["n_resampled"],
            "max_relative_energy_drift": ds.attrs["max_relative_energy_drift"],
        }
    yield {"system": system, "total_seconds": round(total, 2)}
