"""The training-recipe keys (the peers' recipes, issue 20): each changes what it should.

``lr_schedule``, ``weight_decay``, ``init``, ``output_bias`` and ``scaling: none``,
checked against what they mean (a constant rate, Adam's coupled L2 step, orthogonal
matrices, no output bias, neutral scales) and through ``train`` (the key reaches the run).
"""

import math

import numpy as np
import pytest
import torch
import xarray as xr

from hampipe.core import resolve_method
from hampipe.data import simulate
from hampipe.models import METHODS, MODELS, SCALE_NAMES, data_scales, load_model, save_model
from hampipe.models.method import build_model
from hampipe.plan.learners import LEARNERS
from hampipe.systems import make_system
from hampipe.training import train
from hampipe.training.loop import optimiser
from tests.helpers import make_model, paper_config

CONFIG = paper_config()
SMALL = {"width": 8, "depth": 2, "epochs": 4, "batch_size": 32, "learning_rate": 1e-2}


def hyperparameters(learner: str, **overrides) -> dict:
    """``methods.<learner>`` of ``config.yaml``, shrunk, then ``overrides``."""
    _, h = resolve_method(CONFIG["methods"], learner)
    small = {**SMALL, **({"substeps": 2} if "substeps" in h else {})}
    return {**h, **small, **overrides}


@pytest.fixture(scope="module")
def spring() -> xr.Dataset:
    return simulate(make_system("spring", initial_state={"radius": [1.0, 2.0]}), 6, 20, 0.1, 3)


# -- lr_schedule ------------------------------------------------------------------------


def test_constant_learning_rate_stays_constant(spring):
    _, history = train("hnn", hyperparameters("hnn", lr_schedule="constant"), spring, None, 0)
    assert history["learning_rate"] == [1e-2] * 4


def test_cosine_learning_rate_follows_the_cosine(spring):
    _, history = train("hnn", hyperparameters("hnn"), spring, None, 0)
    expected = [0.5 * 1e-2 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]
    assert history["learning_rate"] == pytest.approx(expected, rel=1e-12)


# -- weight_decay -----------------------------------------------------------------------


@pytest.mark.parametrize("weight_decay", [0.0, 0.5])
def test_weight_decay_enters_adam_as_an_l2_gradient(weight_decay):
    """With a zero loss gradient, Adam's first step on g = λθ is −lr·g/|g| = −lr·sign(θ)
    (coupled L2, torch.optim.Adam); AdamW's decoupled decay would give θ(1 − lr·λ)."""
    theta0 = torch.tensor([2.0, -0.5, 0.25], dtype=torch.float64)
    theta = torch.nn.Parameter(theta0.clone())
    optimizer, _ = optimiser([theta], 1e-3, 10, "constant", weight_decay)
    theta.grad = torch.zeros_like(theta)
    optimizer.step()
    if weight_decay == 0:
        assert torch.equal(theta.detach(), theta0)
    else:
        expected = theta0 - 1e-3 * torch.sign(theta0)
        assert torch.allclose(theta.detach(), expected, rtol=0, atol=1e-9)
        assert not torch.allclose(theta.detach(), theta0 * (1 - 1e-3 * weight_decay))


def test_weight_decay_reaches_the_run(spring):
    """Same seed, same batches: only the penalty differs, so the weights do."""
    plain, _ = train("hnn", hyperparameters("hnn"), spring, None, 0)
    decayed, _ = train("hnn", hyperparameters("hnn", weight_decay=1.0), spring, None, 0)
    again, _ = train("hnn", hyperparameters("hnn", weight_decay=1.0), spring, None, 0)
    weights = [m.model.phi.linears[0].weight for m in (plain, decayed, again)]
    assert not torch.equal(weights[0], weights[1]) and torch.equal(weights[1], weights[2])
    # the penalty pulls the weights towards 0
    assert weights[1].norm() < weights[0].norm()


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="unknown lr_schedule 'step'; valid: cosine, constant"):
        optimiser([torch.nn.Parameter(torch.ones(1))], 1e-3, 3, "step", 0.0)


# -- init and output_bias ---------------------------------------------------------------


def _linears(model: torch.nn.Module) -> list[torch.nn.Linear]:
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)]


