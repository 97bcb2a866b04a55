"""Every registered integrator: declared order, energy behaviour, requirements, torch.

Parametrized over the registry, so a new integrator is tested by registering it. Test
problems (float64, q and p of shape (batch, dof)):

- harmonic oscillator H = p²/2 + q²/2, exact q(t) = q₀ cos t + p₀ sin t;
- pendulum H = p²/2 − cos q (nonlinear, separable), reference from scipy's DOP853;
- forced oscillator H = (p − sin 2t)²/2 + q²/2 − q cos 2t (time-dependent), exact;
- H = (1 + q²) p²/2 + q²/2 (inseparable), reference from scipy's DOP853;
- a clock H = p − q t, whose q is t itself and p = t²/2: checks where steps land.
"""

import math
import re

import numpy as np
import pytest
import torch

from hampipe.integrators import INTEGRATORS, Field, solve

NAMES = sorted(INTEGRATORS)
SYMPLECTIC = [name for name in NAMES if INTEGRATORS[name].symplectic]
NON_SYMPLECTIC = [name for name in NAMES if not INTEGRATORS[name].symplectic]
GENERAL = [name for name in NAMES if "separable" not in INTEGRATORS[name].requires]
SEPARABLE_ONLY = [name for name in NAMES if "separable" in INTEGRATORS[name].requires]

Q0 = np.array([[1.0], [0.3]])
P0 = np.array([[0.5], [-1.0]])


def oscillator(separable=True):
    return Field.from_gradients(lambda q, p: q, lambda q, p: p, separable=separable)


def oscillator_exact(q0, p0, t):
    return q0 * np.cos(t) + p0 * np.sin(t), p0 * np.cos(t) - q0 * np.sin(t)


def pendulum():
    return Field.from_gradients(lambda q, p: np.sin(q), lambda q, p: p, separable=True)


def forced_oscillator():
    """q̇ = p − sin 2t, ṗ = −q + cos 2t: H = (p − sin 2t)²/2 + q²/2 − q cos 2t.

    Time enters both equations, so a wrong time in either half of a step shows.
    """
    return Field.from_gradients(
        lambda q, p, t: q - np.cos(2 * t),
        lambda q, p, t: p - np.sin(2 * t),
        separable=True,
        time_dependent=True,
    )


def forced_oscillator_exact(q0, p0, t0, t):
    """q̈ + q = −cos 2t: q = cos(2t)/3 plus the free oscillation through (q0, p0) at t0."""
    a = q0 - np.cos(2 * t0) / 3
    b = p0 - np.sin(2 * t0) / 3  # q̇(t0) minus the particular solution's
    dt = t - t0
    q = np.cos(2 * t) / 3 + a * np.cos(dt) + b * np.sin(dt)
    p = np.sin(2 * t) / 3 - a * np.sin(dt) + b * np.cos(dt)
    return q, p


def inseparable():
    """H = (1 + q²) p²/2 + q²/2; polynomial, so it runs on NumPy and torch alike."""
    return Field.from_gradients(
        lambda q, p: q * p**2 + q, lambda q, p: (1 + q**2) * p, separable=False
    )


def reference(field, q0, p0, t0, T):
    """The state at t0 + T from scipy's DOP853 at rtol = atol = 1e-12."""
    shape, size = q0.shape, q0.size

    def fun(t, y):
        dq, dp = field.vector_field(y[:size].reshape(shape), y[size:].reshape(shape), t)
        return np.concatenate([np.ravel(dq), np.ravel(dp)])

    y = solve(fun, np.concatenate([q0.ravel(), p0.ravel()]), np.array([t0, t0 + T]))[-1]
    return y[:size].reshape(shape), y[size:].reshape(shape)


def fixed_step(name, field, **options):
    """The integrator on ``field``; adaptive ones with step-size control off."""
    cls = INTEGRATORS[name]
    if cls.adaptive:
        options = {"adaptive": False, **options}
    return cls(field, **options)


