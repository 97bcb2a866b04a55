"""Generic checks over the system registry, plus analytic results per system."""

import numpy as np
import pytest

from hampipe.data import GroundTruthSolver, simulate
from hampipe.sai import stiffness_index
from hampipe.systems import SYSTEMS, make_system, system_from_attrs

ALL = sorted(SYSTEMS)


def states(system, rng, n=5):
    return system.sample_initial_states(rng, n)


def fd_gradient(f, x, eps=1e-6):
    """Central finite-difference gradient of a batched scalar function."""
    grad = np.zeros_like(x)
    for k in range(x.shape[1]):
        e = np.zeros_like(x)
        e[:, k] = eps
        grad[:, k] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad


@pytest.mark.parametrize("name", ALL)
def test_gradients_match_finite_differences(name, rng):
    system = make_system(name)
    q, p = states(system, rng)
    dq = fd_gradient(lambda x: system.hamiltonian(x, p), q)
    dp = fd_gradient(lambda x: system.hamiltonian(q, x), p)
    scale = 1 + np.abs(system.hamiltonian(q, p)).max()
    np.testing.assert_allclose(system.dH_dq(q, p), dq, atol=1e-6 * scale)
    np.testing.assert_allclose(system.dH_dp(q, p), dp, atol=1e-6 * scale)


@pytest.mark.parametrize("name", [n for n in ALL if make_system(n).has_hessian])
def test_jacobian_matches_finite_differences(name, rng):
    system = make_system(name)
    q, p = states(system, rng, 3)
    u = np.concatenate([q, p], 1)
    n = system.dof
    eps = 1e-6
    jac_fd = np.zeros((3, 2 * n, 2 * n))
    for k in range(2 * n):
        e = np.zeros_like(u)
        e[:, k] = eps
        jac_fd[:, :, k] = (system.vector_field(0, u + e) - system.vector_field(0, u - e)) / (
            2 * eps
        )
    jac = system.jacobian(q, p)
    np.testing.assert_allclose(jac, jac_fd, rtol=1e-5, atol=1e-5 * np.abs(jac).max())
    # SI from the analytic Jacobian equals SI from the finite-difference one.
    si_fd = np.abs(np.linalg.eigvals(jac_fd).real).max(-1)
    np.testing.assert_allclose(stiffness_index(system, q, p), si_fd, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ALL)
def test_sampler_is_seeded(name):
    system = make_system(name)
    a = system.sample_initial_states(np.random.default_rng(1), 4)
    b = system.sample_initial_states(np.random.default_rng(1), 4)
    c = system.sample_initial_states(np.random.default_rng(2), 4)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.allclose(a[0], c[0])
    assert a[0].shape == (4, system.dof)


@pytest.mark.parametrize("name", ALL)
def test_roundtrip_through_attrs(name):
    system = make_system(name)
    rebuilt = system_from_attrs({"system": name, "parameters": system.parameters_json()})
    assert type(rebuilt) is type(system) and rebuilt.parameters == system.parameters


def test_unknown_parameter_is_named():
    with pytest.raises(ValueError, match="unknown parameters mass"):
        make_system("spring", parameters={"mass": 1.0})


def test_spring_ground_truth_matches_closed_form_and_conserves_energy():
    spring = make_system("spring")
    ds = simulate(spring, 8, 50, 0.1, seed=3, solver=GroundTruthSolver(max_energy_drift=1e-8))
    q_exact, p_exact = spring.exact_solution(ds.q.values[:, 0], ds.p.values[:, 0], ds.time.values)
    amplitude = np.abs(ds.q.values).max()
    np.testing.assert_allclose(ds.q.values, q_exact, atol=1e-9 * amplitude)
    np.testing.assert_allclose(ds.p.values, p_exact, atol=1e-9 * 2 * amplitude)
    assert ds.attrs["max_relative_energy_drift"] <= 1e-8


