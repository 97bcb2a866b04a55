"""The physics-informed separable Hamiltonian network of the SANN paper."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from hampipe.models.activations import MLP
from hampipe.models.features import PositionFeatures
from hampipe.models.model import Model
from hampipe.models.registry import MODELS


@MODELS.register("separable")
class SeparableHamiltonian(Model):
    """H_θ(q, p) = pᵀ M p + φ(q; W), SANN paper Eq. 2 (and Eq. 10 for N bodies).

    M is a trainable n × n matrix (initialised to ½ I in scaled units) and φ a fully
    connected network. With ``features="pairwise_distances"`` φ sees only the distances
    ‖q_i − q_j‖ between the bodies (Eq. 10).

    In scaled units H_θ = E_s [ p̃ᵀ M p̃ + φ(features(q)) ] with p̃ = p/p_s, E_s and
    p_s fixed buffers estimated from the training data (the momentum shift of
    ``scaling: range`` is not applied to the kinetic term, which must stay centred on
    p = 0). Separable, so
    leapfrog applies; ∂H/∂q and ∂H/∂p are written by hand (no autograd): a loss on them
    trains θ with one backward pass.
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
        self.M = nn.Parameter(0.5 * torch.eye(dof))
        self.phi = MLP(
            self.features.size, width, depth, activation, rational_sharing, 1, output_bias
        )
        self._remember(locals())

    def _p_tilde(self, p):
        # no shift: pᵀMp must stay centred on p = 0 (a shifted quadratic would add a
        # term linear in p that φ(q) cannot cancel)
        return p / self.p_scale

    def kinetic(self, p: torch.Tensor) -> torch.Tensor:
        """T(p) = E_s p̃ᵀ M p̃, shape ``(batch,)``."""
        x = self._p_tilde(p)
        return self.energy_scale * torch.einsum("bi,ij,bj->b", x, self.M, x)

    def potential(self, q: torch.Tensor) -> torch.Tensor:
        """V(q) = E_s φ(features(q)), shape ``(batch,)``."""
        return self.energy_scale * self.phi(self.features(q, self.q_scale, self.q_shift))

    def forward(self, q: torch.Tensor, p: torch.Tensor, t=None) -> torch.Tensor:
        """H_θ(q, p), shape ``(batch,)``."""
        return self.kinetic(p) + self.potential(q)

    def dH_dp(self, q, p, t=None) -> torch.Tensor:
        """∂H/∂p = (E_s / p_s) (M + Mᵀ) p̃, ``(batch, dof)``."""
        return self.energy_scale / self.p_scale * self._p_tilde(p) @ (self.M + self.M.T).T

    def dH_dq(self, q, p=None, t=None) -> torch.Tensor:
        """∂H/∂q = ∇V(q) through φ and the features, ``(batch, dof)``."""
        x, pullback = self.features.value_and_pullback(q, self.q_scale, self.q_shift)
        _, grad_features = self.phi.value_and_gradient(x)
        return self.energy_scale * pullback(grad_features)

    def gradients(self, q, p, t=None):
        return self.dH_dq(q, p), self.dH_dp(q, p)