def measured_orders(integrator, exact, q0, p0, T, t0=0.0):
    """log2 of successive error ratios at n, 2n, 4n steps over [t0, t0 + T].

    n halves with each order (64 steps for order 1 down to 8 from order 4 on) to keep
    the errors well above rounding and the runs short.
    """
    n = max(8, 2 ** (7 - integrator.order))
    errors = []
    for steps in (n, 2 * n, 4 * n):
        q, p = integrator.integrate(q0, p0, T / steps, steps, t0)
        errors.append(np.hypot(q - exact[0], p - exact[1]).max())
    return np.log2(np.array(errors[:-1]) / np.array(errors[1:]))


def assert_order(name, orders):
    declared = INTEGRATORS[name].order
    assert np.all(abs(orders - declared) < 0.15), f"{name}: measured {orders}, declared {declared}"


# --- declared order -----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_declared_order_on_harmonic_oscillator(name):
    T = 2.0
    orders = measured_orders(fixed_step(name, oscillator()), oscillator_exact(Q0, P0, T), Q0, P0, T)
    assert_order(name, orders)


@pytest.mark.parametrize("name", NAMES)
def test_declared_order_on_pendulum(name):
    q0, p0, T = np.array([[1.0], [2.5]]), np.array([[0.3], [0.0]]), 2.0
    exact = reference(pendulum(), q0, p0, 0.0, T)
    assert_order(name, measured_orders(fixed_step(name, pendulum()), exact, q0, p0, T))


@pytest.mark.parametrize("name", NAMES)
def test_declared_order_on_time_dependent_field(name):
    """A forced oscillator from t0 = 0.7: the order holds only if t reaches the field."""
    t0, T = 0.7, 2.0
    exact = forced_oscillator_exact(Q0, P0, t0, t0 + T)
    orders = measured_orders(fixed_step(name, forced_oscillator()), exact, Q0, P0, T, t0)
    assert_order(name, orders)


@pytest.mark.parametrize("name", GENERAL)
def test_declared_order_on_inseparable_hamiltonian(name):
    """Amplitude 0.7 over T = 1: larger orbits keep dopri5 pre-asymptotic (order ≈ 6)."""
    q0, p0, T = np.array([[0.7], [0.0]]), np.array([[0.0], [0.7]]), 1.0
    exact = reference(inseparable(), q0, p0, 0.0, T)
    assert_order(name, measured_orders(fixed_step(name, inseparable()), exact, q0, p0, T))


def clock():
    """H = p − q t: q̇ = 1 and ṗ = t, so q − q0 and 2 (p − p0) + t0² read off t and t²."""
    return Field.from_gradients(
        lambda q, p, t: 0 * q - t, lambda q, p, t: 1 + 0 * p, separable=True, time_dependent=True
    )


@pytest.mark.parametrize("name", NAMES)
def test_lands_on_each_rows_end_time(name):
    """With per-row h and t0, row r ends at t0_r + n h_r; p = ∫ t dt is exact from order 2."""
    h = np.array([[0.1], [0.25], [0.03]])
    t0 = np.array([[0.0], [1.5], [-0.4]])
    q0, p0, n = np.zeros((3, 2)), np.ones((3, 2)), 7
    q, p = INTEGRATORS[name](clock()).integrate(q0, p0, h, n, t0)
    t_end = t0 + n * h
    np.testing.assert_allclose(q, np.broadcast_to(t_end - t0, q.shape), rtol=1e-13)
    if INTEGRATORS[name].order >= 2:
        np.testing.assert_allclose(p, p0 + (t_end**2 - t0**2) / 2, rtol=1e-13)


# --- energy ----------------------------------------------------------------------------


def energy_errors(integrator, n_steps=10_000, h=0.05):
    """Relative energy error of the oscillator from (1, 0) after each of n_steps steps."""
    q, p = np.array([[1.0]]), np.array([[0.0]])
    errors = []
    for _ in range(n_steps):
        q, p = integrator.step(q, p, h)
        errors.append(abs((p**2 + q**2).item() / 2 - 0.5) / 0.5)
    return np.array(errors)


@pytest.mark.parametrize("name", SYMPLECTIC)
def test_symplectic_energy_error_bounded_over_long_runs(name):
    """Over 10⁴ steps the energy error oscillates at O(h^order), with no drift."""
    h = 0.05
    errors = energy_errors(INTEGRATORS[name](oscillator()), h=h)
    assert errors.max() < h ** INTEGRATORS[name].order  # the modified-energy offset
    assert errors[-1000:].max() < 1.01 * errors[:1000].max()  # no secular growth


