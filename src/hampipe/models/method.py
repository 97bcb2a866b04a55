"""The base class of learning methods: the model they build, their examples and loss."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch
import xarray as xr

from hampipe.core.choices import DTYPES as DTYPE_NAMES
from hampipe.integrators import INTEGRATORS, Integrator
from hampipe.models.model import Model
from hampipe.models.registry import MODELS
from hampipe.models.scales import data_scales
from hampipe.plan.learners import LEARNING, LearnerSpec
from hampipe.systems import HamiltonianSystem

Batch = dict[str, torch.Tensor]
#: The declared precisions (``hampipe.core.choices.DTYPES``) as torch dtypes.
DTYPES = {name: getattr(torch, name) for name in DTYPE_NAMES}


def model_options(model_cls: type[Model], settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that ``model_cls``'s constructor takes (width, depth, …; its declared
    ``spec.arguments``) out of a learner's ``settings``."""
    return {k: settings[k] for k in model_cls.spec.arguments if k in settings}


def build_model(settings: Any, train: xr.Dataset) -> Model:
    """A fresh model of type ``settings.model`` sized and scaled for ``train``.

    ``settings`` are a learner's typed settings (:meth:`LearnerSpec.typed`). The number
    of degrees of freedom comes from the data and the scales from the observed states
    (:func:`data_scales`); nothing is read from the true system. Its linear layers start
    as ``settings.init`` says (:meth:`Model.initialise`).
    """
    model_cls = MODELS.get_class(settings.model)
    scales = data_scales(train.q.values, train.p.values, train.time.values, settings.scaling)
    options = model_options(model_cls, settings.as_dict())
    model = model_cls(train.sizes["dof"], **options, scales=scales)
    model.initialise(settings.init)
    return model


def integrator_options(name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of ``settings`` that integrator ``name`` declares as options."""
    declared = INTEGRATORS.get_class(name).options
    return {k: settings[k] for k in declared if k in settings}


def prediction_integrator(prediction: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """The integrator of a method's test rollouts and its options, from its ``prediction``
    block (the ``evaluate`` stage's ``prediction`` param; keys it leaves out take the
    declared defaults of :data:`hampipe.plan.learners.LEARNING`). Returns ``(name,
    options)``, the options only those the integrator declares."""
    settings = LEARNING["prediction"].block.fill(prediction, "prediction")
    name = settings.pop("integrator")
    return name, integrator_options(name, settings)


def make_integrator(name: str, model: Model, settings: Mapping[str, Any]) -> Integrator:
    """Build integrator ``name`` on ``model``'s field with the options it declares.

    Raises ``ValueError`` when the integrator needs what the model does not offer
    (e.g. leapfrog on an inseparable model).
    """
    return INTEGRATORS.get_class(name)(model.field(), **integrator_options(name, settings))


class Method:
    """A way to learn a model from trajectories: its training examples and its loss.

    Implementer's checklist for a new method (one file, one registry entry)
    ----------------------------------------------------------------------
    1. Declare the learner in :data:`hampipe.plan.learners.LEARNERS` (its settings with
       their defaults and bounds, ``requires_sai`` if ``examples`` needs the SAI
       annotation, its label): the config schema's ``methods.<name>`` block and the
       typed ``self.settings`` come from there. Register the class with
       ``@METHODS.register("<name>")`` (it gets the declaration as ``spec``) and import
       its module in ``hampipe/models/__init__.py``; list it in ``config.yaml``'s
       ``experiments`` (a ``methods.<name>`` block only for values that differ from the
       declared defaults).
    2. Read settings as ``self.settings.<key>``: every key is there, defaults filled.
    3. Implement ``_examples(train, sai)``: a dict of tensors sharing the first
       (example) axis, built once before training.
    4. Implement ``_loss(batch)``: a scalar on a batch of examples.
    5. Add a plain autograd reference of the loss to :mod:`hampipe.bench.reference`
       (``LOSSES`` for a batch, ``REFERENCES`` for a split); the loss and its parameter
       gradients are tested against it (``tests/models/test_methods.py``,
       ``tests/bench``) and timed against it (``python -m hampipe.bench train``). Test
       that training recovers a known system.

    ``examples`` checks that all example tensors share their length and ``loss`` that
    the result is a scalar; both then call the subclass.
    """

    name: ClassVar[str] = ""
    #: The learner's declaration; ``METHODS.register`` sets it and copies its
    #: ``requires_sai`` here.
    spec: ClassVar[LearnerSpec]
    requires_sai: ClassVar[bool] = False

    def __init__(
        self,
        model: Model,
        hyperparameters: Mapping[str, Any],
        system: HamiltonianSystem | None = None,
    ) -> None:
        self.model = model
        #: The settings as given (saved with the model); ``settings`` is their typed form.
        self.hyperparameters = dict(hyperparameters)
        self.settings = self.spec.typed(hyperparameters)
        self.dtype = DTYPES[self.settings.dtype]
        #: The true system, for a method whose settings need it (HNN's exact targets);
        #: the train stage builds it from its ``system`` param, never from the data.
        self.system = system
        self._check()

    def _check(self) -> None:
        """Refuse a model (or a missing true system) the method cannot train with
        (subclasses build integrators here)."""

    @classmethod
    def build(
        cls,
        hyperparameters: Mapping[str, Any],
        train: xr.Dataset,
        system: HamiltonianSystem | None = None,
    ) -> Method:
        """Create the method and a fresh model sized and scaled for ``train``, in ``dtype``.

        ``system`` is the true system, for the methods whose settings need it.
        """
        settings = cls.spec.typed(hyperparameters)
        model = build_model(settings, train).to(DTYPES[settings.dtype])
        return cls(model, hyperparameters, system)

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
