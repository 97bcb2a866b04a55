"""The explicit midpoint rule (second-order Runge–Kutta) for any vector field."""

from __future__ import annotations

from hampipe.integrators.base import Integrator
from hampipe.integrators.registry import INTEGRATORS


@INTEGRATORS.register("midpoint")
class Midpoint(Integrator):
    """One step of the explicit midpoint rule on u = (q, p).

    For du/dt = f(u, t) and step h::

        k₁ = f(u₀, t)
        u₁ = u₀ + h f(u₀ + (h/2) k₁, t + h/2)

    Second order, not symplectic (its energy error grows on the harmonic oscillator).
    Works on black-box fields. This is the "RK2" of DGNet's tables (Matsubara, Ishikawa &
    Yaguchi 2020). Reference: Hairer, Nørsett & Wanner, "Solving Ordinary Differential
    Equations I" (1993), §II.1.
    """

    order = 2

    def _step(self, q, p, h, t):
        f = self.field.vector_field
        half = 0.5 * h
        kq1, kp1 = f(q, p, t)
        kq2, kp2 = f(q + half * kq1, p + half * kp1, t + half)
        return q + h * kq2, p + h * kp2