@pytest.mark.parametrize("name", NON_SYMPLECTIC)
def test_non_symplectic_energy_error_drifts(name):
    """Without symplecticity the energy error grows secularly (fixed steps)."""
    errors = energy_errors(fixed_step(name, oscillator()), n_steps=2000)
    assert errors[-200:].mean() > 5 * errors[:200].mean()


def test_explicit_euler_energy_grows_by_one_plus_h_squared_per_step():
    h = 0.05
    q, p = np.array([[1.0]]), np.array([[0.0]])
    stepper = INTEGRATORS["euler"](oscillator())
    energies = [0.5]
    for _ in range(100):
        q, p = stepper.step(q, p, h)
        energies.append((p**2 + q**2).item() / 2)
    np.testing.assert_allclose(energies, 0.5 * (1 + h**2) ** np.arange(101), rtol=1e-12)


# --- requirements and options --------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_refuses_fields_lacking_what_it_requires(name):
    cls = INTEGRATORS[name]
    inseparable_field = oscillator(separable=False)
    black_box = Field.from_vector_field(lambda q, p, t: (p, -q))
    if "separable" in cls.requires:
        with pytest.raises(ValueError, match=rf"'{name}'.*separable"):
            cls(inseparable_field)
    else:
        cls(inseparable_field)
    if "hamiltonian" in cls.requires:
        with pytest.raises(ValueError, match=rf"'{name}'.*Hamiltonian"):
            cls(black_box)
    else:
        q, p = cls(black_box).integrate(Q0, P0, 0.01, 3)
        assert q.shape == Q0.shape and p.shape == P0.shape


def test_separable_only_integrators_exist():
    assert "leapfrog" in SEPARABLE_ONLY and "symplectic_euler" in SEPARABLE_ONLY


@pytest.mark.parametrize("name", NAMES)
def test_unknown_option_lists_valid_ones(name):
    cls = INTEGRATORS[name]
    with pytest.raises(ValueError, match="unknown option") as info:
        cls(oscillator(), not_an_option=1)
    message = str(info.value)
    assert name in message
    for option in cls.options:
        assert option in message
    if not cls.options:
        assert "none" in message


@pytest.mark.parametrize(
    "name, options",
    [
        ("stormer_verlet", {"iterations": 0}),
        ("stormer_verlet", {"iterations": 1.5}),
        ("dopri5", {"rtol": 0.0}),
        ("dopri5", {"atol": -1.0}),
        ("dopri5", {"max_steps": 0}),
    ],
)
def test_invalid_option_values_raise(name, options):
    (option,) = options
    with pytest.raises(ValueError, match=rf"'{name}'.*'{option}'"):
        INTEGRATORS[name](oscillator(), **options)


# --- Störmer–Verlet --------------------------------------------------------------------


def test_stormer_verlet_equals_leapfrog_on_separable_fields():
    q0, p0 = np.array([[0.5], [2.0]]), np.array([[0.1], [-0.4]])
    sv = INTEGRATORS["stormer_verlet"](pendulum()).integrate(q0, p0, 0.1, 50)
    lf = INTEGRATORS["leapfrog"](pendulum()).integrate(q0, p0, 0.1, 50)
    np.testing.assert_allclose(sv[0], lf[0], rtol=1e-12)
    np.testing.assert_allclose(sv[1], lf[1], rtol=1e-12)


def test_stormer_verlet_time_reversible_on_inseparable_hamiltonian():
    stepper = INTEGRATORS["stormer_verlet"](inseparable(), iterations=8)
    q, p = stepper.integrate(Q0, P0, 0.05, 50)
    assert np.hypot(q - Q0, p - P0).min() > 0.5  # about half an orbit away
    q, p = stepper.integrate(q, -p, 0.05, 50)
    np.testing.assert_allclose(q, Q0, atol=1e-10)
    np.testing.assert_allclose(-p, P0, atol=1e-10)


