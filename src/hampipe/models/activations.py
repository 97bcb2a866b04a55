"""Activation functions for the potential network φ, with their registry.

Every activation provides its derivative, so that :class:`MLP` can return ∇φ by a
hand-written backward pass (a plain expression that autograd differentiates once more
during training), instead of autograd's slower double backward.
"""

from __future__ import annotations

import torch
from torch import nn

from hampipe.core.choices import ACTIVATIONS as ACTIVATION_NAMES
from hampipe.core.choices import RATIONAL_SHARINGS
from hampipe.core.registry import Registry

#: Best rational approximation of ReLU on [−1, 1] of type (3, 2) (Boullé et al. 2020):
#: numerator and denominator coefficients, highest degree first.
RELU_NUMERATOR = (1.1915, 1.5957, 0.5, 0.0218)
RELU_DENOMINATOR = (2.383, 0.0, 1.0)
SHARINGS = RATIONAL_SHARINGS


class Activation(nn.Module):
    """An elementwise activation σ with its derivative σ'.

    Implementer's checklist: register with ``@ACTIVATIONS.register(name)``, accept
    ``(width, sharing)``, implement ``forward`` and ``derivative``;
    ``tests/models/test_activations.py`` checks σ' against autograd for every entry.
    """

    def __init__(self, width: int, sharing: str = "layer") -> None:
        super().__init__()

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def value_and_derivative(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """σ(x) and σ'(x) together (subclasses may share work between the two)."""
        return self(x), self.derivative(x)


ACTIVATIONS: Registry[Activation] = Registry("activation", ACTIVATION_NAMES)


@ACTIVATIONS.register("rational")
class Rational(Activation):
    """Rational activation R(x) = P(x) / Q(x), deg P = 3, deg Q = 2 (Boullé et al. 2020).

    Coefficients are trainable and initialised to the best rational approximation of
    ReLU on [−1, 1]: P = 1.1915 x³ + 1.5957 x² + 0.5 x + 0.0218, Q = 2.383 x² + 1
    (Q has no real root there). ``sharing="layer"`` keeps one coefficient set per layer
    (the authors' PyTorch code); ``"unit"`` one set per hidden unit (their Keras code).
    R'(x) = (P'Q − PQ') / Q².
    """

    def __init__(self, width: int, sharing: str = "layer") -> None:
        super().__init__(width, sharing)
        if sharing not in SHARINGS:
            raise ValueError(f"unknown rational sharing {sharing!r}; valid: {', '.join(SHARINGS)}")
        shape = (1,) if sharing == "layer" else (width,)
        self.numerator = nn.Parameter(torch.tensor(RELU_NUMERATOR).repeat(*shape, 1))
        self.denominator = nn.Parameter(torch.tensor(RELU_DENOMINATOR).repeat(*shape, 1))

    def _pq(self, x: torch.Tensor):
        a, b = self.numerator, self.denominator  # (k, 4), (k, 3), k = 1 or width
        a0, a1, a2, a3 = a[:, 0], a[:, 1], a[:, 2], a[:, 3]
        b0, b1, b2 = b[:, 0], b[:, 1], b[:, 2]
        P = ((a0 * x + a1) * x + a2) * x + a3
        Q = (b0 * x + b1) * x + b2
        return P, Q, (3 * a0 * x + 2 * a1) * x + a2, 2 * b0 * x + b1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        P, Q, _, _ = self._pq(x)
        return P / Q

    def derivative(self, x: torch.Tensor) -> torch.Tensor:
        P, Q, dP, dQ = self._pq(x)
        return (dP * Q - P * dQ) / Q**2

    def value_and_derivative(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """R(x) and R'(x) in one fused step with a hand-written backward pass.

        :class:`RationalValueAndDerivative` computes both with a dozen elementwise
        operations and differentiates them (in x and in the coefficients) in one
        autograd node, where the plain expression costs about forty nodes: the bulk of
        a SANN training step on the CPU. Equal to the plain expression to rounding
        (``tests/models/test_activations.py``).
        """
        return RationalValueAndDerivative.apply(x, self.numerator, self.denominator)


class RationalValueAndDerivative(torch.autograd.Function):
    """(x, a, b) ↦ (R(x), R'(x)) for R = P/Q, P = Σ a_k x^(3−k), Q = Σ b_k x^(2−k).

    ``x`` is ``(..., width)``; ``a`` ``(k, 4)`` and ``b`` ``(k, 3)`` with k = 1 (one
    coefficient set for the layer) or k = width (one per unit), highest degree first.

    With r = 1/Q, v = R = P r and d = R' = (P' − v Q') r, the backward pass uses
    R'' = (P'' − 2 d Q' − v Q'') r and, for cotangents g_v, g_d of v and d,

    - ∂/∂x: g_v d + g_d R'';
    - ∂/∂a_k, monomial m = x^(3−k): Σ m α + m' β, with α = r (g_v − g_d r Q'), β = g_d r;
    - ∂/∂b_k, monomial n = x^(2−k): −Σ (n γ + n' δ), with γ = r (g_v v + g_d (d − v r Q')),
      δ = β v;

    the sums running over the batch (and the units when k = 1). Differentiable once
    (training needs no more): a backward pass with ``create_graph=True`` raises rather
    than return a gradient that silently misses second-order terms.
    """

    @staticmethod
    def forward(ctx, x, a, b):
        a0, a1, a2, a3 = a.unbind(-1)
        b0, b1, b2 = b.unbind(-1)
        P = torch.addcmul(a2, torch.addcmul(a1, a0, x), x)
        P = torch.addcmul(a3, P, x)
        Q = torch.addcmul(b2, torch.addcmul(b1, b0, x), x)
        dP = torch.addcmul(a2, torch.addcmul(2 * a1, 3 * a0, x), x)
        dQ = torch.addcmul(b1, 2 * b0, x)
        r = Q.reciprocal_()
        value = P.mul_(r)
        slope = torch.addcmul(dP, value, dQ, value=-1).mul_(r)
        ctx.save_for_backward(x, a, b, r, value, slope, dQ)
        return value, slope

    @staticmethod
    def backward(ctx, g_value, g_slope):
        if torch.is_grad_enabled():
            raise RuntimeError(
                "the fused rational value_and_derivative is differentiable once; a double "
                "backward (create_graph=True) must go through Rational.forward instead"
            )
        x, a, b, r, v, d, dQ = ctx.saved_tensors
        if g_value is None:
            g_value = torch.zeros_like(v)
        if g_slope is None:
            g_slope = torch.zeros_like(d)
        a0, a1 = a[:, 0], a[:, 1]
        b0 = b[:, 0]
        # R'' = (P'' − 2 d Q' − v Q'') r with P'' = 6 a0 x + 2 a1, Q'' = 2 b0
        d2P = torch.addcmul(2 * a1, 6 * a0, x)
        second = (d2P - 2 * d * dQ - v * (2 * b0)) * r
        grad_x = g_value * d + g_slope * second if ctx.needs_input_grad[0] else None
        if not (ctx.needs_input_grad[1] or ctx.needs_input_grad[2]):
            return grad_x, None, None
        beta = g_slope * r
        rdQ = r * dQ
        alpha = (g_value - beta * dQ) * r
        gamma = (g_value * v + g_slope * (d - v * rdQ)) * r
        delta = beta * v
        k = a.shape[0]
        weights = torch.stack([alpha, beta, gamma, delta]).reshape(4, -1, k)  # (4, n, k)
        powers = torch.stack([x, x * x]).reshape(2, -1, k)
        powers = torch.cat([powers, (powers[1] * x.reshape(-1, k)).unsqueeze(0)])  # x, x², x³
        # S[j, c, u]: Σ weight_c x^(j+1) over the batch for unit u (or the whole layer)
        S = torch.einsum("pnk,cnk->pck", powers, weights)
        sums = weights.sum(1)  # (4, k): Σ α, Σ β, Σ γ, Σ δ
        Sa, Sb, Sg, Sd = 0, 1, 2, 3
        grad_a = torch.stack(
            [
                S[2, Sa] + 3 * S[1, Sb],
                S[1, Sa] + 2 * S[0, Sb],
                S[0, Sa] + sums[Sb],
                sums[Sa],
            ],
            -1,
        )
        grad_b = torch.stack(
            [
                -S[1, Sg] - 2 * S[0, Sd],
                -S[0, Sg] - sums[Sd],
                -sums[Sg],
            ],
            -1,
        )
        return grad_x, grad_a, grad_b


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    """Hyperbolic tangent (ablation baseline, SANN §6); σ' = 1 − tanh²."""

    def forward(self, x):
        return torch.tanh(x)

    def derivative(self, x):
        return 1 - torch.tanh(x) ** 2

    def value_and_derivative(self, x):
        value = torch.tanh(x)
        return value, torch.addcmul(torch.ones_like(value), value, value, value=-1)


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    """Rectified linear unit (ablation baseline, SANN §6); σ' is a step, σ'' = 0."""

    def forward(self, x):
        return torch.relu(x)

    def derivative(self, x):
        return (x > 0).to(x.dtype)


class MLP(nn.Module):
    """φ: R^in → R^out, ``depth`` hidden layers of ``width`` units and activation σ.

    With ``out_features=1`` (a scalar potential or Hamiltonian) the output has shape
    ``(batch,)``, otherwise ``(batch, out_features)``; ``output_bias=False`` drops the
    output layer's bias (the HNN paper's networks).

    ``value_and_gradient(x)`` returns φ(x) and ∇ₓφ(x) by the chain rule written out,
    ∇φ = W₁ᵀ diag σ'(z₁) ⋯ W_Lᵀ diag σ'(z_L) w_out, so training differentiates a
    first-order expression once (tested against autograd).
    """

    def __init__(
        self,
        in_features: int,
        width: int,
        depth: int,
        activation: str = "rational",
        sharing: str = "layer",
        out_features: int = 1,
        output_bias: bool = True,
    ) -> None:
        super().__init__()
        act = ACTIVATIONS.get_class(activation)
        sizes = [in_features] + [width] * depth
        self.linears = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )
        self.activations = nn.ModuleList(act(width, sharing) for _ in range(depth))
        self.out = nn.Linear(sizes[-1], out_features, bias=output_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for linear, act in zip(self.linears, self.activations, strict=True):
            x = act(linear(x))
        y = self.out(x)
        return y.squeeze(-1) if self.out.out_features == 1 else y

    def value_and_gradient(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """φ(x) of shape ``(batch,)`` and ∇ₓφ of shape ``(batch, in_features)`` (scalar φ)."""
        if self.out.out_features != 1:
            raise ValueError("value_and_gradient needs a scalar network (out_features=1)")
        slopes = []
        for linear, act in zip(self.linears, self.activations, strict=True):
            x, slope = act.value_and_derivative(linear(x))
            slopes.append(slope)
        value = self.out(x).squeeze(-1)
        grad = self.out.weight.expand(x.shape[0], -1)
        for linear, slope in zip(reversed(self.linears), reversed(slopes), strict=True):
            grad = (grad * slope) @ linear.weight
        return value, grad
