"""Every ACTIVATIONS entry: σ' against autograd; the MLP's hand-written input gradient."""

import pytest
import torch

from hampipe.models import ACTIVATIONS, MLP, Rational
from hampipe.models.activations import SHARINGS, RationalValueAndDerivative

NAMES = sorted(ACTIVATIONS)


def random_activation(name: str, sharing: str, width: int = 5):
    """An activation in float64 with its trainable coefficients (if any) perturbed."""
    act = ACTIVATIONS[name](width, sharing).double()
    with torch.no_grad():
        for param in act.parameters():
            param.add_(0.05 * torch.randn_like(param))
    return act


def inputs() -> torch.Tensor:
    """(8, 5) points in [−3, 3], none at 0 (where ReLU has its kink)."""
    return torch.linspace(-3, 3, 40, dtype=torch.float64).reshape(8, 5)


def gradients(loss: torch.Tensor, wanted: list[torch.Tensor]) -> list[torch.Tensor]:
    """d loss / d wanted, zeros where the loss does not depend on a tensor (ReLU: σ'' = 0)."""
    if not loss.requires_grad:
        return [torch.zeros_like(w) for w in wanted]
    grads = torch.autograd.grad(loss, wanted, allow_unused=True)
    return [torch.zeros_like(w) if g is None else g for g, w in zip(grads, wanted, strict=True)]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("sharing", SHARINGS)
def test_derivative_matches_autograd(name, sharing):
    act = random_activation(name, sharing)
    x = inputs().requires_grad_(True)
    (auto,) = torch.autograd.grad(act(x).sum(), x)
    torch.testing.assert_close(act.derivative(x), auto, rtol=1e-12, atol=1e-14)
    value, slope = act.value_and_derivative(x)
    torch.testing.assert_close(value, act(x), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(slope, auto, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("sharing", SHARINGS)
def test_derivative_trains_like_double_backward(name, sharing):
    """Training differentiates σ' in x and in the coefficients: compare with autograd's
    double backward of σ."""
    act = random_activation(name, sharing)
    x = inputs().requires_grad_(True)
    weights = torch.randn(8, 5, dtype=torch.float64)
    (slope,) = torch.autograd.grad(act(x).sum(), x, create_graph=True)
    wanted = [x, *act.parameters()]
    auto = gradients((weights * slope).sum(), wanted)
    hand = gradients((weights * act.derivative(x)).sum(), wanted)
    for a, b in zip(hand, auto, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("sharing", SHARINGS)
def test_value_and_derivative_train_like_autograd(name, sharing):
    """Both outputs of value_and_derivative (fused for the rational) backpropagate as
    autograd's double backward of σ does, in x and in the coefficients."""
    act = random_activation(name, sharing)
    x = inputs().requires_grad_(True)
    w_value, w_slope = torch.randn(2, 8, 5, dtype=torch.float64)
    (slope,) = torch.autograd.grad(act(x).sum(), x, create_graph=True)
    wanted = [x, *act.parameters()]
    auto = gradients((w_value * act(x) + w_slope * slope).sum(), wanted)
    value, fused_slope = act.value_and_derivative(x)
    hand = gradients((w_value * value + w_slope * fused_slope).sum(), wanted)
    for a, b in zip(hand, auto, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("sharing", SHARINGS)
def test_fused_rational_passes_gradcheck(sharing):
    act = random_activation("rational", sharing)
    x = inputs().requires_grad_(True)
    assert torch.autograd.gradcheck(
        RationalValueAndDerivative.apply, (x, act.numerator, act.denominator)
    )


def test_fused_rational_refuses_a_double_backward():
    """A create_graph backward through the fused step would miss second-order terms."""
    act = random_activation("rational", "layer")
    x = inputs().requires_grad_(True)
    value, _ = act.value_and_derivative(x)
    with pytest.raises(RuntimeError, match="differentiable once"):
        torch.autograd.grad(value.sum(), x, create_graph=True)


def test_rational_initialised_near_relu():
    act = Rational(width=1).double()
    x = torch.linspace(-1, 1, 2001, dtype=torch.float64)
    err = (act(x) - torch.relu(x)).abs().max().item()
    assert err < 0.03  # best (3, 2) rational approximation of ReLU on [-1, 1]


def test_rational_sharing_sets_the_coefficient_count():
    assert Rational(width=7, sharing="layer").numerator.shape == (1, 4)
    assert Rational(width=7, sharing="unit").numerator.shape == (7, 4)
    with pytest.raises(ValueError, match="valid: layer, unit"):
        Rational(width=7, sharing="network")


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match=f"valid names: {', '.join(NAMES)}"):
        MLP(2, 4, 1, activation="swish")


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("sharing", SHARINGS)
def test_mlp_value_and_gradient_match_autograd(name, sharing):
    net = MLP(3, 16, 3, name, sharing).double()
    x = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
    value, grad = net.value_and_gradient(x)
    (auto,) = torch.autograd.grad(net(x).sum(), x)
    assert value.shape == (7,) and grad.shape == (7, 3)
    torch.testing.assert_close(value, net(x), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad, auto, rtol=1e-10, atol=1e-14)


def test_vector_mlp_has_no_scalar_gradient():
    net = MLP(3, 4, 1, "tanh", out_features=2)
    assert net(torch.randn(5, 3)).shape == (5, 2)
    with pytest.raises(ValueError, match="out_features=1"):
        net.value_and_gradient(torch.randn(5, 3))
