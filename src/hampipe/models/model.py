"""The base class of every learned model: a vector field, Hamiltonian or not."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from hampipe.core.choices import INITS
from hampipe.integrators import Field
from hampipe.models.scales import SCALE_NAMES
from hampipe.plan.learners import ModelSpec


class Model(nn.Module):
    """A learned model of dq/dt, dp/dt, with what it offers to integrators.

    Implementer's checklist for a new model (one file, one ``MODELS`` entry)
    -----------------------------------------------------------------------
    1. Declare the model in :data:`hampipe.plan.learners.MODEL_SPECS`: ``hamiltonian``
       (it has an H whose gradients give the field), ``separable`` (H = T(p) + V(q), so
       leapfrog applies) and the optional settings it takes; the config checks read
       them there, and the class reads them from its ``spec``.
    2. Register with ``@MODELS.register("<name>")``; accept ``dof`` first, then the
       keyword settings of ``spec.arguments`` (no defaults: the learner's declaration
       holds them), then ``scales``; end ``__init__`` with ``self._remember(locals())``
       (the model file keeps the options so that :func:`hampipe.load_model` rebuilds
       it). Set ``time_dependent`` if H depends on t.
    3. A Hamiltonian model implements ``forward(q, p, t)`` → H ``(batch,)`` and
       ``gradients(q, p, t)`` → (∂H/∂q, ∂H/∂p) written so that one backward pass trains
       θ (tested against autograd's double backward); a black-box model implements
       ``vector_field`` directly.
    4. ``tests/models/test_models.py`` checks every registry entry: the field against
       autograd, save and load, the integrators it accepts and refuses.

    Scales (:func:`hampipe.models.data_scales`) are buffers: saved with the model and
    never trained. Shapes: ``q``, ``p`` are ``(batch, dof)``; ``t`` a float or
    ``(batch, 1)``; ``None`` for autonomous use.
    """

    name: ClassVar[str] = ""
    #: The declaration; ``MODELS.register`` sets it and copies its ``hamiltonian`` and
    #: ``separable`` here (an unregistered model, such as a test's exact one, sets them).
    spec: ClassVar[ModelSpec]
    hamiltonian: ClassVar[bool] = True
    separable: ClassVar[bool] = False
    time_dependent: ClassVar[bool] = False

    def __init__(self, dof: int, scales: Mapping[str, float] | None = None) -> None:
        super().__init__()
        self.dof = dof
        unknown = sorted(set(scales or {}) - set(SCALE_NAMES))
        if unknown:
            raise ValueError(f"unknown scale(s) {unknown}; valid: {', '.join(SCALE_NAMES)}")
        for key, neutral in SCALE_NAMES.items():
            value = float((scales or {}).get(key, neutral))
            self.register_buffer(key, torch.tensor(value, dtype=torch.float64))
        self.config: dict[str, Any] = {"dof": dof}

    def initialise(self, scheme: str) -> None:
        """Re-draw the weights of every linear layer by ``scheme`` (``methods.<entry>.init``).

        ``default`` keeps torch's (uniform in ±1/√fan_in, as constructed); ``orthogonal``
        draws each weight matrix orthogonal (Saxe et al. 2014; ``torch.nn.init.orthogonal_``,
        rows or columns orthonormal, whichever are fewer) and sets every bias to 0, as the
        HNN (Greydanus et al. 2019) and DGNet (Matsubara et al. 2020) code do. Parameters
        that are not linear layers (SANN's mass matrix M, rational coefficients) keep
        their initial values. Draws from torch's global generator, in module order.
        """
        if scheme not in INITS:
            raise ValueError(f"unknown init {scheme!r}; valid: {', '.join(INITS)}")
        if scheme == "default":
            return
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    nn.init.orthogonal_(module.weight)
                    if module.bias is not None:
                        module.bias.zero_()

    def _remember(self, arguments: Mapping[str, Any]) -> None:
        """Keep the constructor's options in ``config``; call as ``_remember(locals())``."""
        accepted = set(inspect.signature(type(self)).parameters) - {"dof", "scales"}
        self.config.update({k: arguments[k] for k in sorted(accepted)})

    def gradients(self, q, p, t=None) -> tuple[torch.Tensor, torch.Tensor]:
        """(∂H/∂q, ∂H/∂p), each ``(batch, dof)``."""
        raise NotImplementedError(f"model {self.name!r} has no Hamiltonian")

    def dH_dq(self, q, p, t=None) -> torch.Tensor:
        """∂H/∂q, ``(batch, dof)``."""
        return self.gradients(q, p, t)[0]

    def dH_dp(self, q, p, t=None) -> torch.Tensor:
        """∂H/∂p, ``(batch, dof)``."""
        return self.gradients(q, p, t)[1]

    def vector_field(self, q, p, t=None) -> tuple[torch.Tensor, torch.Tensor]:
        """(dq/dt, dp/dt) = (∂H/∂p, −∂H/∂q) for a Hamiltonian model (SANN Eq. 1)."""
        dH_dq, dH_dp = self.gradients(q, p, t)
        return dH_dp, -dH_dq

    def field(self) -> Field:
        """The model as an integrator's :class:`~hampipe.integrators.Field`."""
        label = f"model {self.name!r}"
        if not self.hamiltonian:
            return Field.from_vector_field(self.vector_field, name=label)
        return Field(self.vector_field, self.dH_dq, self.dH_dp, self.separable, label)
