"""Every METHODS entry: examples, loss and parameter gradients against a plain reference;
SANN's reduction to SRNN; recovery of the spring's k and m."""

import numpy as np
import pytest
import torch
import xarray as xr

from hampipe.bench.reference import REFERENCES
from hampipe.core import resolve_method
from hampipe.data import simulate
from hampipe.models import METHODS, MODELS
from hampipe.models.hnn import central_differences
from hampipe.sai import annotate
from hampipe.systems import make_system
from hampipe.training import train
from tests.helpers import exact_spring_model, paper_config

CONFIG = paper_config()
QUICK = paper_config(quick=True)
#: Small networks and few sub-steps, so that the Python-loop references stay fast.
SMALL = {
    "width": 8,
    "depth": 2,
    "dtype": "float64",
    "substeps": 2,
    "partitions": {"stiff": 4, "nonstiff": 2},
    "gamma": 0.2,
    "replication": 3,
}


def hyperparameters(entry: str, **overrides) -> tuple[str, dict]:
    """The learner and settings of ``methods.<entry>`` in ``config.yaml``, shrunk by the
    keys of ``SMALL`` that the learner has, then ``overrides``."""
    learner, h = resolve_method(CONFIG["methods"], entry)
    return learner, {**h, **{k: v for k, v in SMALL.items() if k in h}, **overrides}


#: The true system of ``spring_data`` (HNN's exact targets are its derivatives).
SPRING = make_system("spring", initial_state={"radius": [1.0, 2.0]})


@pytest.fixture(scope="module")
def spring_data() -> tuple[xr.Dataset, xr.Dataset]:
    ds = simulate(SPRING, 3, 6, 0.1, seed=1)
    return ds, annotate(ds, SPRING)


#: Every learner with its config block's settings, then the options that change the
#: loss: SRNN's multi-step window, HNN's normalisation and targets, the time-dependent
#: HINN through a window, SANN's dataset ranking, the config's general-model variants,
#: and HNN with every model.
CASES = [(name, {}) for name in sorted(METHODS)] + [
    ("srnn", {"window": 2}),
    ("hinn", {"window": 2}),
    ("hnn", {"scaling": "range"}),
    ("hnn", {"targets": "exact"}),
    ("sann", {"ranking": "dataset"}),
    ("hnn_general", {}),
    ("sann_general", {}),
    *[("hnn", {"model": model}) for model in sorted(MODELS)],
]


def test_every_learner_has_a_reference():
    assert set(REFERENCES) == set(METHODS)


@pytest.mark.parametrize(
    ("entry", "overrides"),
    CASES,
    ids=[f"{entry}-{'-'.join(f'{k}={v}' for k, v in o.items())}" for entry, o in CASES],
)
def test_loss_and_gradients_match_a_plain_reference(spring_data, entry, overrides):
    ds, sai = spring_data
    learner, h = hyperparameters(entry, **overrides)
    method = METHODS[learner].build(h, ds, SPRING)
    model = method.model.double()
    with torch.no_grad():  # random weights: rational coefficients, M's symmetry, biases
        for param in model.parameters():
            param.add_(0.1 * torch.randn_like(param))
    params = list(model.parameters())

    loss = method.loss(method.examples(ds, sai))
    expected = REFERENCES[learner](learner, model, h, ds, sai)
    assert loss.dtype == torch.float64 and loss.ndim == 0
    assert abs(loss.item() - expected.item()) <= 1e-8 * abs(expected.item())

    grads = torch.autograd.grad(loss, params, allow_unused=True)
    wanted = torch.autograd.grad(expected, params, allow_unused=True)
    scale = max(g.abs().max().item() for g in wanted if g is not None)
    assert scale > 0
    for (name, param), g, w in zip(model.named_parameters(), grads, wanted, strict=True):
        g = torch.zeros_like(param) if g is None else g
        w = torch.zeros_like(param) if w is None else w
        torch.testing.assert_close(g, w, rtol=1e-8, atol=1e-8 * scale, msg=name)


# -- examples ---------------------------------------------------------------------------


def test_central_differences_are_second_order():
    errors = []
    for dt in (0.1, 0.05):
        t = np.arange(0, 1, dt)
        x = np.sin(t)[None, :, None]
        errors.append(np.abs(central_differences(x, t)[0, :, 0] - np.cos(t[1:-1])).max())
    assert np.log2(errors[0] / errors[1]) == pytest.approx(2, abs=0.1)


