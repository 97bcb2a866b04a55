"""Leapfrog (kick–drift–kick Störmer–Verlet) for separable Hamiltonians."""

from __future__ import annotations

from hampipe.integrators.base import Integrator
from hampipe.integrators.registry import INTEGRATORS


@INTEGRATORS.register("leapfrog")
class Leapfrog(Integrator):
    """Kick–drift–kick leapfrog, SANN paper Appendix C (after Chen et al. 2019).

    For H = T(p) + V(q) and step h::

        p_½ = p₀ − (h/2) ∂H/∂q(q₀)
        q₁  = q₀ + h ∂H/∂p(p_½)
        p₁  = p_½ − (h/2) ∂H/∂q(q₁)

    Second order, symplectic and time-reversible. This is the velocity-Verlet form of
    Störmer–Verlet (the half-kicks are on p; the drift–kick–drift "leapfrog midpoint"
    variant puts the half-steps on q instead); ``stormer_verlet`` is the same scheme for
    inseparable H (implicit there), and symplectic Euler is the first-order scheme made of
    one full kick and one drift. Only correct for separable H: building it on an
    inseparable field raises ``ValueError``.
    """

    order = 2
    symplectic = True
    requires = frozenset({"hamiltonian", "separable"})

    def _step(self, q, p, h, t):
        dH_dq, dH_dp = self.field.dH_dq, self.field.dH_dp
        p_half = p - 0.5 * h * dH_dq(q, p, t)
        q_new = q + h * dH_dp(q, p_half, t + 0.5 * h)
        p_new = p_half - 0.5 * h * dH_dq(q_new, p_half, t + h)
        return q_new, p_new

    def _integrate(self, q, p, h, n_steps: int, t0):
        """``n_steps`` leapfrog steps with the adjacent half-kicks merged.

        The closing half-kick of one step and the opening half-kick of the next use
        ∂H/∂q at the same q, so n steps need n + 1 gradient evaluations instead of 2n;
        the result equals n calls of ``step``.
        """
        if n_steps == 0:
            return q, p
        dH_dq, dH_dp = self.field.dH_dq, self.field.dH_dp
        t = t0
        p = p - 0.5 * h * dH_dq(q, p, t)
        for k in range(n_steps):
            q = q + h * dH_dp(q, p, t + 0.5 * h)
            t = t + h
            kick = h if k < n_steps - 1 else 0.5 * h
            p = p - kick * dH_dq(q, p, t)
        return q, p
