"""The soft-walled ring billiard (SANN §4.1, Eq. 8) against its formula and its physics."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from hampipe.data import GroundTruthSolver, simulate
from hampipe.systems import make_system

R_ALPHA, R_BETA, S, Q0 = 1.0, 0.5, 0.05, 0.1


def eq8_terms(x: float, y: float) -> tuple[float, float]:
    """The outer and inner terms of SANN Eq. 8, written out with math.exp."""
    outer = 1 / (1 + math.exp((R_ALPHA - math.hypot(x, y)) / S))
    inner = -1 / (1 + math.exp((R_BETA - math.hypot(x - Q0, y)) / S))
    return outer, inner


@pytest.mark.parametrize(
    ("x", "y", "expected_outer", "expected_inner"),
    [
        (0.75, 0.0, 0.0, -1.0),  # in the ring: V ≈ −1
        (0.0, -0.8, 0.0, -1.0),
        (0.0, 0.0, 0.0, 0.0),  # inside the inner circle: V ≈ 0
        (1.0, 0.0, 0.5, -1.0),  # on the outer wall
        (0.0, 1.0, 0.5, -1.0),
        (-0.4, 0.0, 0.0, -0.5),  # on the inner wall, ‖q − (0.1, 0)‖ = 0.5
        (0.1, 0.5, 0.0, -0.5),
        (3.0, 4.0, 1.0, -1.0),  # far outside: V ≈ 0
    ],
)
def test_potential_matches_eq8(x, y, expected_outer, expected_inner):
    billiard = make_system("billiard")
    outer, inner = eq8_terms(x, y)
    # The ring is only 8 s wide: even mid-ring the walls' tails add a few percent.
    assert outer == pytest.approx(expected_outer, abs=0.05)
    assert inner == pytest.approx(expected_inner, abs=0.05)
    q, p = np.array([[x, y]]), np.zeros((1, 2))
    assert abs(billiard.hamiltonian(q, p)[0] - (outer + inner)) <= 1e-14
    assert abs(billiard.potential(q)[0] - (outer + inner)) <= 1e-14
    p = np.array([[0.3, -0.4]])
    assert abs(billiard.hamiltonian(q, p)[0] - (0.125 + outer + inner)) <= 1e-14


def test_exact_wall_values():
    billiard = make_system("billiard")
    assert eq8_terms(1.0, 0.0)[0] == 0.5
    assert eq8_terms(-0.4, 0.0)[1] == -0.5
    v = billiard.potential(np.array([[1.0, 0.0], [-0.4, 0.0]]))
    np.testing.assert_allclose(v, [0.5 + eq8_terms(1.0, 0.0)[1], eq8_terms(-0.4, 0.0)[0] - 0.5])


def sigmoid_slope(x: float) -> float:
    """σ'(x) / s for σ(x) = 1/(1 + e^(−x))."""
    return math.exp(-x) / (1 + math.exp(-x)) ** 2 / S


def test_gradient_and_hessian_are_finite_at_the_wall_centres():
    """At a wall's centre its direction is defined as 0; the other wall still pulls."""
    billiard = make_system("billiard")
    q = np.array([[0.0, 0.0], [Q0, 0.0]])
    p = np.zeros((2, 2))
    expected = [
        [sigmoid_slope((Q0 - R_BETA) / S), 0.0],  # origin: the inner wall, 0.1 away
        [sigmoid_slope((Q0 - R_ALPHA) / S), 0.0],  # (q0, 0): the outer wall, 0.1 away
    ]
    np.testing.assert_allclose(billiard.dH_dq(q, p), expected, rtol=1e-12)
    hess = billiard.hessian(q, p)
    assert np.all(np.isfinite(hess))
    np.testing.assert_allclose(hess[:, 2:, 2:], np.broadcast_to(np.eye(2), (2, 2, 2)))


def test_ground_truth_stays_in_the_ring():
    # The paper-length (1000-step) energy check is tests/data/test_paper_settings.py.
    billiard = make_system("billiard")
    solver = GroundTruthSolver(max_energy_drift=1e-6)
    ds = simulate(billiard, 3, 300, 0.1, seed=7, solver=solver)
    assert ds.attrs["max_relative_energy_drift"] <= 1e-6
    q = ds.q.values
    assert np.all(np.linalg.norm(q, axis=-1) < R_ALPHA + 3 * S)
    assert np.all(np.linalg.norm(q - np.array([Q0, 0.0]), axis=-1) > R_BETA - 3 * S)
    # The balls really bounce: each trajectory turns around (its momentum reverses).
    p = ds.p.values
    assert np.all((p[:, :, None, :] * p[:, None, :, :]).sum(-1).min(axis=(1, 2)) < 0)