def test_hnn_loss_of_the_exact_model_is_the_finite_difference_error(spring_data):
    ds, _ = spring_data
    method = METHODS["hnn"](exact_spring_model(), {"dtype": "float64"})
    ex = method.examples(ds)
    assert ex["q"].shape == (3 * 4, 1) and ex["t"].shape == (3 * 4, 1)
    # the exact H leaves only the O(dt²) central-difference error in the loss
    assert method.loss(ex).item() < 1e-4 * (ex["p"] ** 2).mean().item()
    exact = METHODS["hnn"](exact_spring_model(), {"dtype": "float64", "targets": "exact"}, SPRING)
    assert exact.loss(exact.examples(ds)).item() < 1e-28
    with pytest.raises(ValueError, match="valid: central_differences, exact"):
        METHODS["hnn"](exact_spring_model(), {"targets": "spline"})


def test_exact_targets_need_the_true_system(spring_data):
    """HNN's exact targets come from the true system it is given, never from the data."""
    ds, _ = spring_data
    with pytest.raises(ValueError, match=r"targets 'exact' .* true system \(system=\.\.\."):
        METHODS["hnn"](exact_spring_model(), {"targets": "exact"})
    with pytest.raises(ValueError, match="targets 'exact'"):
        METHODS["hnn"].build({"model": "separable", "targets": "exact"}, ds)
    # the derivatives are the given system's: a stiffer spring gives other targets
    stiff = make_system("spring", {"k": 8.0})
    h = {"dtype": "float64", "targets": "exact"}
    ex = METHODS["hnn"](exact_spring_model(), h, stiff).examples(ds)
    q = ds.q.values[:, 1:-1].reshape(-1, 1)
    torch.testing.assert_close(ex["dp_dt"], torch.as_tensor(-8.0 * q), rtol=1e-12, atol=0)


def test_interval_examples_carry_start_times_and_windows(spring_data):
    ds, _ = spring_data
    _, h = hyperparameters("srnn", window=2)
    ex = METHODS["srnn"](exact_spring_model(), h).examples(ds)
    n = 3 * (6 - 2)  # every start with two observed intervals after it
    assert ex["q0"].shape == (n, 1) and ex["t0"].shape == (n, 1) and ex["dt"].shape == (n, 2)
    assert ex["q"].shape == ex["p"].shape == (n, 2, 1)
    assert torch.equal(ex["t0"][:4, 0], torch.tensor(ds.time.values[:4]))
    assert torch.equal(ex["q"][1, 1], torch.tensor(ds.q.values[0, 3]))
    with pytest.raises(ValueError, match="window 6 is longer"):
        METHODS["srnn"](exact_spring_model(), {**h, "window": 6}).examples(ds)
    with pytest.raises(ValueError, match="window must be >= 1"):
        METHODS["srnn"](exact_spring_model(), {**h, "window": 0})


def test_sann_examples_replicate_stiff_intervals(spring_data):
    ds, sai = spring_data
    _, h = hyperparameters("sann")
    method = METHODS["sann"](exact_spring_model(), h)
    ex = method.examples(ds, sai)
    n_stiff = 3 * 1  # round(0.2 · 5) per trajectory
    assert ex["q0"].shape[0] == 3 * 5 - n_stiff + h["replication"] * n_stiff
    assert set(ex["substeps"][ex["stiff"]].tolist()) == {h["partitions"]["stiff"]}
    assert set(ex["substeps"][~ex["stiff"]].tolist()) == {h["partitions"]["nonstiff"]}
    with pytest.raises(ValueError, match="SAI"):
        method.examples(ds, None)
    other = sai.assign_attrs(system="three_body")
    with pytest.raises(ValueError, match="SAI annotation is for system 'three_body'"):
        method.examples(ds, other)
    with pytest.raises(ValueError, match="methods.sann: unknown key.s. window"):
        METHODS["sann"](exact_spring_model(), {**h, "window": 2})


def test_sann_loss_of_the_exact_model_is_second_order(spring_data):
    """With the true H, Eq. 7 measures only the leapfrog error: O(h²) per interval, so
    the squared error falls by 2⁴ when S doubles."""
    ds, sai = spring_data
    losses = []
    for s in (4, 8):
        _, h = hyperparameters("sann", partitions={"stiff": s, "nonstiff": s})
        method = METHODS["sann"](exact_spring_model(), h)
        losses.append(method.loss(method.examples(ds, sai)).item())
    assert np.log2(losses[0] / losses[1]) == pytest.approx(4, abs=0.1)


# -- SANN with one partition and no replication is SRNN ---------------------------------


