"""The classical fourth-order Runge–Kutta method for any vector field."""

from __future__ import annotations

from hampipe.integrators.base import Integrator
from hampipe.integrators.registry import INTEGRATORS


@INTEGRATORS.register("rk4")
class RK4(Integrator):
    """One step of the classical 4-stage Runge–Kutta method on u = (q, p).

    For du/dt = f(u, t) and step h::

        k₁ = f(u₀, t)
        k₂ = f(u₀ + (h/2) k₁, t + h/2)
        k₃ = f(u₀ + (h/2) k₂, t + h/2)
        k₄ = f(u₀ + h k₃, t + h)
        u₁ = u₀ + (h/6) (k₁ + 2 k₂ + 2 k₃ + k₄)

    Fourth order, not symplectic (on the harmonic oscillator the energy decays by
    O(h⁶) per step). Works on black-box fields. Reference: Hairer, Nørsett & Wanner,
    "Solving Ordinary Differential Equations I" (1993), §II.1, Table 1.2.
    """

    order = 4

    def _step(self, q, p, h, t):
        f = self.field.vector_field
        half = 0.5 * h
        kq1, kp1 = f(q, p, t)
        kq2, kp2 = f(q + half * kq1, p + half * kp1, t + half)
        kq3, kp3 = f(q + half * kq2, p + half * kp2, t + half)
        kq4, kp4 = f(q + h * kq3, p + h * kp3, t + h)
        sixth = h / 6.0
        q_new = q + sixth * (kq1 + 2.0 * kq2 + 2.0 * kq3 + kq4)
        p_new = p + sixth * (kp1 + 2.0 * kp2 + 2.0 * kp3 + kp4)
        return q_new, p_new
