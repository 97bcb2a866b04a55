"""One methods entry of the comparison slice: trained for as many epochs as fit its
share of seconds, evaluated, and its rollouts' metrics (:mod:`hampipe.bench.comparison`).

:func:`estimate_seconds_per_epoch` times a few mini-batches of a fresh method,
:func:`epochs_for` sizes the run to a share of seconds, :func:`train_and_evaluate`
makes the ``train`` and ``evaluate`` jobs' library calls in memory, and
:func:`rollout_metrics` reduces an evaluation to the summary table's metrics with their
spread over test trajectories (:func:`spread`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import xarray as xr

from hampipe.bench.flops import synchronize
from hampipe.bench.workload import batch_order
from hampipe.evaluation import evaluate
from hampipe.models import METHODS
from hampipe.models.method import prediction_integrator
from hampipe.plan import Plan, requires_sai
from hampipe.systems import HamiltonianSystem
from hampipe.training import train

#: Fraction of a method's share its training epochs are sized to fill; the rest is for
#: building its examples, the timed calibration batches and the evaluation.
TRAIN_FRACTION = 0.7
#: Mini-batches timed, after one warm-up batch, to estimate a method's seconds per epoch:
#: at least this many, and more until :data:`CALIBRATION_SECONDS` have passed (at most
#: one epoch's), so that a fast step is timed over more than a few milliseconds.
CALIBRATION_BATCHES = 3
CALIBRATION_SECONDS = 1.0
#: The evaluation's metrics that are one value per test trajectory already.
PER_TRAJECTORY = ("derivative_mse", "energy_mse")
#: The training settings a method record repeats (those the method declares).
RECORDED_SETTINGS = (
    "model",
    "width",
    "depth",
    "activation",
    "features",
    "batch_size",
    "learning_rate",
    "lr_schedule",
    "validation",
    "integrator",
    "substeps",
    "gamma",
    "partitions",
    "replication",
    "dtype",
)


def estimate_seconds_per_epoch(
    learner: str,
    hyperparameters: Mapping[str, Any],
    data: xr.Dataset,
    sai: xr.Dataset | None,
    system: HamiltonianSystem,
    device: torch.device,
    seed: int,
    batches: int = CALIBRATION_BATCHES,
    seconds: float = CALIBRATION_SECONDS,
) -> float:
    """Seconds one training epoch of ``learner`` on ``data`` takes, from a few timed batches.

    A freshly built method (as :func:`hampipe.training.train` builds it) takes one
    untimed warm-up step, then timed steps (loss, backward, Adam step, as
    :func:`~hampipe.training.loop.fit`) in the epoch's seeded batch order: at least
    ``batches`` and on until ``seconds`` have passed or the epoch is done, scaled to the
    epoch's examples. The examples are the whole split's (training holds out
    ``validation`` of them): a slight overestimate, on the side of finishing in time.
    """
    method_cls = METHODS.get_class(learner)
    settings = method_cls.spec.typed(hyperparameters, f"methods.{learner}")
    torch.manual_seed(seed)
    method = method_cls.build(hyperparameters, data, system)
    model = method.model.to(device=device, dtype=method.dtype).train()
    examples = {k: v.to(device) for k, v in method.examples(data, sai).items()}
    n = next(iter(examples.values())).shape[0]
    order = [index.to(device) for index in batch_order(n, settings.batch_size, seed)]
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)

    def step(index: torch.Tensor) -> None:
        loss = method.loss({k: v[index] for k, v in examples.items()})
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss.item()

    step(order[0])
    synchronize(device)
    start = time.perf_counter()
    timed = 0
    for count, index in enumerate(order, 1):
        step(index)  # loss.item() waits for the device
        timed += index.numel()
        if count >= batches and time.perf_counter() - start >= seconds:
            break
    synchronize(device)
    return (time.perf_counter() - start) * n / timed


def epochs_for(share: float, seconds_per_epoch: float, configured: int) -> int:
    """Epochs that fill :data:`TRAIN_FRACTION` of a method's ``share`` of seconds: at
    least one, at most the ``configured`` ones."""
    return max(1, min(configured, int(TRAIN_FRACTION * share / seconds_per_epoch)))


def spread(cells: np.ndarray, per_trajectory: np.ndarray) -> dict[str, float | int]:
    """A summary metric and its spread over test trajectories.

    ``mean`` is the summary table's value (:func:`hampipe.plotting.tables.run_metrics`
    for one seed): the mean of the finite ``cells`` (diverged steps left out); ``std``
    (sample), ``median``, ``q25`` and ``q75`` are over ``per_trajectory``, one value per
    trajectory whose rollout did not diverge (``trajectories`` of them), as the
    summary's bootstrap resamples them (:func:`hampipe.plotting.tables.per_trajectory`).
    """
    cells = np.asarray(cells, np.float64)
    values = np.asarray(per_trajectory, np.float64)
    finite, kept = cells[np.isfinite(cells)], values[np.isfinite(values)]
    q25, median, q75 = np.percentile(kept, [25, 50, 75]) if kept.size else [np.nan] * 3
    return {
        "mean": float(finite.mean()) if finite.size else float("nan"),
        "std": float(kept.std(ddof=1)) if kept.size > 1 else float("nan"),
        "median": float(median),
        "q25": float(q25),
        "q75": float(q75),
        "trajectories": int(kept.size),
    }


def rollout_metrics(ev: xr.Dataset) -> dict[str, dict[str, float | int]]:
    """The summary table's metrics of one evaluation, each with its :func:`spread`.

    ``energy_error``: |relative energy error| (SANN §4.1) over trajectories and time;
    ``last_step_mse``: the MSE of (q, p) at the last test time; ``test_mse``: the MSE
    over trajectories and time; ``derivative_mse`` and ``energy_mse``: the HNN paper's
    test loss and energy MSE, one value per trajectory.
    """
    energy = np.abs(ev.energy_error.values)
    mse = ev.mse.values
    return {
        "energy_error": spread(energy, energy.mean(axis=1)),
        "last_step_mse": spread(mse[:, -1], mse[:, -1]),
        "test_mse": spread(mse, mse.mean(axis=1)),
        **{name: spread(ev[name].values, ev[name].values) for name in PER_TRAJECTORY},
    }


def train_and_evaluate(
    plan: Plan,
    system_name: str,
    entry: str,
    epochs: int,
    data: xr.Dataset,
    sai: xr.Dataset,
    test: xr.Dataset,
    system: HamiltonianSystem,
    device: torch.device,
    seed: int,
) -> dict[str, Any]:
    """Train methods entry ``entry`` on system ``system_name`` (its true system
    ``system``) for ``epochs`` epochs and evaluate it on ``test``.

    The ``train`` job's call (:func:`hampipe.training.train`) with the entry's resolved
    settings, ``epochs`` in place of the configured count, the SAI annotation for a
    learner that uses it, and ``seed``; then the ``evaluate`` job's
    (:func:`hampipe.evaluation.evaluate`) with the entry's prediction block and the
    system's ``evaluation`` settings and seed. Returns the method's record.
    """
    learner = plan.learner(entry, system_name)
    settings = {**plan.hyperparameters(entry, system_name), "epochs": epochs}
    start = time.perf_counter()
    trained, history = train(
        learner,
        settings,
        data,
        sai if requires_sai(learner) else None,
        seed,
        progress=False,
        entry=entry,
        device=device,
        system=system,
    )
    synchronize(device)
    train_seconds = time.perf_counter() - start
    block = plan.config["systems"][system_name]["evaluation"]
    integrator, options = prediction_integrator(plan.prediction(entry, system_name))
    start = time.perf_counter()
    ev = evaluate(
        trained.model,
        test,
        block["step"],
        integrator,
        options,
        system=system,
        noise=block["noise"],
        seed=plan.seed("evaluate", system_name),
        entry=entry,
        divergence_bound=block["divergence_bound"],
    )
    epoch_seconds = history["seconds"]
    return {
        "learner": learner,
        "settings": {k: settings[k] for k in RECORDED_SETTINGS if k in settings},
        "epochs_run": history["epochs_run"],
        "stopped": history["stopped"],
        # the first epoch carries the device's warm-up; the median of the others is the rate
        "seconds_per_epoch": statistics.median(epoch_seconds[1:] or epoch_seconds),
        "first_epoch_seconds": epoch_seconds[0],
        "train_seconds": train_seconds,
        "examples": history["examples"],
        "train_loss": history["loss"][-1],
        "validation_loss": (history["validation_loss"] or [float("nan")])[-1],
        "test_trajectories": test.sizes["trajectory"],
        "test_time_points": test.sizes["time"],
        "prediction": {"integrator": integrator, **options, "step": block["step"]},
        "evaluate_seconds": time.perf_counter() - start,
        "diverged": int(ev.attrs["n_diverged"]),
        "metrics": rollout_metrics(ev),
    }