def test_spring_radius_sampling_is_hnns_recipe():
    """sampling: radius (HNN's spring): with H = q² + p² (k = 2, m = 1/2) each start lies
    at a radius r = sqrt(H) uniform in the range, in a direction drawn from the square
    (so the diagonals, where the square reaches furthest, are over-represented); box
    (DGNet's evaluation starts): |q|, |p| uniform in the range, random signs; the
    default keeps the energy uniform between the range's ends."""
    hnn = make_system(
        "spring", parameters={"k": 2.0, "m": 0.5}, initial_state={"radius": [0.1, 1.0],
                                                               "sampling": "radius"}
    )  # fmt: skip
    q, p = hnn.sample_initial_states(np.random.default_rng(1), 20000)
    r = np.hypot(q[:, 0], p[:, 0])
    np.testing.assert_allclose(hnn.hamiltonian(q, p), r**2)
    assert 0.1 <= r.min() and r.max() <= 1.0
    # uniform in r: each tenth of the range holds a tenth of the starts (±1.5 %)
    counts = np.histogram(r, bins=10, range=(0.1, 1.0))[0] / r.size
    np.testing.assert_allclose(counts, 0.1, atol=0.015)
    angle = np.mod(np.arctan2(p[:, 0], q[:, 0]), np.pi / 2)
    diagonal = np.abs(angle - np.pi / 4) < np.pi / 16
    axis = (angle < np.pi / 16) | (angle > np.pi / 2 - np.pi / 16)
    assert diagonal.mean() > 1.5 * axis.mean()  # 1/8 of the angles each; ratio about 2
    box = make_system("spring", initial_state={"radius": [0.2, 1.0], "sampling": "box"})
    q, p = box.sample_initial_states(np.random.default_rng(1), 20000)
    for x in (q[:, 0], p[:, 0]):  # |x| uniform in [0.2, 1], each sign half the time
        assert 0.2 <= np.abs(x).min() and np.abs(x).max() <= 1.0
        assert np.mean(x > 0) == pytest.approx(0.5, abs=0.02)
        np.testing.assert_allclose(
            np.histogram(np.abs(x), bins=4, range=(0.2, 1.0))[0] / x.size, 0.25, atol=0.015
        )
    energy = make_system("spring", initial_state={"radius": [1.0, 2.0]})
    q, p = energy.sample_initial_states(np.random.default_rng(1), 20000)
    H = energy.hamiltonian(q, p)  # k = 2: E = r² between 1 and 4, uniform
    np.testing.assert_allclose(np.histogram(H, bins=3, range=(1.0, 4.0))[0] / H.size, 1 / 3,
                               atol=0.015)  # fmt: skip


def test_three_body_ground_truth_conserves_energy():
    three = make_system("three_body")
    ds = simulate(three, 10, 100, 0.1, seed=4, solver=GroundTruthSolver(max_energy_drift=1e-6))
    energy = ds.energy.values
    assert np.max(np.abs(energy - energy[:, :1]) / np.abs(energy[:, :1])) <= 1e-6
    assert ds.attrs["max_relative_energy_drift"] <= 1e-6


@pytest.mark.parametrize("G", [1.0, 4.0])
def test_three_body_lagrange_orbit_is_a_rotating_triangle(G):
    """With no velocity noise the recipe starts the circular Lagrange solution:
    each body stays at radius r and the triangle turns at ω = (G m / √3)^½ r^(−3/2)."""
    three = make_system(
        "three_body", parameters={"G": G}, initial_state={"velocity_perturbation": 0.0}
    )
    ds = simulate(three, 3, 40, 0.1, seed=5, solver=GroundTruthSolver(max_energy_drift=1e-8))
    q = ds.q.values.reshape(3, 40, 3, 2)
    r = np.linalg.norm(q[:, 0, 0], axis=-1)
    omega = np.sqrt(G / np.sqrt(3)) * r**-1.5
    angle = omega[:, None] * ds.time.values[None, :]
    c, s = np.cos(angle), np.sin(angle)
    x0, y0 = q[:, 0, :, 0][:, None, :], q[:, 0, :, 1][:, None, :]
    expected = np.stack(
        [c[..., None] * x0 - s[..., None] * y0, s[..., None] * x0 + c[..., None] * y0], -1
    )
    np.testing.assert_allclose(q, expected, atol=1e-8)


