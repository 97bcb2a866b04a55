"""Leapfrog: merged half-kicks equal repeated steps, reversibility, torch, time."""

import numpy as np
import torch

from hampipe.integrators import INTEGRATORS, Field


def pendulum(xp=np):
    """H = p²/2 − cos q: a nonlinear separable test problem (``xp``: numpy or torch)."""
    return Field.from_gradients(lambda q, p: xp.sin(q), lambda q, p: p, separable=True)


def repeated_steps(stepper, q, p, h, n, t0=0.0):
    t = t0
    for _ in range(n):
        q, p = stepper.step(q, p, h, t)
        t = t + h
    return q, p


def test_fused_integrate_equals_repeated_steps():
    stepper = INTEGRATORS["leapfrog"](pendulum())
    q, p = np.array([[0.5], [2.0]]), np.array([[0.1], [-0.4]])
    fused = stepper.integrate(q, p, 0.1, 17)
    stepped = repeated_steps(stepper, q, p, 0.1, 17)
    np.testing.assert_allclose(fused[0], stepped[0], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(fused[1], stepped[1], rtol=1e-13, atol=1e-14)


def test_fused_integrate_equals_repeated_steps_on_time_dependent_field():
    """The merged half-kicks and the drifts evaluate the gradients at the right times."""
    field = Field.from_gradients(
        lambda q, p, t: np.sin(q) - np.cos(2 * t),
        lambda q, p, t: p - np.sin(2 * t),
        separable=True,
        time_dependent=True,
    )
    stepper = INTEGRATORS["leapfrog"](field)
    q, p = np.array([[0.5], [2.0]]), np.array([[0.1], [-0.4]])
    h, t0 = np.array([[0.1], [0.03]]), np.array([[0.7], [-1.0]])
    fused = stepper.integrate(q, p, h, 9, t0)
    stepped = repeated_steps(stepper, q, p, h, 9, t0)
    np.testing.assert_allclose(fused[0], stepped[0], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(fused[1], stepped[1], rtol=1e-13, atol=1e-14)


def test_time_reversible():
    stepper = INTEGRATORS["leapfrog"](pendulum())
    q0, p0 = np.array([[0.7]]), np.array([[0.2]])
    q, p = stepper.integrate(q0, p0, 0.1, 50)
    q, p = stepper.integrate(q, -p, 0.1, 50)
    np.testing.assert_allclose(q, q0, atol=1e-12)
    np.testing.assert_allclose(-p, p0, atol=1e-12)


def test_runs_on_torch_tensors_with_per_example_steps():
    q = torch.tensor([[0.5], [1.0]], dtype=torch.float64)
    p = torch.zeros_like(q)
    h = torch.tensor([[0.1], [0.05]], dtype=torch.float64)
    qt, pt = INTEGRATORS["leapfrog"](pendulum(torch)).integrate(q, p, h, 4)
    qn, pn = INTEGRATORS["leapfrog"](pendulum()).integrate(q.numpy(), p.numpy(), h.numpy(), 4)
    np.testing.assert_allclose(qt.numpy(), qn, rtol=1e-13)
    np.testing.assert_allclose(pt.numpy(), pn, rtol=1e-13)