def test_sann_without_stiffness_awareness_is_srnn():
    """γ = 0.5, S_stiff = S_nonstiff = S, K = 1: the same examples, the bitwise same loss,
    and the same training run as SRNN with S sub-steps."""
    spring = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    ds = simulate(spring, 4, 8, 0.1, seed=2)
    sai = annotate(ds)
    s = 3
    common = {"width": 8, "depth": 2, "epochs": 3, "batch_size": 8, "validation": 0.25}
    _, sann_h = hyperparameters(
        "sann",
        **common,
        dtype="float32",
        gamma=0.5,
        partitions={"stiff": s, "nonstiff": s},
        replication=1,
    )
    _, srnn_h = hyperparameters("srnn", **common, dtype="float32", substeps=s)
    sann = METHODS["sann"].build(sann_h, ds)
    srnn = METHODS["srnn"](sann.model, srnn_h)
    sann_ex, srnn_ex = sann.examples(ds, sai), srnn.examples(ds)
    assert sann_ex["stiff"].any() and not sann_ex["stiff"].all()
    for key, value in srnn_ex.items():
        assert torch.equal(sann_ex[key], value), key
    assert torch.equal(sann.loss(sann_ex), srnn.loss(srnn_ex))

    trained_sann, history_sann = train("sann", sann_h, ds, sai, seed=5, progress=False)
    trained_srnn, history_srnn = train("srnn", srnn_h, ds, sai, seed=5, progress=False)
    assert history_sann["loss"] == history_srnn["loss"]
    assert history_sann["validation_loss"] == history_srnn["validation_loss"]
    sann_state = trained_sann.model.state_dict()
    srnn_state = trained_srnn.model.state_dict()
    assert sann_state.keys() == srnn_state.keys()
    for key in sann_state:
        assert torch.equal(sann_state[key], srnn_state[key]), key


# -- recovery of a known system ---------------------------------------------------------

#: Learners whose config model is the separable H = pᵀ M p + φ(q), so that k and m can
#: be read off it (HNN, SRNN, SANN).
SEPARABLE_LEARNERS = [
    name
    for name in sorted(METHODS)
    if resolve_method(CONFIG["methods"], name)[1]["model"] == "separable"
]
#: Far fewer epochs than even the quick config's (hundreds), so that a run takes a few
#: seconds on 2 cores: width 16, 8 epochs, Adam from 1e-2 with
#: cosine decay, batches of 128 (256 where stiff intervals are replicated, which about
#: doubles the examples: the same number of Adam steps per epoch). With these, k and m
#: come out within 2 % for seeds 0-2 (5 % is asserted).
RECOVERY = {"width": 16, "epochs": 8, "learning_rate": 1e-2, "batch_size": 128}


@pytest.fixture(scope="module")
def quick_spring() -> tuple[xr.Dataset, xr.Dataset]:
    """The spring's training split at the quick config's sizes (dt, steps, trajectories,
    radius) with its true k = m = 2."""
    cfg = QUICK["systems"]["spring"]
    spring = make_system("spring", initial_state=cfg["initial_state"])
    assert spring.parameters == cfg["parameters"] == {"k": 2.0, "m": 2.0}
    ds = simulate(spring, cfg["trajectories"]["train"], cfg["steps"]["train"], cfg["dt"], seed=0)
    return ds, annotate(ds, spring)


def test_recovery_covers_hnn_srnn_and_sann():
    assert {"hnn", "srnn", "sann"} <= set(SEPARABLE_LEARNERS)


@pytest.mark.parametrize("learner", SEPARABLE_LEARNERS)
def test_training_recovers_the_spring(quick_spring, learner):
    ds, sai = quick_spring
    _, h = resolve_method(QUICK["methods"], learner, "spring")
    h = {**h, **RECOVERY}
    if h.get("replication", 1) > 1:
        h["batch_size"] *= 2
    method, history = train(learner, h, ds, sai, seed=0, progress=False)
    model = method.model.double()
    assert history["loss"][-1] < 0.05 * history["loss"][0]
    # T(p) = E_s p̃ᵀ M p̃ with p̃ = (p − p_shift)/p_scale, so 1/(2m) = E_s M / p_scale²
    assert model.M.shape == (1, 1)
    m = (model.p_scale**2 / (2 * model.energy_scale * model.M[0, 0])).item()
    # V'(q) = k q: least squares over the data range
    q = torch.linspace(float(ds.q.min()), float(ds.q.max()), 201, dtype=torch.float64)[:, None]
    force = model.dH_dq(q, torch.zeros_like(q))
    k = ((q * force).sum() / (q * q).sum()).item()
    assert k == pytest.approx(2.0, rel=0.05)
    assert m == pytest.approx(2.0, rel=0.05)


def test_prediction_block_gives_the_integrator_and_only_its_declared_options():
    """A ``prediction`` block fills the declared defaults and keeps the options its
    integrator takes: leapfrog none, dopri5 its tolerances, Störmer–Verlet its iterations."""
    from hampipe.models.method import prediction_integrator

    assert prediction_integrator(None) == ("leapfrog", {})
    assert prediction_integrator({"integrator": "dopri5", "rtol": 1e-9}) == (
        "dopri5",
        {"rtol": 1e-9, "atol": 1e-9},
    )
    assert prediction_integrator({"integrator": "stormer_verlet"}) == (
        "stormer_verlet",
        {"iterations": 3},
    )
    with pytest.raises(ValueError, match="unknown integrator 'rk45'"):
        prediction_integrator({"integrator": "rk45"})
