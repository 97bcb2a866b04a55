"""HINN's residual network from [t, q, p] to a Hamiltonian."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from hampipe.models.activations import ACTIVATIONS
from hampipe.models.model import Model
from hampipe.models.registry import MODELS


@MODELS.register("resnet")
class ResNetHamiltonian(Model):
    """H_θ(t, q, p) from a residual network (HINN poster and blog, seeds 002/003).

    After Haber & Ruthotto (2018), as in the HINN write-up::

        Y₀ = σ(K_in x + b_in),   x = [t/t_s, q̃, p̃]
        Y_{j+1} = Y_j + h σ(K_j Y_j + b_j),   j = 0 … depth − 1
        H_θ = E_s (w · Y_depth + c)

    with ``depth`` residual layers of ``width`` units and step h = 1/depth (the network
    is a forward-Euler discretisation of an ODE on [0, 1]). HINN feeds the time in, so
    the learned H may depend on t (``time_input``); it is in general inseparable. The
    gradients (∂H/∂q, ∂H/∂p) come from the chain rule written out layer by layer:
    g_j = g_{j+1} + h K_jᵀ (σ'(z_j) ⊙ g_{j+1}).
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
        time_input: bool,
        scales: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(dof, scales)
        act = ACTIVATIONS.get_class(activation)
        self.time_input = bool(time_input)
        self.opening = nn.Linear(2 * dof + int(self.time_input), width)
        self.opening_activation = act(width, rational_sharing)
        self.layers = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.activations = nn.ModuleList(act(width, rational_sharing) for _ in range(depth))
        self.out = nn.Linear(width, 1, bias=output_bias)
        self.h = 1.0 / depth
        self._remember(locals())

    @property
    def time_dependent(self) -> bool:  # type: ignore[override]
        return self.time_input

    def _inputs(self, q, p, t):
        parts = [(q - self.q_shift) / self.q_scale, (p - self.p_shift) / self.p_scale]
        if self.time_input:
            if t is None:
                raise ValueError("this resnet model takes the time t as an input; pass t")
            time = torch.as_tensor(t, dtype=q.dtype, device=q.device)
            parts.insert(0, time.expand(q.shape[0], 1) / self.time_scale)
        return torch.cat(parts, dim=-1)

    def _run(self, x):
        """Y_depth and the slopes σ'(z_j) of every layer (opening first)."""
        y, slope = self.opening_activation.value_and_derivative(self.opening(x))
        slopes = [slope]
        for layer, act in zip(self.layers, self.activations, strict=True):
            value, slope = act.value_and_derivative(layer(y))
            y = y + self.h * value
            slopes.append(slope)
        return y, slopes

    def forward(self, q: torch.Tensor, p: torch.Tensor, t=None) -> torch.Tensor:
        """H_θ(t, q, p), shape ``(batch,)`` (plain activations: autograd may differentiate
        it twice)."""
        y = self.opening_activation(self.opening(self._inputs(q, p, t)))
        for layer, act in zip(self.layers, self.activations, strict=True):
            y = y + self.h * act(layer(y))
        return self.energy_scale * self.out(y).squeeze(-1)

    def gradients(self, q, p, t=None):
        y, slopes = self._run(self._inputs(q, p, t))
        g = self.out.weight.expand(y.shape[0], -1)
        for layer, slope in zip(reversed(self.layers), reversed(slopes[1:]), strict=True):
            g = g + self.h * (g * slope) @ layer.weight
        g = (g * slopes[0]) @ self.opening.weight
        g = g[:, int(self.time_input) :]
        dH_dq = self.energy_scale * g[:, : self.dof] / self.q_scale
        dH_dp = self.energy_scale * g[:, self.dof :] / self.p_scale
        return dH_dq, dH_dp
