"""A general (inseparable) Hamiltonian network H_θ(q, p)."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from hampipe.models.activations import MLP
from hampipe.models.features import PositionFeatures
from hampipe.models.model import Model
from hampipe.models.registry import MODELS


@MODELS.register("general")
class GeneralHamiltonian(Model):
    """H_θ(q, p) = E_s φ(features(q), p̃), one MLP of q and p (SANN paper Appendix H).

    "Like HNN, we use an NN that takes p and q as an input to approximate the
    Hamiltonian directly": no split into kinetic and potential energy, so the model can
    represent inseparable systems such as the chain pendulums (SANN Eq. 14), and leapfrog
    does not apply (building it on this model raises). p̃ = (p − p_c)/p_s, and
    ``features`` chooses what φ sees of q (scaled coordinates by default, or pairwise
    distances). Both gradients come from one hand-written backward pass through φ.
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
        features: str,
        spatial_dim: int,
        scales: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(dof, scales)
        self.features = PositionFeatures(dof, features, spatial_dim)
        self.phi = MLP(
            self.features.size + dof, width, depth, activation, rational_sharing, 1, output_bias
        )
        self._remember(locals())

    def _inputs(self, q, p):
        x_q = self.features(q, self.q_scale, self.q_shift)
        return torch.cat([x_q, (p - self.p_shift) / self.p_scale], dim=-1)

    def forward(self, q: torch.Tensor, p: torch.Tensor, t=None) -> torch.Tensor:
        """H_θ(q, p), shape ``(batch,)``."""
        return self.energy_scale * self.phi(self._inputs(q, p))

    def gradients(self, q, p, t=None):
        _, grad = self.phi.value_and_gradient(self._inputs(q, p))
        k = self.features.size
        dH_dq = self.energy_scale * self.features.pullback(q, grad[:, :k], self.q_scale)
        dH_dp = self.energy_scale * grad[:, k:] / self.p_scale
        return dH_dq, dH_dp
