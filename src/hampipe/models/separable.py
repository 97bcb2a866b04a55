"""The physics-informed separable Hamiltonian network of the SANN paper."""

from __future__ import annotations

from itertools import combinations

import torch
from torch import nn

from hampipe.models.activations import MLP

FEATURES = ("coordinates", "pairwise_distances")


class SeparableHamiltonian(nn.Module):
    """H_θ(q, p) = pᵀ M p + φ(q; W), SANN paper Eq. 2 (and Eq. 10 for N bodies).

    M is a trainable n × n matrix (initialised to ½ I in scaled units) and φ a fully
    connected network. With ``features="pairwise_distances"`` φ sees only the distances
    ‖q_i − q_j‖ between the bodies (Eq. 10), which builds translation and rotation
    invariance of the potential into the model.

    Fixed scales, estimated from the training data before training, make the network
    work in units of order one: q/q_s and p/p_s enter, and H is returned in units of
    E_s = p_s v_s (v_s a typical speed), i.e.
    H_θ = E_s [ (p/p_s)ᵀ M (p/p_s) + φ(features(q)/q_s) ]. They are buffers: saved
    with the model and never trained.

    Shapes: ``q``, ``p`` are ``(batch, dof)``; ``H`` is ``(batch,)``.
    """

    separable = True

    def __init__(
        self,
        dof: int,
        width: int = 256,
        depth: int = 3,
        activation: str = "rational",
        rational_sharing: str = "layer",
        features: str = "coordinates",
        spatial_dim: int = 2,
        q_scale: float = 1.0,
        p_scale: float = 1.0,
        energy_scale: float = 1.0,
    ) -> None:
        super().__init__()
        if features not in FEATURES:
            raise ValueError(f"unknown features {features!r}; valid: {', '.join(FEATURES)}")
        self.dof, self.features, self.spatial_dim = dof, features, spatial_dim
        if features == "pairwise_distances":
            if dof % spatial_dim:
                raise ValueError(f"dof {dof} is not a multiple of spatial_dim {spatial_dim}")
            pairs = list(combinations(range(dof // spatial_dim), 2))
            incidence = torch.zeros(len(pairs), dof // spatial_dim)
            for k, (i, j) in enumerate(pairs):
                incidence[k, i], incidence[k, j] = 1.0, -1.0
            in_features = len(pairs)
        else:
            incidence = torch.zeros(0, 0)
            in_features = dof
        # D: (pairs, bodies), D[k] = e_i − e_j for pair k = (i, j); differences = D @ q.
        self.register_buffer("incidence", incidence)
        self.M = nn.Parameter(0.5 * torch.eye(dof))
        self.phi = MLP(in_features, width, depth, activation, rational_sharing)
        self.register_buffer("q_scale", torch.tensor(float(q_scale)))
        self.register_buffer("p_scale", torch.tensor(float(p_scale)))
        self.register_buffer("energy_scale", torch.tensor(float(energy_scale)))
        self.config = {
            "dof": dof,
            "width": width,
            "depth": depth,
            "activation": activation,
            "rational_sharing": rational_sharing,
            "features": features,
            "spatial_dim": spatial_dim,
        }

    def potential_features(self, q: torch.Tensor) -> torch.Tensor:
        """φ's input: scaled coordinates or scaled pairwise distances, ``(batch, k)``."""
        if self.features == "coordinates":
            return q / self.q_scale
        return torch.linalg.vector_norm(self._differences(q), dim=-1) / self.q_scale

    def _differences(self, q: torch.Tensor) -> torch.Tensor:
        """q_i − q_j for every pair, ``(batch, pairs, spatial_dim)``."""
        bodies = q.reshape(q.shape[0], -1, self.spatial_dim)
        return torch.einsum("kb,nbd->nkd", self.incidence.to(q.dtype), bodies)

    def kinetic(self, p: torch.Tensor) -> torch.Tensor:
        """T(p) = E_s (p/p_s)ᵀ M (p/p_s), shape ``(batch,)``."""
        x = p / self.p_scale
        return self.energy_scale * torch.einsum("bi,ij,bj->b", x, self.M, x)

    def potential(self, q: torch.Tensor) -> torch.Tensor:
        """V(q) = E_s φ(features(q)), shape ``(batch,)``."""
        return self.energy_scale * self.phi(self.potential_features(q))

    def forward(self, q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        """H_θ(q, p), shape ``(batch,)``."""
        return self.kinetic(p) + self.potential(q)

    def dH_dp(self, q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        """∂H/∂p = (E_s / p_s²) (M + Mᵀ) p, written by hand (no autograd), ``(batch, dof)``."""
        return self.energy_scale / self.p_scale**2 * p @ (self.M + self.M.T).T

    def dH_dq(self, q: torch.Tensor, p: torch.Tensor | None = None) -> torch.Tensor:
        """∂H/∂q = ∇V(q), written by hand through φ and the features, ``(batch, dof)``.

        For pairwise distances r_k = ‖d_k‖, d_k = q_i − q_j:
        ∂V/∂q = Dᵀ (∂V/∂r_k · d_k / r_k), D the pair incidence matrix.
        The result is an ordinary differentiable expression of θ, so a loss on it
        trains θ with one backward pass.
        """
        _, grad_features = self.phi.value_and_gradient(self.potential_features(q))
        scale = self.energy_scale / self.q_scale
        if self.features == "coordinates":
            return scale * grad_features
        d = self._differences(q)
        r = torch.linalg.vector_norm(d, dim=-1, keepdim=True)
        per_pair = scale * grad_features.unsqueeze(-1) * d / r
        grad_bodies = torch.einsum("kb,nkd->nbd", self.incidence.to(q.dtype), per_pair)
        return grad_bodies.reshape(q.shape)
