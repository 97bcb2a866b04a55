"""The planar gravitational two-body problem (HNN, Greydanus et al. 2019, two-body task)."""

from __future__ import annotations

import numpy as np

from hampipe.core.settings import Block, number, value_range
from hampipe.systems.nbody import PlanarNBody
from hampipe.systems.registry import SYSTEMS


@SYSTEMS.register("two_body")
class TwoBody(PlanarNBody):
    """Two bodies in the plane, H = Σ ‖p_i‖²/(2 m_i) − G m₁ m₂ / ‖q₁ − q₂‖.

    SANN paper, Eq. 9, written for two bodies; p_i = m_i v_i, state ``x1, y1, x2, y2``.

    Initial states follow HNN's two-body recipe (``experiment-2body/data.py``, see
    ``shared/anchors/initial_conditions.md``), generalised to unequal masses with the
    centre of mass at rest at the origin:

    - each coordinate of q₁ is drawn from U[``position``]; r = ‖q₁‖;
    - q₂ = −(m₁/m₂) q₁, so the separation is d = r (m₁ + m₂)/m₂;
    - v₁ = (−y₁, x₁)/r · |v₁| · (1 + ν ξ), ξ ~ N(0, 1) one scalar per trajectory,
      ν = ``velocity_noise``, with |v₁| = (m₂/M) (G m₂ / r)^½, M = m₁ + m₂: body 1's
      share of the circular relative speed (G M / d)^½. For equal masses this is
      |v₁| = (G m / (4 r))^½, HNN's 1/(2√r) at G = m = 1 (its v₁ = (−y₁, x₁)/(2 r^1.5));
    - v₂ = −(m₁/m₂) v₁, so p₂ = −p₁ and the total momentum is zero. With equal masses
      body 2 = −body 1, exactly HNN's recipe. ν = 0 gives circular orbits; the default
      ν = 0.05 makes them slightly elliptic.
    """

    n_bodies = 2
    hamiltonian_text = "H = |p1|**2/(2*m1) + |p2|**2/(2*m2) - G*m1*m2/|q1 - q2|"
    parameter_fields = Block(
        G=number(1.0, "gravitational constant", exclusive_minimum=0),
        m1=number(1.0, "mass of body 1", exclusive_minimum=0),
        m2=number(1.0, "mass of body 2", exclusive_minimum=0),
    )
    initial_state_fields = Block(
        position=value_range(
            [0.5, 1.5], "range of each coordinate of body 1 (HNN recipe; body 2 = -body 1)"
        ),
        velocity_noise=number(
            0.05,
            "relative std of the speed around the circular orbit's (one normal draw per "
            "trajectory)",
            minimum=0,
        ),
    )

    def _sample_initial_states(self, rng, n):
        m1, m2 = self.masses
        G = self.parameters["G"]
        low, high = self.initial_state["position"]
        q1 = rng.uniform(low, high, size=(n, 2))
        noise = rng.standard_normal(size=(n, 1))
        r = np.linalg.norm(q1, axis=1, keepdims=True)
        speed = m2 / (m1 + m2) * np.sqrt(G * m2 / r)
        v1 = np.stack([-q1[:, 1], q1[:, 0]], axis=1) / r * speed
        v1 = v1 * (1 + self.initial_state["velocity_noise"] * noise)
        ratio = m1 / m2
        q = np.concatenate([q1, -ratio * q1], axis=1)
        p = np.concatenate([m1 * v1, -m1 * v1], axis=1)  # p₂ = m₂ v₂ = −m₁ v₁
        return q, p
