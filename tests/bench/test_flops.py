"""FLOP counts against counts by hand, the matmul ceiling, and the fraction of it."""

import pytest
import torch
from torch import nn

from hampipe.bench.flops import count_flops, dense_matmul_ceiling, fraction_of_ceiling
from hampipe.data import simulate
from hampipe.models import METHODS
from hampipe.systems import make_system


def test_count_of_a_small_network_step_is_the_hand_count():
    """Forward 2n(d·w + w·w + w·1); backward: each layer's weight gradient (the same
    again) and the input gradient of every layer but the first (data need none)."""
    n, d, w = 7, 3, 5
    net = nn.Sequential(nn.Linear(d, w), nn.Tanh(), nn.Linear(w, w), nn.Tanh(), nn.Linear(w, 1))
    x = torch.randn(n, d)

    def step():
        net(x).square().sum().backward()

    forward = 2 * n * (d * w + w * w + w)
    backward = forward + 2 * n * (w * w + w)
    assert count_flops(step) == forward + backward


def test_count_of_an_srnn_step_is_the_hand_count():
    """SRNN's loss and backward on a two-body problem (dof d, batch n, S sub-steps), φ of
    one tanh layer of width w on the coordinates, against a count by hand:

    - S + 1 evaluations of ∂V/∂q (the merged half-kicks), each a forward through the
      hidden layer (2ndw) and the output layer (2nw) and a product back to the input
      (2nwd); S of ∂T/∂p, one n × d × d product each;
    - backward: the hidden layer's weight gradient (2ndw) and, except where q is the
      observed q₀, its input gradient (2ndw); both operands of the product back to the
      input (4nwd) and of each ∂T/∂p product (4nd²); the output layer's value is not in
      the loss.
    """
    ds = simulate(make_system("two_body"), 2, 5, 0.1, seed=0)
    n, d, S, w = 2 * 4, ds.sizes["dof"], 3, 6
    h = {"width": w, "depth": 1, "activation": "tanh", "substeps": S, "window": 1}
    method = METHODS["srnn"].build(h, ds)
    batch = method.examples(ds)
    assert batch["q0"].shape == (n, d)

    def step():
        method.loss(batch).backward()

    forward = (S + 1) * (2 * n * d * w + 2 * n * w + 2 * n * w * d) + S * 2 * n * d * d
    backward = (S + 1) * (2 * n * d * w + 4 * n * w * d) + S * 2 * n * d * w + S * 4 * n * d * d
    assert count_flops(step) == pytest.approx(forward + backward, rel=0.02)


def test_ceiling_is_a_timed_square_product_with_the_current_threads():
    record = dense_matmul_ceiling(torch.device("cpu"), torch.float64, size=64, seconds=0.01)
    assert (record["m"], record["k"], record["n"], record["dtype"]) == (64, 64, 64, "float64")
    assert record["threads"] == torch.get_num_threads()
    # FLOP/s × seconds per product = 2·n³, the operations of one product
    assert record["flops_per_second"] * record["seconds_per_product"] == pytest.approx(2 * 64**3)


def test_fraction_is_flops_per_second_over_the_ceiling():
    assert fraction_of_ceiling(6e9, 2.0, 1e10) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="must be positive, got 0.0 and 1"):
        fraction_of_ceiling(6e9, 0.0, 1e10)