def test_sampler_starts_inside_the_ring_with_margin(rng):
    billiard = make_system("billiard")
    q, p = billiard.sample_initial_states(rng, 2000)
    margin = billiard.initial_state["wall_margin"]
    assert np.all(np.linalg.norm(q, axis=1) <= R_ALPHA - margin)
    assert np.all(np.linalg.norm(q - np.array([Q0, 0.0]), axis=1) >= R_BETA + margin)
    speed = np.linalg.norm(p, axis=1)
    assert np.all((speed >= 0.5) & (speed <= 1.0))
    assert np.all(0.5 * speed**2 < 1)
    assert np.all(billiard.hamiltonian(q, p) < 0)  # below the top of the walls
    # Uniform by area: the mean position is the ring's centroid, pulled away from the
    # inner circle's centre (0.1, 0).
    area_outer = math.pi * (R_ALPHA - margin) ** 2
    area_inner = math.pi * (R_BETA + margin) ** 2
    centroid_x = -area_inner * Q0 / (area_outer - area_inner)
    np.testing.assert_allclose(q.mean(0), [centroid_x, 0.0], atol=0.03)
    # Directions are uniform on the circle.
    np.testing.assert_allclose((p / speed[:, None]).mean(0), 0.0, atol=0.06)


@pytest.mark.parametrize("speed", [[0.5, 1.5], [0.5, 1.3], [-0.1, 1.0], [1.0, 0.5]])
def test_speed_beyond_the_wall_height_is_refused(speed, rng):
    with pytest.raises(ValueError, match=r"initial_state\.speed"):  # declared bounds or H
        make_system("billiard", initial_state={"speed": speed}).sample_initial_states(rng, 3)


def test_margin_without_room_is_refused(rng):
    billiard = make_system("billiard", initial_state={"wall_margin": 0.3})
    with pytest.raises(ValueError, match=r"initial_state\.wall_margin"):
        billiard.sample_initial_states(rng, 3)


def test_ball_reflects_off_the_outer_wall():
    """Moving outward along the x axis (a symmetry line), the ball turns at the outer wall
    and passes its start again with momentum −p0 (energy conservation in 1D)."""
    billiard = make_system("billiard")
    q0, p0 = np.array([0.75, 0.0]), np.array([0.5, 0.0])

    def back_at_start(t, u):
        return u[0] - q0[0]

    back_at_start.terminal, back_at_start.direction = True, -1

    def turned(t, u):
        return u[2]

    sol = solve_ivp(
        billiard.vector_field,
        (0.0, 10.0),
        np.concatenate([q0, p0]),
        method="DOP853",
        rtol=1e-12,
        atol=1e-12,
        events=[back_at_start, turned],
    )
    assert sol.status == 1 and len(sol.t_events[0]) == 1
    t_back, u_back = sol.t_events[0][0], sol.y_events[0][0]
    t_turn, u_turn = sol.t_events[1][0], sol.y_events[1][0]
    assert R_ALPHA - 2 * S < u_turn[0] < R_ALPHA + 2 * S  # it turned at the outer wall
    np.testing.assert_allclose(t_back, 2 * t_turn, rtol=1e-8)  # time-reversal symmetry
    np.testing.assert_allclose(u_back[:2], q0, atol=1e-9)
    np.testing.assert_allclose(u_back[2:], -p0, atol=1e-6)


def test_inner_circle_must_lie_inside_the_outer_one(rng):
    billiard = make_system("billiard", parameters={"shift": 0.6})
    with pytest.raises(ValueError, match="parameters.shift"):
        billiard.sample_initial_states(rng, 1)


def test_outlines_are_the_walls_half_heights():
    billiard = make_system("billiard")
    outer, inner = billiard.outlines()
    assert outer == {"x": 0.0, "y": 0.0, "radius": R_ALPHA}
    assert inner == {"x": Q0, "y": 0.0, "radius": R_BETA}
    # on each outline its wall's sigmoid is exactly ½ (Eq. 8)
    for c, term in ((outer, 0), (inner, 1)):
        x, y = c["x"] + c["radius"] * math.cos(0.3), c["y"] + c["radius"] * math.sin(0.3)
        assert abs(eq8_terms(x, y)[term]) == pytest.approx(0.5)
    assert make_system("three_body").outlines() == []
