"""The planar gravitational three-body problem (SANN paper §4.2)."""

from __future__ import annotations

import numpy as np

from hampipe.core.settings import Block, boolean, number, value_range
from hampipe.systems.nbody import PlanarNBody
from hampipe.systems.registry import SYSTEMS
from hampipe.systems.sampling import point_at_random_radius


def _rotate(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([c * v[..., 0] - s * v[..., 1], s * v[..., 0] + c * v[..., 1]], -1)


@SYSTEMS.register("three_body")
class ThreeBody(PlanarNBody):
    """Three bodies in the plane, H of SANN Eq. 9 with G = m_i = 1.

    Initial states follow Chen et al. 2019 (SRNN), which the SANN paper follows, itself
    HNN's recipe (see ``shared/anchors/initial_conditions.md``):

    - q1 is a direction drawn from U[−1, 1]² rescaled to a radius r ~ U[radius];
      q2, q3 are q1 rotated by 120° and 240° (an equilateral triangle about the origin);
    - v1 is q1 rotated by 90° with the speed of the circular Lagrange orbit of three
      equal masses m, |v1| = (G m / (√3 r))^½ (the recipe's
      (sin(π/3) / (2 cos²(π/6)))^½ / √r for G = m = 1); v2, v3 are v1 rotated by 120°,
      240°. The recipe needs equal masses;
    - every velocity component is multiplied by (1 + ν (2U[0, 1] − 1)), ν =
      ``velocity_perturbation``, drawn per trajectory (the anchors' code draws it once
      per batch);
    - p_i = m_i v_i. With ``zero_total_momentum`` the centre-of-mass velocity is
      subtracted; the default keeps the recipe's small drift, as SRNN and SANN did.
    """

    n_bodies = 3
    hamiltonian_text = "H = sum_i |p_i|**2/(2*m_i) - sum_{i<j} G*m_i*m_j/|q_i - q_j|, i, j in 1..3"
    parameter_fields = Block(
        G=number(1.0, "gravitational constant", exclusive_minimum=0),
        m1=number(1.0, "mass of body 1", exclusive_minimum=0),
        m2=number(1.0, "mass of body 2", exclusive_minimum=0),
        m3=number(1.0, "mass of body 3", exclusive_minimum=0),
    )
    initial_state_fields = Block(
        radius=value_range([0.9, 1.2], "radius range of the initial triangle"),
        velocity_perturbation=number(0.2, "relative velocity noise nu", minimum=0, maximum=1),
        zero_total_momentum=boolean(False, "remove the centre-of-mass drift"),
    )

    def _sample_initial_states(self, rng, n):
        masses = self.masses
        if not np.allclose(masses, masses[0]):
            raise ValueError(
                f"three_body: the initial-state recipe needs equal masses, got {masses.tolist()}"
            )
        nu = self.initial_state["velocity_perturbation"]
        q1, radius = point_at_random_radius(rng, n, self.initial_state["radius"])
        speed = np.sqrt(self.parameters["G"] * masses[0] / (np.sqrt(3) * radius))
        v1 = _rotate(q1, np.pi / 2) / radius * speed
        angles = (0.0, 2 * np.pi / 3, 4 * np.pi / 3)
        q = np.stack([_rotate(q1, a) for a in angles], axis=1)
        v = np.stack([_rotate(v1, a) for a in angles], axis=1)
        v = v * (1 + nu * (2 * rng.uniform(size=(n, 3, 2)) - 1))
        if self.initial_state["zero_total_momentum"]:
            m = self.masses[None, :, None]
            v = v - (m * v).sum(1, keepdims=True) / m.sum()
        p = v * self.masses[None, :, None]
        return q.reshape(n, 6), p.reshape(n, 6)
