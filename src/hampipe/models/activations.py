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
from hampipe.models import compiled

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

        :class:`RationalValueAndDerivative` computes both with about twenty elementwise
        operations and differentiates them (in x and in the coefficients) in one
        autograd node, where the plain expression costs about forty nodes: the bulk of
        a SANN training step on the CPU. Equal to the plain expression to rounding
        (``tests/models/test_activations.py``). On the CPU, where a training run asks
        for them (:func:`hampipe.models.compiled.use_compiled`), the same formulas run
        as compiled fused kernels (:class:`~hampipe.models.compiled.CompiledRational`).
        """
        if compiled.ACTIVE["cpu"] and x.device.type == "cpu":
            return compiled.CompiledRational.apply(x, self.numerator, self.denominator)
        return RationalValueAndDerivative.apply(x, self.numerator, self.denominator)


def _moment_weights() -> torch.Tensor:
    """How the moments M[p, c] = Σ x^p w_c (p = 0…3; c = α, β, γ, δ), flattened to p·4 + c,
    combine into the coefficient gradients (∂/∂a₀…a₃, ∂/∂b₀…b₂) of
    :class:`RationalValueAndDerivative`'s backward pass: a ``(16, 7)`` matrix."""
    columns = [
        ((3, 0, 1), (2, 1, 3)),  # ∂/∂a0 = Σ x³α + 3x²β
        ((2, 0, 1), (1, 1, 2)),  # ∂/∂a1 = Σ x²α + 2xβ
        ((1, 0, 1), (0, 1, 1)),  # ∂/∂a2 = Σ xα + β
        ((0, 0, 1),),  # ∂/∂a3 = Σ α
        ((2, 2, -1), (1, 3, -2)),  # ∂/∂b0 = −Σ x²γ + 2xδ
        ((1, 2, -1), (0, 3, -1)),  # ∂/∂b1 = −Σ xγ + δ
        ((0, 2, -1),),  # ∂/∂b2 = −Σ γ
    ]
    weights = torch.zeros(16, len(columns), dtype=torch.float64)
    for column, terms in enumerate(columns):
        for power, weight, factor in terms:
            weights[4 * power + weight, column] = factor
    return weights


MOMENT_WEIGHTS = _moment_weights()


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

    the sums running over the batch (and the units when k = 1): the moments
    Σ x^p w, p = 0…3, w = α, β, γ, δ, are one matrix product of the stacked powers
    and weights (per unit: a batched one), combined by :data:`MOMENT_WEIGHTS`. Every
    elementwise step has at most one broadcast coefficient operand (torch's CPU kernels
    leave the vectorised loop when two operands broadcast). Differentiable once
    (training needs no more): a backward pass with ``create_graph=True`` raises rather
    than return a gradient that silently misses second-order terms.
    """

    @staticmethod
    def forward(ctx, x, a, b):
        a0, a1, a2, a3 = a.unbind(-1)
        b0, b1, b2 = b.unbind(-1)
        x2 = x * x
        P = (x2 * x).mul_(a0).addcmul_(x2, a1).addcmul_(x, a2).add_(a3)
        r = (x2 * b0).addcmul_(x, b1).add_(b2).reciprocal_()
        dQ = (x * (2 * b0)).add_(b1)
        value = P.mul_(r)
        slope = (x2.mul_(3 * a0)).addcmul_(x, 2 * a1).add_(a2)
        slope.addcmul_(value, dQ, value=-1).mul_(r)
        ctx.save_for_backward(x, a, b, r, value, slope)  # Q' is recomputed: less memory
        return value, slope

    @staticmethod
    def backward(ctx, g_value, g_slope):
        if torch.is_grad_enabled():
            raise RuntimeError(
                "the fused rational value_and_derivative is differentiable once; a double "
                "backward (create_graph=True) must go through Rational.forward instead"
            )
        x, a, b, r, v, d = ctx.saved_tensors
        dQ = (x * (2 * b[:, 0])).add_(b[:, 1])
        if g_value is None:
            g_value = torch.zeros_like(v)
        if g_slope is None:
            g_slope = torch.zeros_like(d)
        grad_x = grad_a = grad_b = None
        if ctx.needs_input_grad[0]:
            # R'' r⁻¹ = P'' − 2 d Q' − v Q'', P'' = 6 a0 x + 2 a1, Q'' = 2 b0
            second = (x * (6 * a[:, 0])).add_(2 * a[:, 1]).addcmul_(d, dQ, value=-2)
            second.addcmul_(v, 2 * b[:, 0], value=-1).mul_(r)
            grad_x = (g_value * d).addcmul_(g_slope, second)
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            weights = x.new_empty((4, *x.shape))  # α, β, γ, δ
            beta = torch.mul(g_slope, r, out=weights[1])
            torch.mul(beta, v, out=weights[3])
            torch.addcmul(g_value, beta, dQ, value=-1, out=weights[0]).mul_(r)
            gamma = torch.addcmul(d, v, r * dQ, value=-1).mul_(g_slope).addcmul_(g_value, v)
            torch.mul(gamma, r, out=weights[2])
            powers = x.new_empty((4, *x.shape))  # 1, x, x², x³
            powers[0].fill_(1)
            powers[1].copy_(x)
            torch.mul(x, x, out=powers[2])
            torch.mul(powers[2], x, out=powers[3])
            k = a.shape[0]
            if k == 1:
                moments = (powers.reshape(4, -1) @ weights.reshape(4, -1).T).reshape(1, 16)
            else:
                moments = torch.einsum(
                    "pnk,cnk->kpc", powers.reshape(4, -1, k), weights.reshape(4, -1, k)
                ).reshape(k, 16)
            grads = moments @ MOMENT_WEIGHTS.to(moments)
            grad_a, grad_b = grads[:, :4], grads[:, 4:]
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
