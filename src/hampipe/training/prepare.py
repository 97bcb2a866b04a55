"""What a training run draws and builds before its first epoch, shared by every job kind.

A single ``train`` job (:func:`hampipe.training.loop.train`) and a vectorised ensemble
job (:func:`hampipe.training.ensemble.train_ensemble`) prepare each seed's run here, so a
seed trained in an ensemble sees exactly what it would see alone: the same observation
noise, validation split, initial weights and examples.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import xarray as xr

from hampipe.models import METHODS
from hampipe.models.method import Batch, Method
from hampipe.systems import HamiltonianSystem
from hampipe.training.observations import add_noise, observed_annotation, split_validation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedRun:
    """One seed's training run, ready for :func:`~hampipe.training.loop.fit`.

    Attributes
    ----------
    method
        The learning method with its freshly initialised model.
    settings
        Its typed settings (:meth:`~hampipe.plan.learners.LearnerSpec.typed`).
    examples, validation
        Training examples, and held-out examples (``None`` without a hold-out).
    fit_idx, val_idx
        Indices of the training and held-out trajectories of the split.
    key
        The config key of the entry (``methods.<entry>``), used in messages.
    """

    method: Method
    settings: Any
    examples: Batch
    validation: Batch | None
    fit_idx: np.ndarray
    val_idx: np.ndarray
    key: str

    @property
    def n_examples(self) -> int:
        return int(next(iter(self.examples.values())).shape[0])

    def fit_options(self) -> dict[str, Any]:
        """The keyword arguments of ``fit`` (and ``fit_ensemble``) that the entry's
        settings give: the optimiser, its schedule, early stopping and the blow-up check."""
        s = self.settings
        return {
            "lr_schedule": s.lr_schedule,
            "weight_decay": s.weight_decay,
            "patience": s.patience,
            "min_improvement": s.min_improvement,
            "blowup_factor": s.blowup_factor,
        }

    def record(self, device: str | torch.device) -> dict[str, Any]:
        """What the model file's history says of the run beyond its epochs: the device,
        the example count and which trajectories trained and were held out."""
        return {
            "device": str(device),
            "examples": self.n_examples,
            "train_trajectories": self.fit_idx.tolist(),
            "validation_trajectories": self.val_idx.tolist(),
        }


def prepare_run(
    learner: str,
    hyperparameters: Mapping[str, Any],
    train_data: xr.Dataset,
    sai: xr.Dataset | None,
    seed: int,
    entry: str | None = None,
    system: HamiltonianSystem | None = None,
    device: str | torch.device = "cpu",
) -> PreparedRun:
    """Draw and build one seed's run: observations, validation split, model, examples.

    From one ``seed`` the run draws the observation noise (``noise``), the validation
    trajectories (``validation``) and the initial weights (``torch.manual_seed(seed)``
    right before ``build``), each from its own stream: runs of different methods with
    the same seed share the noise and the split, whatever their noise level. The batch
    order is drawn later, by ``fit``, from the same seed.

    ``learner`` is a ``METHODS`` name and ``hyperparameters`` its resolved settings;
    ``entry`` the ``methods`` entry (messages); ``system`` the true system, for a
    method whose settings need it (HNN's exact targets); ``device`` is only logged.
    Sets the global torch seed (as ``fit`` does again).
    """
    key = f"methods.{entry or learner}"
    method_cls = METHODS.get_class(learner)
    settings = method_cls.spec.typed(hyperparameters, key)
    # one generator per purpose, so the noise level does not move the validation split
    noise_rng, split_rng = (np.random.default_rng([seed, k]) for k in (0, 1))
    observed = add_noise(train_data, settings.noise, noise_rng)
    annotation = observed_annotation(observed, sai, settings.noise)
    fit_idx, val_idx = split_validation(
        observed, settings.validation, split_rng, key=f"{key}.validation"
    )
    parts = {"train": fit_idx, "validation": val_idx}
    subsets = {k: observed.isel(trajectory=v) for k, v in parts.items()}
    sai_subsets = {
        k: (annotation.isel(trajectory=v) if annotation is not None else None)
        for k, v in parts.items()
    }
    torch.manual_seed(seed)
    method = method_cls.build(hyperparameters, subsets["train"], system)
    examples = method.examples(subsets["train"], sai_subsets["train"])
    validation = (
        method.examples(subsets["validation"], sai_subsets["validation"]) if val_idx.size else None
    )
    run = PreparedRun(method, settings, examples, validation, fit_idx, val_idx, key)
    log.info(
        "%s (%s model) on %s, seed %d: %d examples from %d trajectories, %d held out, device %s",
        learner,
        method.model.name,
        train_data.attrs.get("system", "?"),
        seed,
        run.n_examples,
        fit_idx.size,
        val_idx.size,
        device,
    )
    return run


def read_training_inputs(
    train_data: str,
    sai: str | None,
    system: Mapping[str, Any],
    expect: Mapping[str, Any] | None = None,
) -> tuple[HamiltonianSystem, xr.Dataset, xr.Dataset | None]:
    """The true system, the training split and its SAI annotation of a training job.

    ``system`` is the stage's ``system`` param (:func:`hampipe.systems.system_from_spec`);
    ``train_data`` is checked against it (:func:`hampipe.data.io.check_system`).
    ``expect``, the job's wildcards: ``train_data`` must be a training split and both it
    and ``sai`` written for that system (:func:`hampipe.data.io.check_identity`); either
    holding NaN or inf is refused, naming the file.
    """
    from hampipe.data.io import read_dataset
    from hampipe.systems import system_from_spec

    true_system = system_from_spec(system)
    wanted = {**(expect or {}), "split": "train"}
    data = read_dataset(train_data, "data", true_system, wanted)
    annotation = read_dataset(sai, "sai", expect=wanted) if sai else None
    return true_system, data, annotation
