"""The compiled rational kernels: the same values and gradients as the eager fused step and
autograd's double backward, used only when asked and only on the CPU, and a clean refusal
naming the setting where they cannot be built."""

import pytest
import torch

from hampipe.models import compiled
from hampipe.models.activations import SHARINGS, RationalValueAndDerivative
from hampipe.models.compiled import CompiledRational, compiled_kernels, use_compiled
from tests.models.test_activations import gradients, inputs, random_activation


@pytest.fixture(autouse=True)
def eager_after():
    """Every test leaves the process on the eager kernels, as it found it."""
    yield
    compiled.ACTIVE["cpu"] = False


@pytest.mark.parametrize("sharing", SHARINGS)
def test_compiled_kernels_equal_autograd_and_the_eager_step(sharing):
    """Values, slopes and the gradients in x and both coefficient sets (float64), against
    autograd's double backward of P/Q and against the eager fused step."""
    act = random_activation("rational", sharing)
    x = inputs().requires_grad_(True)
    w_value, w_slope = torch.randn(2, 8, 5, dtype=torch.float64)
    wanted = [x, *act.parameters()]
    (slope,) = torch.autograd.grad(act(x).sum(), x, create_graph=True)
    auto = gradients((w_value * act(x) + w_slope * slope).sum(), wanted)
    for apply in (CompiledRational.apply, RationalValueAndDerivative.apply):
        value, fused_slope = apply(x, act.numerator, act.denominator)
        torch.testing.assert_close(value, act(x), rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(fused_slope, slope, rtol=1e-12, atol=1e-14)
        hand = gradients((w_value * value + w_slope * fused_slope).sum(), wanted)
        for a, b in zip(hand, auto, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_compiled_kernels_take_batches_of_any_size_and_one_output_alone():
    """Dynamic shapes (the groups of a SANN batch differ in size) and a cotangent for the
    value alone (the slope's is None)."""
    act = random_activation("rational", "layer")
    for rows in (3, 17, 64):
        x = torch.randn(rows, 5, dtype=torch.float64, requires_grad=True)
        value, _ = CompiledRational.apply(x, act.numerator, act.denominator)
        (grad,) = torch.autograd.grad(value.sum(), x)
        torch.testing.assert_close(grad, act.derivative(x), rtol=1e-12, atol=1e-14)


def test_the_switch_routes_cpu_tensors_only_while_on(monkeypatch):
    act = random_activation("rational", "unit")
    calls = []
    apply = CompiledRational.apply
    monkeypatch.setattr(CompiledRational, "apply", lambda *a: calls.append(1) or apply(*a))
    act.value_and_derivative(inputs())
    assert calls == []  # off by default
    with compiled_kernels(True):  # its own check runs the kernels once
        calls.clear()
        act.value_and_derivative(inputs())
        assert calls == [1]
    act.value_and_derivative(inputs())
    assert calls == [1] and compiled.ACTIVE["cpu"] is False  # restored after the block
    with compiled_kernels(True, device="cuda"):  # CPU kernels: off for another device
        assert compiled.ACTIVE["cpu"] is False


def test_compiled_step_refuses_a_double_backward():
    act = random_activation("rational", "layer")
    x = inputs().requires_grad_(True)
    value, _ = CompiledRational.apply(x, act.numerator, act.denominator)
    with pytest.raises(RuntimeError, match="differentiable once"):
        torch.autograd.grad(value.sum(), x, create_graph=True)


def test_a_machine_that_cannot_build_them_is_refused_naming_the_setting(monkeypatch):
    def broken():
        def fail(*args):
            raise OSError("g++: command not found")

        return fail, fail

    monkeypatch.setattr(compiled, "kernels", broken)
    with pytest.raises(RuntimeError, match=r"methods\.sann\.compile: true, but torch\.compile"):
        use_compiled(True, "methods.sann.compile")
    assert compiled.ACTIVE["cpu"] is False
    use_compiled(False, "methods.sann.compile")  # turning them off needs no compiler
