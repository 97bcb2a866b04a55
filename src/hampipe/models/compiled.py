"""The rational activation's value, slope and backward pass as compiled, fused CPU kernels.

:class:`~hampipe.models.activations.RationalValueAndDerivative` computes R = P/Q and
R' in about twenty elementwise operations and its backward pass in about forty: each
one a pass over a ``(batch, width)`` tensor, which on a CPU at width 64 costs more in
memory traffic and dispatch than in arithmetic. Here the same formulas are written once
as plain tensor expressions (:func:`value_and_slope`, :func:`backward`) and compiled by
``torch.compile`` (TorchInductor: one C++ loop over the elements for the value and
slope, one for the input gradient and the seven coefficient sums), so each layer's
activation is one pass forward and one backward. The backward pass recomputes P, Q and
their derivatives from x instead of saving them (fused, that is cheaper than reading
them back), so only x is kept for it.

The kernels are used only when a training run asks for them (the learner setting
``compile``, :func:`use_compiled`) and only for tensors on the CPU; they need a C++
compiler (TorchInductor's), and :func:`use_compiled` compiles and checks them at once so
that a machine without one is refused before training starts, naming the setting.
Compiled code is cached on disk by TorchInductor, so later processes mostly load it.
Results equal the eager kernels' to rounding (``tests/models/test_compiled.py``).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator

import torch

Tensor = torch.Tensor


def _terms(x: Tensor, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """1/Q, R = P/Q, Q' and R' = (P' − R Q')/Q at ``x`` (coefficients highest degree first)."""
    a0, a1, a2, a3 = a.unbind(-1)
    b0, b1, b2 = b.unbind(-1)
    r = 1 / ((b0 * x + b1) * x + b2)
    value = (((a0 * x + a1) * x + a2) * x + a3) * r
    dQ = 2 * b0 * x + b1
    slope = (((3 * a0) * x + 2 * a1) * x + a2 - value * dQ) * r
    return r, value, dQ, slope


def value_and_slope(x: Tensor, a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """R(x) and R'(x) for R = P/Q, P = Σ a_k x^(3−k), Q = Σ b_k x^(2−k).

    ``x``: ``(..., width)``; ``a``: ``(k, 4)``, ``b``: ``(k, 3)``, k = 1 or width.
    """
    _, value, _, slope = _terms(x, a, b)
    return value, slope


def backward(
    x: Tensor, a: Tensor, b: Tensor, g_value: Tensor, g_slope: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """Gradients of ⟨g_v, R(x)⟩ + ⟨g_d, R'(x)⟩ with respect to x, a and b.

    The formulas of :class:`~hampipe.models.activations.RationalValueAndDerivative`'s
    backward pass: with r = 1/Q, v = R, d = R', R'' = (P'' − 2 d Q' − v Q'') r,
    ∂/∂x = g_v d + g_d R''; α = r (g_v − g_d r Q'), β = g_d r,
    γ = r (g_v v + g_d (d − v r Q')), δ = β v; ∂/∂a_k = Σ m α + m' β for the monomial
    m = x^(3−k), ∂/∂b_k = −Σ (n γ + n' δ) for n = x^(2−k), the sums over every element
    (k = 1) or over the batch per unit (k = width). Returns ``(grad_x, grad_a, grad_b)``
    shaped like ``x``, ``a``, ``b``.
    """
    r, v, dQ, d = _terms(x, a, b)
    a0, a1, b0 = a[..., 0], a[..., 1], b[..., 0]
    second = (6 * a0 * x + 2 * a1 - 2 * d * dQ - 2 * b0 * v) * r
    grad_x = g_value * d + g_slope * second
    alpha = r * (g_value - g_slope * r * dQ)
    beta = g_slope * r
    gamma = r * (g_value * v + g_slope * (d - v * r * dQ))
    delta = beta * v
    x2 = x * x
    terms = (
        x2 * x * alpha + 3 * x2 * beta,
        x2 * alpha + 2 * x * beta,
        x * alpha + beta,
        alpha,
        -(x2 * gamma + 2 * x * delta),
        -(x * gamma + delta),
        -gamma,
    )
    # seven separate reductions, which TorchInductor fuses into one loop (a stacked
    # tensor of the terms would be written out first: twice the time)
    if a.shape[0] == 1:
        grads = torch.stack([term.sum() for term in terms])[None, :]  # (1, 7)
    else:
        width = x.shape[-1]
        grads = torch.stack([term.reshape(-1, width).sum(0) for term in terms], 1)  # (k, 7)
    return grad_x, grads[:, :4], grads[:, 4:]


@functools.cache
def kernels():
    """The compiled ``(value_and_slope, backward)`` pair (compiled lazily, once)."""
    return (
        torch.compile(value_and_slope, dynamic=True),
        torch.compile(backward, dynamic=True),
    )


class CompiledRational(torch.autograd.Function):
    """(x, a, b) ↦ (R(x), R'(x)) through the compiled kernels; differentiable once.

    Same inputs and outputs as
    :class:`~hampipe.models.activations.RationalValueAndDerivative`; a backward pass with
    ``create_graph=True`` raises rather than miss second-order terms.
    """

    @staticmethod
    def forward(ctx, x, a, b):
        value, slope = kernels()[0](x, a, b)
        ctx.save_for_backward(x, a, b)
        return value, slope

    @staticmethod
    def backward(ctx, g_value, g_slope):
        if torch.is_grad_enabled():
            raise RuntimeError(
                "the compiled rational value_and_derivative is differentiable once; a "
                "double backward (create_graph=True) must go through Rational.forward"
            )
        x, a, b = ctx.saved_tensors
        g_value = torch.zeros_like(x) if g_value is None else g_value
        g_slope = torch.zeros_like(x) if g_slope is None else g_slope
        return kernels()[1](x, a, b, g_value, g_slope)


#: Whether :class:`~hampipe.models.activations.Rational` uses the compiled kernels for
#: CPU tensors in this process (set by :func:`use_compiled`).
ACTIVE = {"cpu": False}


def use_compiled(enabled: bool, key: str = "compile") -> None:
    """Turn the compiled kernels on or off for CPU tensors in this process.

    Turning them on compiles both kernels and runs them once on a small input, so a
    machine where TorchInductor cannot build C++ code fails here, with a
    ``RuntimeError`` naming ``key`` (the config setting), not in the middle of training.
    """
    if enabled:
        # as training calls them (coefficients are parameters), so that is what compiles
        x = torch.linspace(-1, 1, 8).reshape(2, 4).requires_grad_()
        a = torch.nn.Parameter(torch.ones(1, 4))
        b = torch.nn.Parameter(torch.tensor([[1.0, 0.0, 1.0]]))
        try:
            value, slope = CompiledRational.apply(x, a, b)
            (value.sum() + slope.sum()).backward()
        except Exception as error:  # noqa: BLE001 - any build failure: name the setting
            raise RuntimeError(
                f"{key}: true, but torch.compile could not build the fused CPU kernels "
                f"of the rational activation here ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else ''}); TorchInductor needs "
                f"a working C++ compiler. Set {key}: false to train with the eager kernels."
            ) from error
    ACTIVE["cpu"] = bool(enabled)


@contextlib.contextmanager
def compiled_kernels(
    enabled: bool, key: str = "compile", device: torch.device | str = "cpu"
) -> Iterator[None]:
    """:func:`use_compiled` for the ``with`` block, the previous choice restored after.

    The kernels are CPU kernels: for a run on another ``device`` they stay off (and
    nothing is compiled), whatever ``enabled`` says.
    """
    before = ACTIVE["cpu"]
    use_compiled(enabled and torch.device(device).type == "cpu", key)
    try:
        yield
    finally:
        ACTIVE["cpu"] = before
