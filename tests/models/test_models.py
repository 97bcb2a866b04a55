"""Hand-written gradients against autograd; activations; model scaling."""

import numpy as np
import pytest
import torch

from hampipe.models import ACTIVATIONS, MLP, Rational, SeparableHamiltonian, data_scales


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("sharing", ["layer", "unit"])
def test_activation_derivative_matches_autograd(name, sharing):
    act = ACTIVATIONS[name](width=5, sharing=sharing).double()
    x = torch.linspace(-3, 3, 40, dtype=torch.float64).reshape(8, 5).requires_grad_(True)
    (auto,) = torch.autograd.grad(act(x).sum(), x)
    torch.testing.assert_close(act.derivative(x), auto)


def test_rational_initialised_near_relu():
    act = Rational(width=1).double()
    x = torch.linspace(-1, 1, 2001, dtype=torch.float64)
    err = (act(x) - torch.relu(x)).abs().max().item()
    assert err < 0.03  # best (3, 2) rational approximation of ReLU on [-1, 1]


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="valid names: rational, relu, tanh"):
        MLP(2, 4, 1, activation="swish")


@pytest.mark.parametrize("activation", ["rational", "tanh"])
def test_mlp_input_gradient_matches_autograd(activation):
    net = MLP(3, 16, 3, activation, "unit").double()
    x = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
    value, grad = net.value_and_gradient(x)
    (auto,) = torch.autograd.grad(net(x).sum(), x)
    torch.testing.assert_close(value, net(x))
    torch.testing.assert_close(grad, auto)


@pytest.mark.parametrize(
    "features,dof", [("coordinates", 1), ("coordinates", 4), ("pairwise_distances", 6)]
)
def test_hamiltonian_gradients_match_autograd(features, dof):
    model = SeparableHamiltonian(
        dof, width=16, depth=2, features=features, q_scale=1.7, p_scale=0.6, energy_scale=2.5
    ).double()
    with torch.no_grad():
        model.M.add_(0.1 * torch.randn(dof, dof, dtype=torch.float64))  # not symmetric
    q = torch.randn(5, dof, dtype=torch.float64, requires_grad=True)
    p = torch.randn(5, dof, dtype=torch.float64, requires_grad=True)
    dq_auto, dp_auto = torch.autograd.grad(model(q, p).sum(), (q, p))
    torch.testing.assert_close(model.dH_dq(q, p), dq_auto)
    torch.testing.assert_close(model.dH_dp(q, p), dp_auto)


def test_hand_gradient_is_differentiable_in_theta():
    """Training differentiates dH/dq with respect to θ: compare with double autograd."""
    model = SeparableHamiltonian(6, width=8, depth=2, features="pairwise_distances").double()
    q = torch.randn(4, 6, dtype=torch.float64)
    loss_hand = (model.dH_dq(q) ** 2).sum()
    params = [p for n, p in model.phi.named_parameters() if n != "out.bias"]  # H's offset
    grads_hand = torch.autograd.grad(loss_hand, params)
    q_req = q.clone().requires_grad_(True)
    (dq_auto,) = torch.autograd.grad(model.potential(q_req).sum(), q_req, create_graph=True)
    grads_auto = torch.autograd.grad((dq_auto**2).sum(), params)
    for a, b in zip(grads_hand, grads_auto, strict=True):
        torch.testing.assert_close(a, b)


def test_pairwise_potential_is_translation_and_rotation_invariant():
    model = SeparableHamiltonian(6, width=8, depth=2, features="pairwise_distances").double()
    q = torch.randn(3, 6, dtype=torch.float64)
    c, s = np.cos(0.7), np.sin(0.7)
    rot = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    moved = q.reshape(3, 3, 2) @ rot.T + torch.tensor([2.0, -1.0], dtype=torch.float64)
    torch.testing.assert_close(model.potential(q), model.potential(moved.reshape(3, 6)))


def test_data_scales():
    t = np.arange(4) * 0.5
    q = np.array([[[0.0], [1.0], [2.0], [3.0]]])
    p = np.full((1, 4, 1), 2.0)
    scales = data_scales(q, p, t)
    assert scales["q_scale"] == pytest.approx(np.sqrt(14 / 4))
    assert scales["p_scale"] == pytest.approx(2.0)
    assert scales["energy_scale"] == pytest.approx(2.0 * 2.0)  # p_s · |Δq/Δt|
    with pytest.raises(ValueError, match="scale"):
        data_scales(np.zeros_like(q), p, t)
