"""Explicit (forward) Euler for any vector field."""

from __future__ import annotations

from hampipe.integrators.base import Integrator
from hampipe.integrators.registry import INTEGRATORS


@INTEGRATORS.register("euler")
class Euler(Integrator):
    """One explicit Euler step u₁ = u₀ + h f(u₀, t), SANN paper Eq. 3.

    With u = (q, p) and f the field's vector field::

        q₁ = q₀ + h f_q(q₀, p₀, t)
        p₁ = p₀ + h f_p(q₀, p₀, t)

    First order and not symplectic: on the harmonic oscillator the energy grows by a
    factor 1 + h² every step. SANN trains with it (SANN paper, Appendix H). Works on
    black-box fields; see Hairer, Nørsett & Wanner, "Solving Ordinary Differential
    Equations I" (1993), §I.7, and ``symplectic_euler`` for the symplectic first-order
    scheme on separable H.
    """

    order = 1

    def _step(self, q, p, h, t):
        dq_dt, dp_dt = self.field.vector_field(q, p, t)
        return q + h * dq_dt, p + h * dp_dt