def test_stormer_verlet_energy_bounded_on_inseparable_hamiltonian():
    stepper = INTEGRATORS["stormer_verlet"](inseparable(), iterations=8)
    H = lambda q, p: ((1 + q**2) * p**2 / 2 + q**2 / 2).ravel()  # noqa: E731
    q, p, errors = Q0, P0, []
    for _ in range(200):
        q, p = stepper.integrate(q, p, 0.05, 10)
        errors.append(abs(H(q, p) - H(Q0, P0)) / H(Q0, P0))
    errors = np.array(errors)
    assert errors.max() < 0.05**2
    assert errors[-50:].max() < 1.01 * errors[:50].max()


# --- dopri5 ----------------------------------------------------------------------------


def test_dopri5_error_follows_tolerance():
    """Over ~1.6 periods the global error shrinks with rtol and stays within 100·rtol."""
    errors = []
    for rtol in (1e-4, 1e-6, 1e-8, 1e-10):
        stepper = INTEGRATORS["dopri5"](oscillator(), rtol=rtol, atol=1e-2 * rtol)
        q, p = stepper.integrate(Q0, P0, 1.0, 10)
        qe, pe = oscillator_exact(Q0, P0, 10.0)
        errors.append(max(np.abs(q - qe).max(), np.abs(p - pe).max()))
        assert errors[-1] < 100 * rtol
    assert all(a > 10 * b for a, b in zip(errors, errors[1:], strict=False))


def test_dopri5_per_row_steps_land_on_each_rows_end_time():
    h = np.array([[0.1], [0.25], [0.05]])
    t0 = np.array([[0.0], [0.3], [-1.0]])
    q0, p0 = np.array([[1.0], [0.0], [-0.5]]), np.array([[0.0], [1.0], [0.2]])
    q, p = INTEGRATORS["dopri5"](forced_oscillator(), rtol=1e-10, atol=1e-12).integrate(
        q0, p0, h, 20, t0
    )
    qe, pe = forced_oscillator_exact(q0, p0, t0, t0 + 20 * h)
    np.testing.assert_allclose(q, qe, atol=1e-8)
    np.testing.assert_allclose(p, pe, atol=1e-8)


def test_dopri5_returns_non_finite_states_instead_of_looping():
    def blows_up(q, p, t):  # finite for q < 1.5, NaN beyond
        return 1 + 0 * p, np.where(q < 1.5, -q, np.nan)

    stepper = INTEGRATORS["dopri5"](Field.from_vector_field(blows_up), max_steps=1000)
    q, p = stepper.integrate(np.array([[0.0], [1.0]]), np.zeros((2, 1)), 0.5, 6)
    assert not np.all(np.isfinite(p))


def test_dopri5_raises_after_max_steps():
    stepper = INTEGRATORS["dopri5"](oscillator(), rtol=1e-12, atol=1e-14, max_steps=5)
    with pytest.raises(RuntimeError, match="'dopri5'.*max_steps"):
        stepper.integrate(Q0, P0, 10.0, 1)


def test_dopri5_zero_steps_returns_inputs_and_step_covers_one_interval():
    stepper = INTEGRATORS["dopri5"](oscillator())
    q, p = stepper.integrate(Q0, P0, 0.1, 0)
    assert q is Q0 and p is P0
    q, p = stepper.step(Q0, P0, 0.5)
    np.testing.assert_allclose(
        np.hstack([q, p]), np.hstack(oscillator_exact(Q0, P0, 0.5)), atol=1e-8
    )


# --- array agnosticism ---------------------------------------------------------------


def quartic():
    """H = p²/2 + q²/2 + q⁴/4 over two dof; polynomial, so NumPy and torch alike."""
    return Field.from_gradients(lambda q, p: q + q**3, lambda q, p: p, separable=True)


@pytest.mark.parametrize("name", NAMES)
def test_runs_on_torch_with_per_example_steps_and_agrees_with_numpy(name):
    q0 = np.array([[0.5, -1.0], [1.0, 0.2], [0.0, 0.7]])
    p0 = np.array([[0.0, 0.3], [-0.5, 0.0], [1.0, 0.1]])
    h = np.array([[0.1], [0.05], [0.2]])
    t0 = np.array([[0.0], [1.0], [2.0]])
    numpy_run = INTEGRATORS[name](quartic()).integrate(q0, p0, h, 5, t0)
    q = torch.tensor(q0, requires_grad=True)
    p = torch.tensor(p0)
    torch_run = INTEGRATORS[name](quartic()).integrate(q, p, torch.tensor(h), 5, torch.tensor(t0))
    for a, b in zip(torch_run, numpy_run, strict=True):
        assert isinstance(a, torch.Tensor) and a.dtype == torch.float64
        np.testing.assert_allclose(a.detach().numpy(), b, rtol=1e-12, atol=1e-14)
    (torch_run[0] ** 2 + torch_run[1] ** 2).sum().backward()  # autograd through the steps
    assert q.grad is not None and torch.isfinite(q.grad).all()
    assert math.isfinite(float(q.grad.abs().sum())) and float(q.grad.abs().sum()) > 0