def test_three_body_recipe_geometry(rng):
    three = make_system("three_body")
    q, p = three.sample_initial_states(rng, 50)
    bodies = q.reshape(50, 3, 2)
    radii = np.linalg.norm(bodies, axis=-1)
    assert np.all((radii >= 0.9) & (radii <= 1.2))
    np.testing.assert_allclose(radii, radii[:, :1] * np.ones((1, 3)))
    np.testing.assert_allclose(bodies.sum(1), 0, atol=1e-12)  # triangle centred at origin
    zero = make_system("three_body", initial_state={"zero_total_momentum": True})
    q, p = zero.sample_initial_states(rng, 50)
    np.testing.assert_allclose(zero.centre_of_mass_velocity(p), 0, atol=1e-12)


@pytest.mark.parametrize("amplitude", [0.1, 1.0, 2.5])
def test_pendulum_period_matches_elliptic_integral(amplitude):
    """Released at rest from θ₀, the pendulum is at −θ₀ after T/2 and back after T."""
    from hampipe.integrators import solve

    pendulum = make_system("pendulum")
    T = pendulum.period(amplitude)
    u = solve(pendulum.vector_field, np.array([amplitude, 0.0]), np.array([0, T / 4, T / 2, T]))
    np.testing.assert_allclose(u[:, 0], [amplitude, 0.0, -amplitude, amplitude], atol=1e-9)
    np.testing.assert_allclose(u[[0, 2, 3], 1], 0.0, atol=1e-9)


def test_pendulum_defaults_are_hnn_pendulum(rng):
    pendulum = make_system("pendulum")
    q, p = pendulum.sample_initial_states(rng, 20)
    np.testing.assert_allclose(pendulum.hamiltonian(q, p), p[:, 0] ** 2 + 3 * (1 - np.cos(q[:, 0])))
    radius = np.hypot(q, p)
    assert np.all((radius >= 1.3) & (radius <= 2.3))


def test_three_body_recipe_needs_equal_masses(rng):
    three = make_system("three_body", parameters={"m2": 2.0})
    with pytest.raises(ValueError, match="equal masses"):
        three.sample_initial_states(rng, 2)


def test_check_systems_names_the_bad_built_in_key():
    from hampipe.core import ConfigError
    from hampipe.systems import check_systems

    with pytest.raises(ConfigError, match=r"systems\.billiard.*initial_state\.speed"):
        check_systems({"billiard": {"initial_state": {"speed": [0.5, 1.4]}}})
    with pytest.raises(ConfigError, match=r"systems\.three_body.*equal masses"):
        check_systems({"three_body": {"parameters": {"m1": 2.0}}})
    built = check_systems({"spring": {}, "osc": {**OSCILLATOR, "parameters": {"k": 2.0}}})
    assert built["osc"].name == "osc" and built["spring"].name == "spring"


OSCILLATOR = {
    "hamiltonian": "p**2/2 + k*q**2/2",
    "coordinates": ["q"],
    "momenta": ["p"],
    "initial_state": {"sampler": "uniform", "low": [-1, -1], "high": [1, 1]},
}


def test_user_system_files_rebuild_and_are_byte_identical(tmp_path):
    from hampipe.data import write_dataset
    from hampipe.systems import system_definition

    definition = system_definition(OSCILLATOR)
    system = make_system("osc", {"k": 2.0}, OSCILLATOR["initial_state"], definition)
    paths = []
    for i, seed in enumerate((5, 5, 6)):
        ds = simulate(system, 3, 8, 0.1, seed=seed)
        paths.append(write_dataset(ds, tmp_path / f"{i}.nc"))
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()
    rebuilt = system_from_attrs(ds.attrs)
    q, p = ds.q.values[:, 3], ds.p.values[:, 3]
    np.testing.assert_array_equal(rebuilt.hamiltonian(q, p), system.hamiltonian(q, p))
    np.testing.assert_allclose(rebuilt.hamiltonian(q, p), p[:, 0] ** 2 / 2 + q[:, 0] ** 2)
