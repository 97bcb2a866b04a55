"""The base class of learning methods and the model they train."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch
import xarray as xr

from hampipe.core.registry import Registry
from hampipe.models.hamiltonian import SeparableHamiltonian
from hampipe.systems import HamiltonianSystem
from hampipe.systems.nbody import PlanarNBody

Batch = dict[str, torch.Tensor]
MODEL_KEYS = ("width", "depth", "activation", "rational_sharing", "features")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def data_scales(q: np.ndarray, p: np.ndarray, t: np.ndarray) -> dict[str, float]:
    """Typical sizes of the training data, for :class:`SeparableHamiltonian`'s scaling.

    q_s, p_s are the RMS of q and p; v_s the RMS of the finite-difference velocity
    Δq/Δt over observed intervals; E_s = p_s v_s, the energy scale implied by
    dq/dt = ∂H/∂p. Only observed data are used, never the true Hamiltonian.
    """
    dt = np.diff(t)
    v = np.diff(q, axis=1) / dt[None, :, None]
    rms = lambda x: float(np.sqrt(np.mean(np.square(x))))  # noqa: E731
    q_s, p_s, v_s = rms(q), rms(p), rms(v)
    if min(q_s, p_s, v_s) <= 0 or not np.isfinite([q_s, p_s, v_s]).all():
        raise ValueError("training data have zero or non-finite scale; cannot normalise")
    return {"q_scale": q_s, "p_scale": p_s, "energy_scale": p_s * v_s}


def resolve_features(features: str, system: HamiltonianSystem) -> str:
    """``auto`` → pairwise distances for particle systems (SANN Eq. 10), else coordinates."""
    if features != "auto":
        return features
    return "pairwise_distances" if isinstance(system, PlanarNBody) else "coordinates"


class Method:
    """A way to learn H_θ from trajectories: the training examples and the loss.

    Implementer's checklist for a new method (one file, one registry entry)
    ----------------------------------------------------------------------
    1. Register with ``@METHODS.register("<config name>")``; the config block
       ``methods.<name>`` holds its hyperparameters (schema in
       ``workflow/schemas/config.schema.yaml``).
    2. Set ``requires_sai`` if ``examples`` needs the SAI annotation.
    3. Implement ``_examples(train, sai)``: a dict of tensors sharing the first
       (example) axis, built once before training.
    4. Implement ``_loss(batch)``: a scalar on a batch of examples.
    5. Test the loss on data whose Hamiltonian the model can represent exactly.

    ``examples`` checks that all example tensors share their length and ``loss`` that
    the result is a scalar; both then call the subclass.
    """

    name: ClassVar[str] = ""
    requires_sai: ClassVar[bool] = False

    def __init__(self, model: SeparableHamiltonian, hyperparameters: Mapping[str, Any]) -> None:
        self.model = model
        self.hyperparameters = dict(hyperparameters)
        self.dtype = DTYPES[self.hyperparameters.get("dtype", "float32")]

    @classmethod
    def build(
        cls,
        hyperparameters: Mapping[str, Any],
        system: HamiltonianSystem,
        train: xr.Dataset,
    ) -> Method:
        """Create the method and a fresh model sized and scaled for ``train``."""
        model_options = {k: hyperparameters[k] for k in MODEL_KEYS if k in hyperparameters}
        model_options["features"] = resolve_features(model_options.get("features", "auto"), system)
        scales = data_scales(train.q.values, train.p.values, train.time.values)
        model = SeparableHamiltonian(dof=system.dof, **model_options, **scales)
        return cls(model, hyperparameters)

    def tensor(self, x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(x), dtype=self.dtype)

    def examples(self, train: xr.Dataset, sai: xr.Dataset | None = None) -> Batch:
        """Build the training examples from a ground-truth split (and its SAI)."""
        if self.requires_sai and sai is None:
            raise ValueError(f"method {self.name!r} needs the SAI annotation of the split")
        out = self._examples(train, sai)
        sizes = {k: v.shape[0] for k, v in out.items()}
        if len(set(sizes.values())) != 1:
            raise ValueError(f"examples of {self.name!r} disagree in length: {sizes}")
        return out

    def loss(self, batch: Batch) -> torch.Tensor:
        """The training loss on one batch (a scalar tensor)."""
        value = self._loss(batch)
        if value.ndim != 0:
            raise RuntimeError(f"{self.name}._loss returned shape {tuple(value.shape)}")
        return value

    def _examples(self, train: xr.Dataset, sai: xr.Dataset | None) -> Batch:
        raise NotImplementedError

    def _loss(self, batch: Batch) -> torch.Tensor:
        raise NotImplementedError


METHODS: Registry[Method] = Registry("method")
