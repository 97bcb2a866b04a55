"""Generalised Störmer–Verlet (Lobatto IIIA–IIIB) for any partitioned field."""

from __future__ import annotations

from typing import Any

from hampipe.core.settings import Block, integer
from hampipe.integrators.base import Field, Integrator
from hampipe.integrators.registry import INTEGRATORS


@INTEGRATORS.register("stormer_verlet")
class StormerVerlet(Integrator):
    """One step of the generalised Störmer–Verlet method for q̇ = f_q, ṗ = f_p.

    For step h from time t (Hairer, Lubich & Wanner, "Geometric Numerical Integration",
    2006, §II.2 and Eq. (VI.3.4); the 2-stage Lobatto IIIA–IIIB pair)::

        p_½ = p₀ + (h/2) f_p(q₀, p_½, t)
        q₁  = q₀ + (h/2) [f_q(q₀, p_½, t) + f_q(q₁, p_½, t + h)]
        p₁  = p_½ + (h/2) f_p(q₁, p_½, t + h)

    with f_q = ∂H/∂p, f_p = −∂H/∂q for a Hamiltonian field. The first two equations are
    implicit for inseparable H; each is solved by ``iterations`` fixed-point iterations
    (default 3) from the explicit guesses p_½⁰ = p₀ + (h/2) f_p(q₀, p₀, t) and
    q₁⁰ = q₀ + h f_q(q₀, p_½, t). Each iteration gains one power of h, so any count ≥ 1
    keeps the order; a fixed count keeps shapes static and lets autograd differentiate
    through the step.

    Second order, and for Hamiltonian fields symplectic (ibid., Thm. VI.3.4) and
    time-reversible, to the accuracy of the fixed-point iterations. Works on black-box
    fields too. For separable H = T(p) + V(q) both equations are explicit and the step
    equals ``leapfrog`` (kick–drift–kick, its velocity-Verlet form) to rounding;
    ``symplectic_euler`` is the first-order kick-then-drift scheme.

    Options
    -------
    iterations
        Fixed-point iterations per implicit equation, an integer ≥ 1 (default 3).
    """

    order = 2
    symplectic = True
    options = Block(
        iterations=integer(3, "fixed-point iterations of stormer_verlet", minimum=1, maximum=1000),
    )

    def __init__(self, field: Field, **options: Any) -> None:
        super().__init__(field, **options)
        self.iterations = self.settings.iterations

    def _step(self, q, p, h, t):
        f = self.field.vector_field
        half = 0.5 * h
        t_new = t + h
        p_half = p + half * f(q, p, t)[1]
        for _ in range(self.iterations):
            p_half = p + half * f(q, p_half, t)[1]
        dq_dt_0 = f(q, p_half, t)[0]
        q_new = q + h * dq_dt_0
        for _ in range(self.iterations):
            q_new = q + half * (dq_dt_0 + f(q_new, p_half, t_new)[0])
        p_new = p_half + half * f(q_new, p_half, t_new)[1]
        return q_new, p_new
