"""Layer 1: time integrators. They take vector fields (:class:`Field`), not systems."""

from hampipe.integrators import (  # noqa: F401  (each module registers its class)
    dopri5,
    euler,
    leapfrog,
    midpoint,
    rk4,
    stormer_verlet,
    symplectic_euler,
)
from hampipe.integrators.base import REQUIREMENTS, Field, Integrator, StepSizeError
from hampipe.integrators.registry import INTEGRATORS
from hampipe.integrators.scipy_ivp import IntegrationError, solve

__all__ = [
    "INTEGRATORS",
    "REQUIREMENTS",
    "Field",
    "IntegrationError",
    "Integrator",
    "StepSizeError",
    "solve",
]
