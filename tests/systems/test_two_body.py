"""The two-body problem against Kepler's solution of the relative orbit."""

import numpy as np
import pytest

from hampipe.data import GroundTruthSolver, simulate
from hampipe.systems import make_system

MASSES = [(1.0, 1.0, 1.0), (2.0, 1.0, 3.0)]  # (G, m1, m2)


def kepler_relative_orbit(r0: np.ndarray, v0: np.ndarray, mu: float, t: np.ndarray) -> np.ndarray:
    """Relative position r(t) of a bound Kepler orbit from r(0) = r0, dr/dt(0) = v0.

    Elements: specific energy ε = v²/2 − μ/r, semi-major axis a = −μ/(2ε), angular
    momentum h = x v_y − y v_x, eccentricity vector e = ((v² − μ/r) r − (r·v) v)/μ.
    The eccentric anomaly at t = 0 comes from e cos E = 1 − r/a, e sin E = r·v/√(μa);
    the mean anomaly M = E − e sin E advances at n = √(μ/a³), and Kepler's equation is
    solved by Newton's method. ``r0``, ``v0`` have shape ``(2,)``; returns ``(len(t), 2)``.
    """
    r, v2, rv = np.linalg.norm(r0), v0 @ v0, r0 @ v0
    a = -mu / (2 * (v2 / 2 - mu / r))
    h = r0[0] * v0[1] - r0[1] * v0[0]
    e_vec = ((v2 - mu / r) * r0 - rv * v0) / mu
    e = np.linalg.norm(e_vec)
    E0 = np.arctan2(rv / np.sqrt(mu * a), 1 - r / a)
    M = E0 - e * np.sin(E0) + np.sqrt(mu / a**3) * t
    E = M.copy()
    for _ in range(50):
        step = (E - e * np.sin(E) - M) / (1 - e * np.cos(E))
        E -= step
        if np.max(np.abs(step)) < 1e-15:
            break
    x_peri = a * (np.cos(E) - e)  # perifocal frame: x toward periapsis
    y_peri = a * np.sqrt(1 - e**2) * np.sin(E) * np.sign(h)
    omega = np.arctan2(e_vec[1], e_vec[0])
    c, s = np.cos(omega), np.sin(omega)
    return np.stack([c * x_peri - s * y_peri, s * x_peri + c * y_peri], axis=-1)


def angular_momentum(q: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Σ_i x_i p_{y,i} − y_i p_{x,i} over the last axis ``x1, y1, x2, y2``."""
    return (
        q[..., 0] * p[..., 1]
        - q[..., 1] * p[..., 0]
        + q[..., 2] * p[..., 3]
        - q[..., 3] * p[..., 2]
    )


@pytest.mark.parametrize(("G", "m1", "m2"), MASSES)
def test_orbit_matches_kepler(G, m1, m2):
    """HNN's setting: 50 points on t ∈ [0, 20]; the noisy recipe gives ellipses."""
    two = make_system("two_body", parameters={"G": G, "m1": m1, "m2": m2})
    ds = simulate(two, 3, 50, 20 / 49, seed=11, solver=GroundTruthSolver(max_energy_drift=1e-8))
    q, p, t = ds.q.values, ds.p.values, ds.time.values
    rel = q[..., :2] - q[..., 2:]
    v_rel = p[:, 0, :2] / m1 - p[:, 0, 2:] / m2
    mu = G * (m1 + m2)
    eccentricities = []
    for k in range(3):
        expected = kepler_relative_orbit(rel[k, 0], v_rel[k], mu, t)
        np.testing.assert_allclose(rel[k], expected, atol=1e-8)
        v2, r = v_rel[k] @ v_rel[k], np.linalg.norm(rel[k, 0])
        e_vec = ((v2 - mu / r) * rel[k, 0] - (rel[k, 0] @ v_rel[k]) * v_rel[k]) / mu
        eccentricities.append(np.linalg.norm(e_vec))
    assert min(eccentricities) > 1e-3  # really elliptic, not the circular special case
    assert ds.attrs["max_relative_energy_drift"] <= 1e-8


@pytest.mark.parametrize(("G", "m1", "m2"), MASSES)
def test_conserved_quantities(G, m1, m2):
    two = make_system("two_body", parameters={"G": G, "m1": m1, "m2": m2})
    ds = simulate(two, 4, 50, 20 / 49, seed=12)
    q, p = ds.q.values, ds.p.values
    assert ds.attrs["max_relative_energy_drift"] <= 1e-8
    centre = (m1 * q[..., :2] + m2 * q[..., 2:]) / (m1 + m2)
    np.testing.assert_allclose(centre, 0.0, atol=1e-9)
    np.testing.assert_allclose(p[..., :2] + p[..., 2:], 0.0, atol=1e-12)
    L = angular_momentum(q, p)
    np.testing.assert_allclose(L, L[:, :1] * np.ones_like(L), rtol=1e-9)


@pytest.mark.parametrize(("G", "m1", "m2"), MASSES)
def test_noiseless_recipe_gives_circles(G, m1, m2):
    two = make_system(
        "two_body", parameters={"G": G, "m1": m1, "m2": m2}, initial_state={"velocity_noise": 0.0}
    )
    ds = simulate(two, 3, 50, 20 / 49, seed=13)
    q = ds.q.values
    for body in (q[..., :2], q[..., 2:]):
        radius = np.linalg.norm(body, axis=-1)
        np.testing.assert_allclose(radius, radius[:, :1] * np.ones_like(radius), rtol=1e-9)
    # The bodies really move: body 1 turns by more than a quarter circle.
    angle = np.unwrap(np.arctan2(q[..., 1], q[..., 0]), axis=1)
    assert np.all(np.abs(angle[:, -1] - angle[:, 0]) > np.pi / 2)


def test_equal_masses_reproduce_hnn_recipe(rng):
    """G = m = 1: q1 ∈ [0.5, 1.5]², v1 = (−y1, x1)/(2 r^1.5), body 2 = −body 1."""
    two = make_system("two_body", initial_state={"velocity_noise": 0.0})
    q, p = two.sample_initial_states(rng, 100)
    q1, p1 = q[:, :2], p[:, :2]
    assert np.all((q1 >= 0.5) & (q1 <= 1.5))
    r = np.linalg.norm(q1, axis=1, keepdims=True)
    np.testing.assert_allclose(p1, np.stack([-q1[:, 1], q1[:, 0]], 1) / (2 * r**1.5))
    np.testing.assert_array_equal(q[:, 2:], -q1)
    np.testing.assert_array_equal(p[:, 2:], -p1)


def test_velocity_noise_is_one_scalar_per_trajectory(rng):
    two = make_system("two_body", initial_state={"velocity_noise": 0.05})
    q, p = two.sample_initial_states(rng, 500)
    r = np.linalg.norm(q[:, :2], axis=1)
    factor = np.linalg.norm(p[:, :2], axis=1) * 2 * np.sqrt(r)  # |v1| / circular speed
    np.testing.assert_allclose((q[:, :2] * p[:, :2]).sum(1), 0.0, atol=1e-15)  # tangential
    assert abs(factor.mean() - 1) < 0.01 and abs(factor.std() - 0.05) < 0.005
