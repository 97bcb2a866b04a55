"""The black-box baseline: a neural vector field trained like SRNN."""

from __future__ import annotations

from hampipe.models.registry import METHODS
from hampipe.models.srnn import SRNN


@METHODS.register("ode")
class ODE(SRNN):
    """A black-box vector field f_θ(q, p) → (q̇, ṗ) trained through the integrator.

    The same loss, sub-steps and windows as ``srnn``; its default model is
    ``vector_field`` (no Hamiltonian), so its integrator must not need ∂H/∂q:
    ``stormer_verlet`` by default, the scheme that leapfrog is the separable special
    case of (Lobatto IIIA–IIIB), so that SRNN and this baseline differ in the model's
    structure and not in the time discretisation.
    """
