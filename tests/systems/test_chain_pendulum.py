"""Physics checks of the N-pendulum chain (``pendulum4``, ``pendulum6``)."""

import numpy as np
import pytest
import sympy as sp

from hampipe.data import simulate
from hampipe.systems import make_system
from hampipe.systems.chain_pendulum import ChainPendulum

CHAINS = ["pendulum4", "pendulum6"]


def chain(n_links, **parameters):
    """A chain of ``n_links`` pendulums with the given parameters (unregistered)."""
    cls = type(f"Chain{n_links}", (ChainPendulum,), {"n_links": n_links})
    return cls(parameters=parameters)


def test_one_link_is_the_single_pendulum(rng):
    """N = 1: H = p²/(2 m l²) + m g l (1 − cos q), the single pendulum's H."""
    single = make_system("pendulum")
    m, length, g = (single.parameters[k] for k in ("m", "l", "g"))
    one = chain(1, m1=m, l1=length, g=g)
    q, p = rng.uniform(-3, 3, size=(2, 20, 1))
    np.testing.assert_allclose(one.hamiltonian(q, p), single.hamiltonian(q, p), rtol=1e-13)
    np.testing.assert_allclose(one.dH_dq(q, p), single.dH_dq(q, p), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(one.dH_dp(q, p), single.dH_dp(q, p), rtol=1e-13)
    np.testing.assert_allclose(one.hessian(q, p), single.hessian(q, p), rtol=1e-12, atol=1e-12)


def lagrangian_functions(m, ell, g):
    """From L = T − V in Cartesian bob coordinates (sympy), independently of the system:
    energy T + V, p = ∂L/∂q̇, ∂L/∂q and the Euler–Lagrange accelerations as functions
    of (q, q̇)."""
    n = len(m)
    q, qd, qdd = (sp.symbols(f"{s}1:{n + 1}") for s in ("q", "qd", "qdd"))
    x = [sum(ell[k] * sp.sin(q[k]) for k in range(i + 1)) for i in range(n)]
    y = [-sum(ell[k] * sp.cos(q[k]) for k in range(i + 1)) for i in range(n)]

    def dt(expr):  # time derivative along (q̇, q̈)
        return sum(sp.diff(expr, q[j]) * qd[j] + sp.diff(expr, qd[j]) * qdd[j] for j in range(n))

    T = sum(m[i] * (dt(x[i]) ** 2 + dt(y[i]) ** 2) for i in range(n)) / 2
    # Heights measured from each bob's rest position hanging down, y_i = -sum_{k<=i} l_k.
    V = sum(m[i] * g * (y[i] + sum(ell[: i + 1])) for i in range(n))
    L = T - V
    momenta = [sp.diff(L, v) for v in qd]
    forces = [sp.diff(L, c) for c in q]
    euler_lagrange = sp.Matrix([dt(momenta[i]) - forces[i] for i in range(n)])  # = 0
    # Euler–Lagrange is linear in q̈: A q̈ + b = 0.
    A = euler_lagrange.jacobian(qdd)
    b = euler_lagrange.subs({v: 0 for v in qdd})
    args = (q, qd)
    energy = sp.lambdify(args, T + V)
    p_of = sp.lambdify(args, momenta)
    f_of = sp.lambdify(args, forces)
    A_of, b_of = sp.lambdify(args, A), sp.lambdify(args, b)

    def accelerations(qv, qdv):
        A_num = np.array(A_of(qv, qdv), float)
        return np.linalg.solve(A_num, -np.array(b_of(qv, qdv), float).ravel())

    return energy, p_of, f_of, accelerations


@pytest.mark.parametrize(
    "m, ell",
    [([1.0, 0.7], [1.0, 0.8]), ([1.0, 0.7, 1.3], [1.0, 0.8, 1.2])],
    ids=["N2", "N3"],
)
def test_hamiltonian_flow_matches_euler_lagrange(m, ell, rng):
    """Legendre transform and accelerations agree with the Lagrangian of the chain."""
    g = 9.81
    n = len(m)
    params = (
        {"g": g} | {f"m{i + 1}": m[i] for i in range(n)} | {f"l{i + 1}": ell[i] for i in range(n)}
    )
    system = chain(n, **params)
    energy, p_of, f_of, accelerations = lagrangian_functions(m, ell, g)
    q, p = rng.uniform(-2, 2, size=(2, 6, n))
    qdot, pdot = system.time_derivative(q, p)
    jac = system.jacobian(q, p)
    # q̈ = d/dt (dH/dp) = ∂q̇/∂q q̇ + ∂q̇/∂p ṗ, the top rows of the Jacobian.
    qddot = np.einsum("bij,bj->bi", jac[:, :n], np.concatenate([qdot, pdot], 1))
    # The same without the Hessian: central difference of dH/dp along the flow.
    h = 1e-5
    qddot_fd = (
        system.dH_dp(q + h * qdot, p + h * pdot) - system.dH_dp(q - h * qdot, p - h * pdot)
    ) / (2 * h)
    np.testing.assert_allclose(qddot_fd, qddot, rtol=1e-6, atol=1e-6)
    H = system.hamiltonian(q, p)
    for i in range(len(q)):
        np.testing.assert_allclose(p_of(q[i], qdot[i]), p[i], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(f_of(q[i], qdot[i]), pdot[i], rtol=1e-8, atol=1e-8)
        np.testing.assert_allclose(energy(q[i], qdot[i]), H[i], rtol=1e-10)
        np.testing.assert_allclose(accelerations(q[i], qdot[i]), qddot[i], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", CHAINS)
def test_ground_truth_conserves_energy(name):
    system = make_system(name)
    ds = simulate(system, 3, 100, 0.03, seed=7)
    assert ds.attrs["n_resampled"] == 0  # the drift check below did not reject any draw
    assert ds.attrs["max_relative_energy_drift"] <= 1e-8
    assert ds.q.shape == (3, 100, system.n_links)


@pytest.mark.parametrize("name", CHAINS)
def test_mass_matrix_is_symmetric_positive_definite(name, rng):
    system = make_system(name, parameters={"m2": 0.3, "l3": 2.0})
    q = rng.uniform(-np.pi, np.pi, size=(50, system.n_links))
    M = system.mass_matrix(q)
    np.testing.assert_array_equal(M, np.swapaxes(M, 1, 2))
    assert np.all(np.linalg.eigvalsh(M) > 0)


@pytest.mark.parametrize("name", CHAINS)
def test_declared_properties(name, rng):
    system = make_system(name)
    n = system.n_links
    assert system.separable is False
    assert system.dof_names == [f"theta{i + 1}" for i in range(n)]
    assert set(system.parameters) == {"g"} | {f"{k}{i + 1}" for k in "ml" for i in range(n)}
    assert all(v == 1.0 for v in system.parameters.values())
    q, p = system.sample_initial_states(rng, 200)
    assert np.all(np.abs(np.concatenate([q, p])) <= 0.25)
    assert np.abs(q).max() > 0.2 and np.abs(p).max() > 0.2  # the whole box, q and p
    # At rest hanging straight down H = 0; upside down every bob i is 2 Σ_{k≤i} ℓ_k up.
    zero = np.zeros((1, n))
    np.testing.assert_array_equal(system.hamiltonian(zero, zero), 0.0)
    up = np.full((1, n), np.pi)
    np.testing.assert_allclose(system.hamiltonian(up, zero), n * (n + 1))


def test_invalid_options_are_named():
    with pytest.raises(ValueError, match=r"parameters\.m2 must be > 0"):
        make_system("pendulum4", parameters={"m2": 0.0})
    with pytest.raises(ValueError, match="low < high"):
        make_system("pendulum6", initial_state={"low": 0.3, "high": 0.1})
    with pytest.raises(ValueError, match="unknown parameters m5"):
        make_system("pendulum4", parameters={"m5": 1.0})
