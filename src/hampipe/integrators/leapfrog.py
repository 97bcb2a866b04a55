"""Leapfrog (kick–drift–kick Störmer–Verlet) for separable Hamiltonians."""

from __future__ import annotations

from hampipe.integrators.base import FixedStepIntegrator
from hampipe.integrators.registry import INTEGRATORS


@INTEGRATORS.register("leapfrog")
class Leapfrog(FixedStepIntegrator):
    """Kick–drift–kick leapfrog, SANN paper Appendix C (after Chen et al. 2019).

    For H = T(p) + V(q) and step h::

        p_½ = p₀ − (h/2) ∂H/∂q(q₀)
        q₁  = q₀ + h ∂H/∂p(p_½)
        p₁  = p_½ − (h/2) ∂H/∂q(q₁)

    Second order, symplectic and time-reversible for separable H; this is the
    velocity-Verlet form of Störmer–Verlet (the half-kicks are on p; the drift–kick–drift
    "leapfrog midpoint" variant puts the half-steps on q instead). Symplectic Euler is
    the first-order scheme made of one full kick and one drift. For a non-separable H
    the scheme is explicit but no longer symplectic.
    """

    order = 2
    symplectic = True

    def _step(self, q, p, h):
        p_half = p - 0.5 * h * self.dH_dq(q, p)
        q_new = q + h * self.dH_dp(q, p_half)
        p_new = p_half - 0.5 * h * self.dH_dq(q_new, p_half)
        return q_new, p_new

    def integrate(self, q, p, h, n_steps: int):
        """``n_steps`` leapfrog steps with the adjacent half-kicks merged.

        The closing half-kick of one step and the opening half-kick of the next use
        ∂H/∂q at the same q, so n steps need n + 1 gradient evaluations instead of 2n.
        For separable H (∂H/∂q independent of p) the result equals n calls of ``step``.
        """
        if n_steps < 0:
            raise ValueError(f"n_steps must be >= 0, got {n_steps}")
        if n_steps == 0:
            return q, p
        p = p - 0.5 * h * self.dH_dq(q, p)
        for k in range(n_steps):
            q = q + h * self.dH_dp(q, p)
            kick = h if k < n_steps - 1 else 0.5 * h
            p = p - kick * self.dH_dq(q, p)
        return q, p
