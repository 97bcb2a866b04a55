"""HNN and SANN: training examples and losses on data with a known Hamiltonian."""

import numpy as np
import pytest
import torch
import xarray as xr

from hampipe.data import simulate
from hampipe.models import METHODS
from hampipe.models.hnn import central_differences
from hampipe.sai import annotate
from hampipe.systems import make_system
from tests.helpers import exact_spring_model

SANN_HYPER = {
    "gamma": 0.2,
    "partitions": {"stiff": 8, "nonstiff": 2},
    "replication": 3,
    "ranking": "trajectory",
    "integrator": "leapfrog",
    "dtype": "float64",
}


@pytest.fixture(scope="module")
def spring_data() -> tuple[xr.Dataset, xr.Dataset]:
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    ds = simulate(spring, 3, 11, 0.1, seed=1)
    return ds, annotate(ds, spring)


def test_central_differences_are_second_order():
    errors = []
    for dt in (0.1, 0.05):
        t = np.arange(0, 1, dt)
        x = np.sin(t)[None, :, None]
        errors.append(np.abs(central_differences(x, t)[0, :, 0] - np.cos(t[1:-1])).max())
    assert np.log2(errors[0] / errors[1]) == pytest.approx(2, abs=0.1)


def test_hnn_examples_and_loss_with_exact_model(spring_data):
    ds, _ = spring_data
    method = METHODS["hnn"](exact_spring_model(), {"dtype": "float64"})
    ex = method.examples(ds)
    assert ex["q"].shape == (3 * 9, 1)
    # the exact H leaves only the O(dt²) finite-difference error in the loss
    loss = method.loss(ex).item()
    dq = (ex["dq_dt"] - ex["p"] / 2.0) ** 2
    assert loss == pytest.approx((dq + (ex["dp_dt"] + 2.0 * ex["q"]) ** 2).sum(-1).mean().item())
    assert loss < 1e-4 * (ex["p"] ** 2).mean().item()


def test_sann_examples_replicate_stiff_intervals(spring_data):
    ds, sai = spring_data
    method = METHODS["sann"](exact_spring_model(), SANN_HYPER)
    ex = method.examples(ds, sai)
    n_intervals = 3 * 10
    n_stiff = 3 * 2  # round(0.2 · 10) per trajectory
    assert ex["q0"].shape[0] == n_intervals - n_stiff + 3 * n_stiff
    assert set(ex["substeps"][ex["stiff"]].tolist()) == {8}
    assert set(ex["substeps"][~ex["stiff"]].tolist()) == {2}
    with pytest.raises(ValueError, match="SAI"):
        method.examples(ds, None)
    other = sai.assign_attrs(system="three_body")
    with pytest.raises(ValueError, match="SAI annotation is for system 'three_body'"):
        method.examples(ds, other)


def test_sann_loss_is_the_leapfrog_error_of_the_exact_model(spring_data):
    """With the true H, Eq. 7 measures only the integration error: O(h²) per interval,
    so the squared error falls by 2⁴ when S doubles."""
    ds, sai = spring_data
    losses = []
    for s in (4, 8):
        hyper = {**SANN_HYPER, "partitions": {"stiff": s, "nonstiff": s}}
        method = METHODS["sann"](exact_spring_model(), hyper)
        losses.append(method.loss(method.examples(ds, sai)).item())
    assert np.log2(losses[0] / losses[1]) == pytest.approx(4, abs=0.1)


def test_sann_loss_matches_a_hand_rolled_leapfrog(spring_data):
    ds, sai = spring_data
    model = exact_spring_model(k=2.5, m=1.5)  # a wrong H: a visible loss
    method = METHODS["sann"](model, SANN_HYPER)
    ex = method.examples(ds, sai)
    expected = []
    for i in range(ex["q0"].shape[0]):
        q, p = ex["q0"][i].item(), ex["p0"][i].item()
        s = int(ex["substeps"][i])
        h = ex["dt"][i].item() / s
        for _ in range(s):
            p -= 0.5 * h * 2.5 * q
            q += h * p / 1.5
            p -= 0.5 * h * 2.5 * q
        expected.append((q - ex["q1"][i].item()) ** 2 + (p - ex["p1"][i].item()) ** 2)
    assert method.loss(ex).item() == pytest.approx(np.mean(expected), rel=1e-10)


def test_loss_is_differentiable(spring_data):
    ds, sai = spring_data
    method = METHODS["sann"].build(
        {**SANN_HYPER, "width": 4, "depth": 1}, make_system("spring"), ds
    )
    method.model.double().train()
    loss = method.loss(method.examples(ds, sai))
    loss.backward()
    # every parameter but φ's output bias (a constant offset of H) receives a gradient
    for name, param in method.model.named_parameters():
        if name != "phi.out.bias":
            assert param.grad is not None and torch.isfinite(param.grad).all(), name