def test_separable_requirement_message_names_alternatives():
    with pytest.raises(ValueError, match=re.escape("stormer_verlet")):
        INTEGRATORS["leapfrog"](inseparable())


# --- explicit midpoint (RK2) ------------------------------------------------------------


def test_midpoint_step_is_the_second_order_taylor_polynomial_on_a_linear_field():
    """On u' = A u one midpoint step is exactly (I + hA + h²A²/2) u: the degree-2 Taylor
    polynomial of exp(hA), hence order 2 and no more."""
    h = 0.3
    A = np.array([[0.0, 1.0], [-1.0, 0.0]])  # the oscillator: q' = p, p' = -q
    u0 = np.array([0.7, -0.2])
    expected = (np.eye(2) + h * A + (h * A) @ (h * A) / 2) @ u0
    q, p = INTEGRATORS["midpoint"](oscillator()).step(u0[None, :1], u0[None, 1:], h)
    np.testing.assert_allclose([q[0, 0], p[0, 0]], expected, rtol=1e-15, atol=1e-15)


def _torch_pendulum(time_dependent: bool) -> Field:
    if time_dependent:
        return Field.from_gradients(
            lambda q, p, t: torch.sin(q) + 0.1 * torch.cos(t),
            lambda q, p, t: p,
            separable=True,
            time_dependent=True,
        )
    return Field.from_gradients(lambda q, p: torch.sin(q), lambda q, p: p, separable=True)


@pytest.mark.parametrize("name", ["leapfrog", "stormer_verlet", "rk4"])
@pytest.mark.parametrize("time_dependent", [False, True])
def test_ragged_integration_equals_each_block_on_its_own(name, time_dependent):
    """Rows in blocks of 5, 3 and 1 steps, each with its own h and t0: leapfrog's batched
    version (rows still stepping together) and the base one (block by block) both end
    where :meth:`integrate` of each block ends, to rounding, one result per block in
    the order of the counts."""
    field = _torch_pendulum(time_dependent)
    integrator = INTEGRATORS[name](field)
    counts = [(5, 3), (3, 2), (1, 2)]
    gen = torch.Generator().manual_seed(0)
    q, p = torch.randn(2, 7, 2, dtype=torch.float64, generator=gen)
    h = 0.05 + 0.1 * torch.rand(7, 1, dtype=torch.float64, generator=gen)
    t0 = torch.rand(7, 1, dtype=torch.float64, generator=gen)
    ends = integrator.integrate_ragged(q, p, h, counts, t0)
    assert len(ends) == len(counts)
    start = 0
    for (n_steps, rows), (q_end, p_end) in zip(counts, ends, strict=True):
        block = slice(start, start + rows)
        expected = integrator.integrate(q[block], p[block], h[block], n_steps, t0[block])
        torch.testing.assert_close(q_end, expected[0], rtol=1e-14, atol=1e-15)
        torch.testing.assert_close(p_end, expected[1], rtol=1e-14, atol=1e-15)
        start += rows


def test_ragged_integration_refuses_unordered_or_uncovering_counts():
    integrator = INTEGRATORS["leapfrog"](_torch_pendulum(False))
    q = torch.zeros(4, 1, dtype=torch.float64)
    for counts in ([(2, 2), (3, 2)], [(2, 2), (2, 2)], [(0, 4)]):
        with pytest.raises(ValueError, match="strictly descending"):
            integrator.integrate_ragged(q, q, 0.1, counts)
    with pytest.raises(ValueError, match="cover 3 rows of 4"):
        integrator.integrate_ragged(q, q, 0.1, [(2, 3)])
