"""A black-box vector field f_θ(q, p) → (dq/dt, dp/dt), with no Hamiltonian structure."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from hampipe.models.activations import MLP
from hampipe.models.model import Model
from hampipe.models.registry import MODELS


@MODELS.register("vector_field")
class VectorFieldNetwork(Model):
    """dq/dt = v_s g_q(q̃, p̃), dp/dt = f_s g_p(q̃, p̃), g = (g_q, g_p) one MLP R²ⁿ → R²ⁿ.

    The black-box baseline (the ``ode`` method; a neural ODE in the sense of Chen et al.
    2018): nothing makes the learned field conserve an energy or preserve volume, so
    differences to the Hamiltonian models show what the structure buys. q̃, p̃ are the
    scaled state and v_s, f_s the data's typical rates (:func:`data_scales`). Not
    Hamiltonian: integrators that need ∂H/∂q (leapfrog, symplectic Euler) refuse it.
    """

    def __init__(
        self,
        dof: int,
        *,
        width: int,
        depth: int,
        activation: str,
        rational_sharing: str,
        output_bias: bool,
        scales: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(dof, scales)
        self.g = MLP(2 * dof, width, depth, activation, rational_sharing, 2 * dof, output_bias)
        self._remember(locals())

    def vector_field(self, q, p, t=None) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.cat([(q - self.q_shift) / self.q_scale, (p - self.p_shift) / self.p_scale], -1)
        out = self.g(x)
        return self.velocity_scale * out[:, : self.dof], self.force_scale * out[:, self.dof :]
