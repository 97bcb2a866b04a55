"""What the potential network sees of q: scaled coordinates or pairwise distances."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import torch
from torch import nn

from hampipe.core.choices import FEATURES


class PositionFeatures(nn.Module):
    """Map q to the network's input and pull input gradients back to ∂/∂q.

    - ``coordinates``: (q − q_c) / q_s;
    - ``pairwise_distances``: ‖q_i − q_j‖ / q_s over every pair of bodies (SANN paper
      Eq. 10), which builds translation and rotation invariance into the model. The
      bodies are consecutive blocks of ``spatial_dim`` coordinates (``x1, y1, x2, …``).

    ``pullback(q, g)`` returns ∂/∂q of a function whose gradient with respect to the
    features is ``g``: for r_k = ‖d_k‖, d_k = q_i − q_j, ∂/∂q = Dᵀ (g_k d_k / r_k) with D
    the pair incidence matrix. Shapes: ``q`` is ``(batch, dof)``.
    """

    def __init__(self, dof: int, features: str = "coordinates", spatial_dim: int = 2) -> None:
        super().__init__()
        if features not in FEATURES:
            raise ValueError(f"unknown features {features!r}; valid: {', '.join(FEATURES)}")
        self.kind, self.spatial_dim = features, spatial_dim
        if features == "pairwise_distances":
            if dof % spatial_dim or dof // spatial_dim < 2:
                raise ValueError(
                    f"pairwise_distances need at least two bodies of {spatial_dim} "
                    f"coordinates; the system has {dof} coordinates"
                )
            pairs = list(combinations(range(dof // spatial_dim), 2))
            incidence = torch.zeros(len(pairs), dof // spatial_dim)
            for k, (i, j) in enumerate(pairs):
                incidence[k, i], incidence[k, j] = 1.0, -1.0
            self.size = len(pairs)
        else:
            incidence = torch.zeros(0, 0)
            self.size = dof
        # D: (pairs, bodies), D[k] = e_i − e_j for pair k = (i, j); differences = D @ q.
        self.register_buffer("incidence", incidence)

    def differences(self, q: torch.Tensor) -> torch.Tensor:
        """q_i − q_j for every pair, ``(batch, pairs, spatial_dim)``."""
        bodies = q.reshape(q.shape[0], -1, self.spatial_dim)
        return torch.einsum("kb,nbd->nkd", self.incidence.to(q.dtype), bodies)

    def forward(self, q: torch.Tensor, q_scale: torch.Tensor, q_shift: torch.Tensor):
        """The features, ``(batch, size)``."""
        if self.kind == "coordinates":
            return (q - q_shift) / q_scale
        return torch.linalg.vector_norm(self.differences(q), dim=-1) / q_scale

    def value_and_pullback(
        self, q: torch.Tensor, q_scale: torch.Tensor, q_shift: torch.Tensor | float
    ) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
        """The features ``(batch, size)`` and their pullback ``grad ↦ ∂/∂q`` at ``q``.

        The pullback reuses the pair differences and distances of the features instead
        of computing them again (as :meth:`pullback` does): ∂/∂q = Dᵀ (g_k / (r_k q_s)) d_k.
        """
        if self.kind == "coordinates":
            return (q - q_shift) / q_scale, lambda grad: grad / q_scale
        d = self.differences(q)
        r = torch.linalg.vector_norm(d, dim=-1)

        def pullback(grad: torch.Tensor) -> torch.Tensor:
            per_pair = (grad / (r * q_scale)).unsqueeze(-1) * d
            bodies = torch.einsum("kb,nkd->nbd", self.incidence.to(q.dtype), per_pair)
            return bodies.reshape(q.shape)

        return r / q_scale, pullback

    def pullback(self, q: torch.Tensor, grad: torch.Tensor, q_scale: torch.Tensor):
        """∂/∂q given the gradient ``grad`` with respect to the features, ``(batch, dof)``."""
        return self.value_and_pullback(q, q_scale, 0.0)[1](grad)
