"""Every MODELS entry: its field against autograd, the integrators it accepts and refuses,
save and load; the data scales every model uses."""

import inspect

import numpy as np
import pytest
import torch

import hampipe
from hampipe.core import ConfigError
from hampipe.data import simulate
from hampipe.integrators import INTEGRATORS
from hampipe.models import (
    ACTIVATIONS,
    FEATURES,
    METHODS,
    MODELS,
    SCALE_NAMES,
    build_model,
    check_learning,
    data_scales,
    make_integrator,
)
from hampipe.plan import learner
from hampipe.systems import make_system
from hampipe.training import save_model
from tests.helpers import make_model as fresh_model

NAMES = sorted(MODELS)
HAMILTONIAN = [name for name in NAMES if MODELS[name].hamiltonian]
BLACK_BOX = [name for name in NAMES if not MODELS[name].hamiltonian]
SEPARABLE = [name for name in NAMES if MODELS[name].separable]
INTEGRATOR_NAMES = sorted(INTEGRATORS)

#: Two bodies in the plane, so that ``features="pairwise_distances"`` applies.
DOF = 4
#: Small networks: every model takes a width and a depth.
SIZES = {"width": 8, "depth": 2}
#: Non-neutral scales and shifts, so that every one of them enters the checks.
SCALES = {
    "q_scale": 1.7,
    "p_scale": 0.6,
    "q_shift": 0.3,
    "p_shift": -0.2,
    "velocity_scale": 1.3,
    "force_scale": 0.8,
    "energy_scale": 2.5,
    "time_scale": 1.9,
}


def takes(name: str, option: str) -> bool:
    return option in inspect.signature(MODELS[name]).parameters


def perturb(model: torch.nn.Module, size: float = 0.1) -> torch.nn.Module:
    """Move every weight off its initial value (rational coefficients, M's symmetry, …)."""
    with torch.no_grad():
        for param in model.parameters():
            param.add_(size * torch.randn_like(param))
    return model


def make_model(name: str, **options):
    """Model ``name`` in float64 with random weights, small sizes and non-neutral scales."""
    return perturb(fresh_model(name, DOF, scales=SCALES, **SIZES, **options).double())


def state(batch: int = 5, seed: int = 0):
    """Random ``q``, ``p`` ``(batch, dof)`` and ``t`` ``(batch, 1)`` in float64."""
    gen = torch.Generator().manual_seed(seed)
    q, p = torch.randn(2, batch, DOF, generator=gen, dtype=torch.float64)
    t = torch.rand(batch, 1, generator=gen, dtype=torch.float64)
    return q, p, t


def variants(names):
    """(model, features, activation): every activation and, where a model takes them,
    every kind of position features."""
    return [
        (name, features, activation)
        for name in names
        for features in (FEATURES if takes(name, "features") else [None])
        for activation in sorted(ACTIVATIONS)
    ]


def options(features, activation) -> dict:
    return {"activation": activation, **({"features": features} if features else {})}


def accepts(integrator: str, model) -> bool:
    """What the integrator declares it needs, against what the model offers."""
    needs = INTEGRATORS[integrator].requires
    return not (
        ("hamiltonian" in needs and not model.hamiltonian)
        or ("separable" in needs and not model.separable)
    )


def zeros_for_none(grads, params):
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params, strict=True)]


@pytest.fixture(scope="module")
def spring_data():
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    return simulate(spring, 3, 11, 0.1, seed=1)


# -- the field against autograd ---------------------------------------------------------


