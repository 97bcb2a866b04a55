"""Leapfrog: declared order, symplectic energy behaviour, array agnosticism."""

import numpy as np
import pytest
import torch

from hampipe.integrators import INTEGRATORS, IntegrationError, solve
from hampipe.systems import make_system

SPRING = make_system("spring")


def pendulum_grads():
    """H = p²/2 − cos q: a nonlinear separable test problem."""
    return (lambda q, p: np.sin(q)), (lambda q, p: p)


def measured_order(name):
    dH_dq, dH_dp = pendulum_grads()
    stepper = INTEGRATORS[name](dH_dq, dH_dp)
    q0, p0, T = np.array([[1.0]]), np.array([[0.3]]), 2.0
    ref = stepper.integrate(q0, p0, T / 4096, 4096)
    errors = []
    for n in (32, 64, 128):
        q, p = stepper.integrate(q0, p0, T / n, n)
        errors.append(np.hypot(q - ref[0], p - ref[1]).item())
    return np.log2(errors[0] / errors[1]), np.log2(errors[1] / errors[2])


@pytest.mark.parametrize("name", sorted(INTEGRATORS))
def test_declared_order(name):
    order = INTEGRATORS[name].order
    for measured in measured_order(name):
        assert abs(measured - order) < 0.1, f"{name}: measured order {measured:.3f}"


@pytest.mark.parametrize("name", [n for n in sorted(INTEGRATORS) if INTEGRATORS[n].symplectic])
def test_energy_error_bounded_over_long_runs(name):
    """Symplectic: over 10⁴ steps the spring's energy error oscillates, O(h²), no drift."""
    stepper = INTEGRATORS[name](SPRING.dH_dq, SPRING.dH_dp)
    q, p = np.array([[1.0]]), np.array([[0.0]])
    h = 0.05
    H0 = SPRING.hamiltonian(q, p)[0]
    errors = []
    for _ in range(10_000):
        q, p = stepper.step(q, p, h)
        errors.append(abs(SPRING.hamiltonian(q, p)[0] - H0) / H0)
    errors = np.array(errors)
    assert errors.max() < h**2  # bounded by the O(h²) modified-energy offset
    assert errors[-1000:].max() < 1.01 * errors[:1000].max()  # no secular growth


def test_fused_integrate_equals_repeated_steps():
    dH_dq, dH_dp = pendulum_grads()
    stepper = INTEGRATORS["leapfrog"](dH_dq, dH_dp)
    q, p = np.array([[0.5], [2.0]]), np.array([[0.1], [-0.4]])
    fused = stepper.integrate(q, p, 0.1, 17)
    qs, ps = q, p
    for _ in range(17):
        qs, ps = stepper.step(qs, ps, 0.1)
    np.testing.assert_allclose(fused[0], qs, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(fused[1], ps, rtol=1e-13, atol=1e-14)


def test_time_reversible():
    dH_dq, dH_dp = pendulum_grads()
    stepper = INTEGRATORS["leapfrog"](dH_dq, dH_dp)
    q0, p0 = np.array([[0.7]]), np.array([[0.2]])
    q, p = stepper.integrate(q0, p0, 0.1, 50)
    q, p = stepper.integrate(q, -p, 0.1, 50)
    np.testing.assert_allclose(q, q0, atol=1e-12)
    np.testing.assert_allclose(-p, p0, atol=1e-12)


def test_runs_on_torch_tensors_with_per_example_steps():
    stepper = INTEGRATORS["leapfrog"](lambda q, p: torch.sin(q), lambda q, p: p)
    q = torch.tensor([[0.5], [1.0]], dtype=torch.float64)
    p = torch.zeros_like(q)
    h = torch.tensor([[0.1], [0.05]], dtype=torch.float64)
    qt, pt = stepper.integrate(q, p, h, 4)
    qn, pn = INTEGRATORS["leapfrog"](*pendulum_grads()).integrate(
        q.numpy(), p.numpy(), h.numpy(), 4
    )
    np.testing.assert_allclose(qt.numpy(), qn)


def test_solve_ivp_wrapper_raises_on_failure():
    with pytest.raises(IntegrationError, match="failed"):
        solve(lambda t, y: y**2, np.array([1.0]), np.linspace(0, 2, 5), rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="unknown method"):
        solve(lambda t, y: -y, np.array([1.0]), np.linspace(0, 1, 3), method="Euler")
