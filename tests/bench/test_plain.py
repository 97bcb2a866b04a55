"""The plain separable reference of SANN and SRNN: the same loss and gradients as the
project's step, written with autograd for ∂V/∂q and a closed-form ∂T/∂p, and chosen as
the benchmark's reference exactly where it applies."""

import pytest
import torch

from hampipe.bench import plain
from hampipe.bench.plain import (
    GENERIC,
    PLAIN,
    PLAIN_MERGED,
    benchmark_references,
    kinetic_gradient,
    plain_applies,
    plain_interval_loss,
)
from hampipe.core import resolve_method
from hampipe.data import simulate
from hampipe.models import METHODS
from hampipe.sai import annotate
from hampipe.systems import make_system
from tests.helpers import make_model, paper_config

#: Small float64 networks on a two-body problem (pairwise distances, as three-body).
SMALL = {"width": 8, "depth": 2, "dtype": "float64", "features": "pairwise_distances"}
SETTINGS = {
    "sann": {"partitions": {"stiff": 4, "nonstiff": 2}, "gamma": 0.2, "replication": 3},
    "srnn": {"substeps": 3, "window": 2},
}


@pytest.fixture(scope="module")
def two_body():
    system = make_system("two_body")
    ds = simulate(system, 3, 6, 0.1, seed=2)
    return ds, annotate(ds)


def _method(learner, data, **overrides):
    ds, sai = data
    _, h = resolve_method(paper_config()["methods"], learner)
    h = {**h, **SMALL, **SETTINGS[learner], **overrides}
    torch.manual_seed(0)
    method = METHODS[learner].build(h, ds)
    return method, h, method.examples(ds, sai)


@pytest.mark.parametrize("merge_kicks", [False, True])
@pytest.mark.parametrize("learner", sorted(SETTINGS))
def test_plain_step_equals_the_projects_loss_and_gradients(two_body, learner, merge_kicks):
    """SANN (two sub-step counts in one batch) and SRNN (a window of two intervals), with
    every sub-step's kicks evaluated afresh and with the closing kick reused."""
    method, _, batch = _method(learner, two_body)
    params = list(method.model.parameters())
    ours = method.loss(batch)
    reference = plain_interval_loss(method.model, batch, merge_kicks=merge_kicks)
    torch.testing.assert_close(reference, ours, rtol=1e-12, atol=0)
    ours_grads = torch.autograd.grad(ours, params, allow_unused=True)
    reference_grads = torch.autograd.grad(reference, params, allow_unused=True)
    used = 0
    for g, w in zip(ours_grads, reference_grads, strict=True):
        assert (g is None) == (w is None)  # φ's output bias: no gradient on either side
        if g is not None:
            torch.testing.assert_close(w, g, rtol=1e-10, atol=1e-14)
            used += 1
    assert used == len(params) - 1


@pytest.mark.parametrize(("merge_kicks", "per_interval"), [(False, 2), (True, 1)])
def test_plain_step_differentiates_V_by_autograd_and_T_in_closed_form(
    two_body, monkeypatch, merge_kicks, per_interval
):
    """∂V/∂q: one ``autograd.grad`` of the model's own V per evaluation; per group of
    examples sharing S, 2·W·S of them (two per sub-step, the benchmark's reference) or
    W·S + 1 (the closing kick reused, as in the SRNN code); the project's hand-written
    gradients, H and T are never called."""
    method, _, batch = _method("srnn", two_body)
    model = method.model
    for name in ("forward", "kinetic", "gradients", "dH_dq", "dH_dp"):
        monkeypatch.setattr(model, name, lambda *a, name=name: pytest.fail(f"{name} called"))
    potentials, grads = [], []
    potential = model.potential

    def counted_potential(q):
        potentials.append(q)
        return potential(q)

    autograd_grad = torch.autograd.grad

    def counted_grad(outputs, inputs, **kwargs):
        grads.append((inputs, kwargs))
        return autograd_grad(outputs, inputs, **kwargs)

    monkeypatch.setattr(model, "potential", counted_potential)
    monkeypatch.setattr(plain.torch.autograd, "grad", counted_grad)
    plain_interval_loss(model, batch, merge_kicks=merge_kicks)
    window, substeps = SETTINGS["srnn"]["window"], SETTINGS["srnn"]["substeps"]
    expected = window * substeps + 1 if merge_kicks else 2 * window * substeps
    assert len(potentials) == len(grads) == expected
    assert all(inputs is q for (inputs, _), q in zip(grads, potentials, strict=True))
    assert all(kwargs == {"create_graph": True} for _, kwargs in grads)


def test_closed_form_kinetic_gradient_is_the_gradient_of_T():
    model = make_model("separable", 4, scales={"p_scale": 1.7, "energy_scale": 0.6}).double()
    with torch.no_grad():
        model.M.copy_(torch.randn(4, 4, dtype=torch.float64))  # not symmetric
    p = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    (expected,) = torch.autograd.grad(model.kinetic(p).sum(), p)
    torch.testing.assert_close(kinetic_gradient(model, p), expected, rtol=1e-13, atol=0)


def test_plain_reference_is_chosen_where_it_applies(two_body):
    for learner in ("sann", "srnn"):
        method, h, _ = _method(learner, two_body)
        assert plain_applies(learner, method.model, h)
        references = list(benchmark_references(learner, method.model, h))
        assert references == [PLAIN, PLAIN_MERGED, GENERIC]
    # an integrator that is not leapfrog, and learners whose loss is not the interval
    # loss of a separable model, keep the generic reference alone
    method, h, _ = _method("srnn", two_body, integrator="stormer_verlet")
    assert not plain_applies("srnn", method.model, h)
    assert list(benchmark_references("srnn", method.model, h)) == [GENERIC]
    ds, _ = two_body
    for learner in ("hnn", "hinn", "ode"):
        _, h = resolve_method(paper_config()["methods"], learner)
        model = METHODS[learner].build({**h, "width": 4, "depth": 1}, ds).model
        assert list(benchmark_references(learner, model, h)) == [GENERIC]
    general = make_model("general", 4)
    assert not plain_applies("sann", general, {"integrator": "euler"})
    with pytest.raises(ValueError, match="no plain reference loss for method 'x'"):
        benchmark_references("x", general, {})
