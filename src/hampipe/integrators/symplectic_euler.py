"""Symplectic Euler (kick then drift) for separable Hamiltonians."""

from __future__ import annotations

from hampipe.integrators.base import Integrator
from hampipe.integrators.registry import INTEGRATORS


@INTEGRATORS.register("symplectic_euler")
class SymplecticEuler(Integrator):
    """One full kick then one full drift: symplectic Euler for H = T(p) + V(q).

    For step h from time t::

        p₁ = p₀ − h ∂H/∂q(q₀, t)
        q₁ = q₀ + h ∂H/∂p(p₁, t)

    the variant of Hairer, Lubich & Wanner, "Geometric Numerical Integration" (2006),
    Eq. (VI.3.1) and Thm. VI.3.3, with both gradients taken at (q₀, p₁) and time t
    (∂H/∂q does not depend on p for separable H, so the scheme is explicit). First order
    and symplectic but not time-reversible (its adjoint is the drift-then-kick variant).
    A half-step of it followed by a half-step of its adjoint is Störmer–Verlet:
    ``leapfrog`` is that second-order, reversible kick–drift–kick scheme, and
    ``stormer_verlet`` its implicit form for inseparable H. Only correct for separable H:
    building it on an inseparable field raises ``ValueError``.
    """

    order = 1
    symplectic = True
    requires = frozenset({"hamiltonian", "separable"})

    def _step(self, q, p, h, t):
        p_new = p - h * self.field.dH_dq(q, p, t)
        q_new = q + h * self.field.dH_dp(q, p_new, t)
        return q_new, p_new