@pytest.mark.parametrize(("name", "features", "activation"), variants(HAMILTONIAN))
def test_gradients_match_autograd(name, features, activation):
    model = make_model(name, **options(features, activation))
    q, p, t = state()
    q.requires_grad_(True)
    p.requires_grad_(True)
    H = model(q, p, t)
    assert H.shape == (5,) and H.dtype == torch.float64
    dq_auto, dp_auto = torch.autograd.grad(H.sum(), (q, p))
    dH_dq, dH_dp = model.gradients(q, p, t)
    torch.testing.assert_close(dH_dq, dq_auto, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(dH_dp, dp_auto, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(model.dH_dq(q, p, t), dH_dq, rtol=1e-12, atol=0)
    torch.testing.assert_close(model.dH_dp(q, p, t), dH_dp, rtol=1e-12, atol=0)
    dq_dt, dp_dt = model.vector_field(q, p, t)  # Hamilton's equations, standard signs
    torch.testing.assert_close(dq_dt, dp_auto, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(dp_dt, -dq_auto, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("name", "features", "activation"), variants(HAMILTONIAN))
def test_field_trains_like_double_backward(name, features, activation):
    """A loss on the hand-written field has the parameter gradient of the same loss on
    autograd's ∂H (create_graph=True): one backward pass trains θ."""
    model = make_model(name, **options(features, activation))
    q, p, t = state()
    target_q, target_p, _ = state(seed=1)
    params = list(model.parameters())

    dq_dt, dp_dt = model.vector_field(q, p, t)
    loss = ((dq_dt - target_q) ** 2).sum() + ((dp_dt - target_p) ** 2).sum()
    hand = zeros_for_none(torch.autograd.grad(loss, params, allow_unused=True), params)

    q_leaf, p_leaf = q.clone().requires_grad_(True), p.clone().requires_grad_(True)
    dH_dq, dH_dp = torch.autograd.grad(
        model(q_leaf, p_leaf, t).sum(), (q_leaf, p_leaf), create_graph=True
    )
    loss_auto = ((dH_dp - target_q) ** 2).sum() + ((-dH_dq - target_p) ** 2).sum()
    auto = zeros_for_none(torch.autograd.grad(loss_auto, params, allow_unused=True), params)

    torch.testing.assert_close(loss, loss_auto, rtol=1e-10, atol=0)
    scale = max(g.abs().max().item() for g in auto)
    assert scale > 0
    for (param_name, _), a, b in zip(model.named_parameters(), hand, auto, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12 * scale, msg=param_name)


@pytest.mark.parametrize("name", BLACK_BOX)
def test_black_box_field_shapes(name):
    model = make_model(name)
    q, p, t = state(batch=7)
    dq_dt, dp_dt = model.vector_field(q, p, t)
    assert dq_dt.shape == dp_dt.shape == (7, DOF)
    assert dq_dt.dtype == dp_dt.dtype == torch.float64
    assert not torch.equal(dq_dt, dp_dt)
    with pytest.raises(NotImplementedError, match="no Hamiltonian"):
        model.gradients(q, p, t)


@pytest.mark.parametrize("name", NAMES)
def test_time_dependence_is_as_declared(name):
    model = make_model(name)
    q, p, t = state()
    same = [
        torch.equal(a, b)
        for a, b in zip(model.vector_field(q, p, t), model.vector_field(q, p, t + 0.5), strict=True)
    ]
    assert all(same) != model.time_dependent
    if model.time_dependent:
        with pytest.raises(ValueError, match="pass t"):
            model.vector_field(q, p)
    else:
        for a, b in zip(model.vector_field(q, p), model.vector_field(q, p, t), strict=True):
            assert torch.equal(a, b)


@pytest.mark.parametrize("name", SEPARABLE)
def test_separable_gradients_depend_on_one_half_each(name):
    """H = T(p) + V(q): ∂H/∂q is a function of q alone and ∂H/∂p of p alone."""
    model = make_model(name)
    q, p, t = state()
    q2, p2, t2 = state(seed=1)
    assert torch.equal(model.dH_dq(q, p, t), model.dH_dq(q, p2, t2))
    assert torch.equal(model.dH_dp(q, p, t), model.dH_dp(q2, p, t2))


@pytest.mark.parametrize("name", [n for n in NAMES if takes(n, "features")])
def test_pairwise_features_make_H_invariant_under_rigid_motions_of_q(name):
    model = make_model(name, features="pairwise_distances")
    q, p, t = state(batch=3)
    c, s = np.cos(0.7), np.sin(0.7)
    rot = torch.tensor([[c, -s], [s, c]], dtype=torch.float64)
    moved = q.reshape(3, DOF // 2, 2) @ rot.T + torch.tensor([2.0, -1.0], dtype=torch.float64)
    torch.testing.assert_close(model(moved.reshape(3, DOF), p, t), model(q, p, t))


# -- integrators: accepted and refused --------------------------------------------------

PAIRS = [(model, integrator) for model in NAMES for integrator in INTEGRATOR_NAMES]


@pytest.mark.parametrize(("name", "integrator"), PAIRS)
def test_field_integrates_with_the_integrators_it_accepts(name, integrator):
    model = make_model(name)
    if not accepts(integrator, model):
        with pytest.raises(ValueError, match="separable|Hamiltonian"):
            make_integrator(integrator, model, {})
        return
    stepper = make_integrator(integrator, model, {})
    q0, p0, t0 = state()
    q, p = stepper.integrate(q0, p0, 0.01, 3, t0)
    assert q.shape == p.shape == (5, DOF) and q.dtype == torch.float64
    assert torch.isfinite(q).all() and torch.isfinite(p).all()
    # consistency: one short step moves the state along the model's own field
    h = 1e-5
    q1, p1 = stepper.integrate(q0, p0, h, 1, t0)
    dq_dt, dp_dt = model.vector_field(q0, p0, t0)
    torch.testing.assert_close((q1 - q0) / h, dq_dt, rtol=1e-3, atol=1e-3)
    torch.testing.assert_close((p1 - p0) / h, dp_dt, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("integrator", ["leapfrog", "symplectic_euler"])
@pytest.mark.parametrize("name", [n for n in NAMES if not MODELS[n].separable])
def test_separable_only_integrators_refuse_other_models(integrator, name):
    """Leapfrog's merged half-kicks and symplectic Euler's explicit kick are only right
    for H = T(p) + V(q); built on any other model they raise, naming what is missing."""
    with pytest.raises(ValueError, match="separable|Hamiltonian") as err:
        make_integrator(integrator, make_model(name), {})
    assert integrator in str(err.value)


@pytest.mark.parametrize(("name", "integrator"), PAIRS)
def test_config_check_refuses_exactly_what_the_integrator_refuses(name, integrator):
    """``check_learning`` (before any job) and the integrator (when built) agree."""
    config = {"methods": {"x": {"model": name, "integrator": integrator}}}
    if accepts(integrator, make_model(name)):
        check_learning(config)
    else:
        with pytest.raises(ConfigError, match="methods.x.integrator"):
            check_learning(config)


@pytest.mark.parametrize("name", SEPARABLE)
def test_stormer_verlet_equals_leapfrog_on_separable_models(name):
    model = make_model(name)
    q0, p0, t0 = state()
    leapfrog = make_integrator("leapfrog", model, {}).integrate(q0, p0, 0.05, 4, t0)
    verlet = make_integrator("stormer_verlet", model, {}).integrate(q0, p0, 0.05, 4, t0)
    for a, b in zip(leapfrog, verlet, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


# -- building, saving and loading -------------------------------------------------------


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="unknown scale"):
        fresh_model(NAMES[0], DOF, scales={"q_scal": 1.0})


@pytest.mark.parametrize("name", NAMES)
def test_build_model_takes_sizes_and_scales_from_the_data(name, spring_data):
    settings = learner("srnn").typed({"model": name, **SIZES, "scaling": "range"})
    model = build_model(settings, spring_data)
    assert type(model) is MODELS[name] and model.dof == spring_data.sizes["dof"] == 1
    assert model.config["width"] == SIZES["width"]
    expected = data_scales(
        spring_data.q.values, spring_data.p.values, spring_data.time.values, "range"
    )
    for key in SCALE_NAMES:
        assert getattr(model, key).item() == pytest.approx(expected[key], rel=1e-6), key


def save_and_load(path, method):
    """Save ``method`` (a trained run's file) and load it back as the user would."""
    history = {"loss": [3.0, 2.0]}
    name = f"{method.name}_{method.model.name}"
    save_model(path, method, history, "spring", seed=7, entry=name)
    loaded = hampipe.load_model(path)
    meta = loaded.checkpoint
    assert meta["method"] == name and meta["learner"] == method.name
    assert meta["system"] == "spring" and meta["seed"] == 7 and meta["history"] == history
    assert "state_dict" not in meta
    return loaded


def assert_same_field(loaded, model):
    gen = torch.Generator().manual_seed(0)
    q, p = torch.randn(2, 6, model.dof, generator=gen, dtype=torch.float64)
    t = torch.rand(6, 1, generator=gen, dtype=torch.float64)
    for a, b in zip(loaded.vector_field(q, p, t), model.vector_field(q, p, t), strict=True):
        assert a.dtype == torch.float64
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_every_model_saves_and_loads(tmp_path, spring_data, name):
    """A model trained in float32 (the default dtype) loads in float64 with the same field."""
    method = METHODS["hnn"].build({"model": name, **SIZES}, spring_data)
    perturb(method.model)  # float32 weights, as training leaves them
    loaded = save_and_load(tmp_path / "m.pt", method)
    assert type(loaded) is MODELS[name] and not loaded.training
    assert loaded.checkpoint["model"] == name
    for key in SCALE_NAMES:
        assert getattr(loaded, key).item() == getattr(method.model, key).item(), key
    assert_same_field(loaded, method.model.double())


@pytest.mark.parametrize("name", NAMES)
def test_float64_weights_survive_save_and_load(tmp_path, spring_data, name):
    """``dtype: float64`` training leaves float64 weights; loading must not round them."""
    method = METHODS["hnn"].build({"model": name, **SIZES, "dtype": "float64"}, spring_data)
    perturb(method.model.double())  # float64 weights, as fit() leaves them for float64
    assert_same_field(save_and_load(tmp_path / "m.pt", method), method.model)


# -- data scales ------------------------------------------------------------------------


def test_data_scales_rms():
    t = np.arange(4) * 0.5
    q = np.array([[[0.0], [1.0], [2.0], [3.0]]])
    p = np.array([[[2.0], [-2.0], [2.0], [-2.0]]])
    scales = data_scales(q, p, t)
    assert set(scales) == set(SCALE_NAMES)
    assert scales["q_scale"] == pytest.approx(np.sqrt(14 / 4))
    assert scales["p_scale"] == pytest.approx(2.0)
    assert scales["q_shift"] == scales["p_shift"] == 0.0
    assert scales["velocity_scale"] == pytest.approx(2.0)  # |Δq/Δt|
    assert scales["force_scale"] == pytest.approx(8.0)  # |Δp/Δt|
    assert scales["energy_scale"] == pytest.approx(2.0 * 2.0)  # p_s · v_s
    assert scales["time_scale"] == pytest.approx(np.sqrt(np.mean(t**2)))
    with pytest.raises(ValueError, match="scale"):
        data_scales(np.zeros_like(q), p, t)
    with pytest.raises(ValueError, match="valid: rms, range"):
        data_scales(q, p, t, "minmax")


def test_data_scales_range_maps_the_data_into_minus_one_one():
    t = np.arange(4) * 0.5
    q = np.array([[[1.0], [2.0], [4.0], [5.0]]])
    p = np.array([[[-3.0], [0.0], [1.0], [-1.0]]])
    scales = data_scales(q, p, t, "range")
    assert (scales["q_shift"], scales["q_scale"]) == (3.0, 2.0)
    assert (scales["p_shift"], scales["p_scale"]) == (-1.0, 2.0)
    for x, key in ((q, "q"), (p, "p")):
        scaled = (x - scales[f"{key}_shift"]) / scales[f"{key}_scale"]
        assert scaled.min() == -1.0 and scaled.max() == 1.0


def test_separable_kinetic_energy_stays_centred_on_zero_momentum_under_range_scaling():
    """The range scaling's momentum shift must not enter pᵀMp: ∂H/∂p(q, 0) = 0."""
    scales = {"p_scale": 2.0, "p_shift": 1.5, "q_shift": 0.3, "energy_scale": 3.0}
    model = fresh_model("separable", 2, width=4, depth=1, scales=scales).double()
    q = torch.randn(3, 2, dtype=torch.float64)
    assert torch.equal(model.dH_dp(q, torch.zeros_like(q)), torch.zeros_like(q))