@pytest.mark.parametrize("name", list(MODELS))
def test_orthogonal_init_draws_orthogonal_weights_and_zero_biases(spring, name):
    settings = LEARNERS["ode" if name == "vector_field" else "sann"].typed(
        {"model": name, "width": 16, "depth": 3, "init": "orthogonal"}
    )
    torch.manual_seed(0)
    model = build_model(settings, spring).double()
    linears = _linears(model)
    assert linears
    for linear in linears:
        w = linear.weight
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        assert torch.allclose(gram, torch.eye(gram.shape[0], dtype=w.dtype), atol=1e-6)
        if linear.bias is not None:
            assert torch.count_nonzero(linear.bias) == 0
    # the default keeps torch's draw: neither orthogonal nor zero-biased
    torch.manual_seed(0)
    default = build_model(settings.__class__(**{**settings.as_dict(), "init": "default"}), spring)
    w = _linears(default)[1].weight.double()
    assert not torch.allclose(w @ w.T, torch.eye(w.shape[0], dtype=w.dtype), atol=1e-2)


@pytest.mark.parametrize("name", list(MODELS))
def test_no_output_bias_removes_only_that_parameter(tmp_path, spring, name):
    with_bias = make_model(name, 1, width=8, depth=2)
    without = make_model(name, 1, width=8, depth=2, output_bias=False)
    missing = set(dict(with_bias.named_parameters())) - set(dict(without.named_parameters()))
    assert len(missing) == 1 and next(iter(missing)).endswith("out.bias")
    # the model file keeps the setting, so the model comes back without the bias
    learner = "ode" if name == "vector_field" else "hnn"
    method = METHODS[learner].build(hyperparameters(learner, model=name, output_bias=False), spring)
    save_model(tmp_path / "m.pt", method, {"loss": [1.0]}, "spring", 0)
    loaded = load_model(tmp_path / "m.pt", dtype=torch.float32)
    assert loaded.config["output_bias"] is False
    q, p, t = torch.randn(5, 1), torch.randn(5, 1), torch.zeros(5, 1)
    for a, b in zip(method.model.vector_field(q, p, t), loaded.vector_field(q, p, t), strict=True):
        assert torch.allclose(a, b)


# -- scaling: none ----------------------------------------------------------------------


def test_scaling_none_is_neutral(spring):
    scales = data_scales(spring.q.values, spring.p.values, spring.time.values, "none")
    assert scales == SCALE_NAMES
    rms = data_scales(spring.q.values, spring.p.values, spring.time.values, "rms")
    assert rms["q_scale"] != 1.0  # the data are not already unit-sized
    # raw units in and out: the black-box field is the bare network of [q, p]
    model = make_model("vector_field", 1, scales=scales, width=8, depth=2).double()
    q, p = torch.randn(4, 1, dtype=torch.float64), torch.randn(4, 1, dtype=torch.float64)
    dq, dp = model.vector_field(q, p)
    out = model.g(torch.cat([q, p], -1))
    assert torch.equal(dq, out[:, :1]) and torch.equal(dp, out[:, 1:])
    assert np.isfinite(list(scales.values())).all()


# -- targets: exact_clean ---------------------------------------------------------------


def test_exact_clean_targets_are_the_true_field_at_the_clean_states(spring):
    """HNN's noisy tasks: the inputs carry the noise, the targets are the true field at
    the states the noisy observations were made of; 'exact' takes it at the noisy ones."""
    from hampipe.training.observations import add_noise

    system = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    noisy = add_noise(spring, 0.1, np.random.default_rng(0))
    examples = {}
    for targets in ("exact", "exact_clean"):
        h = hyperparameters("hnn", targets=targets, dtype="float64")
        method = METHODS["hnn"].build(h, noisy, system)
        examples[targets] = method.examples(noisy)
    clean = examples["exact_clean"]
    dq, dp = system.time_derivative(
        spring.q.values[:, 1:-1].reshape(-1, 1), spring.p.values[:, 1:-1].reshape(-1, 1)
    )
    np.testing.assert_allclose(clean["dq_dt"].numpy(), dq)
    np.testing.assert_allclose(clean["dp_dt"].numpy(), dp)
    # inputs are the noisy observations in both
    np.testing.assert_array_equal(clean["q"].numpy(), noisy.q.values[:, 1:-1].reshape(-1, 1))
    np.testing.assert_array_equal(clean["q"].numpy(), examples["exact"]["q"].numpy())
    assert not np.allclose(examples["exact"]["dq_dt"].numpy(), dq)
    # without noise the two agree
    quiet = {
        t: METHODS["hnn"].build(hyperparameters("hnn", targets=t), spring, system).examples(spring)
        for t in ("exact", "exact_clean")
    }
    for key in quiet["exact"]:
        assert torch.equal(quiet["exact"][key], quiet["exact_clean"][key])
