"""Layer 1: time integrators. They take vector fields (gradient callables), not systems."""

from hampipe.integrators import leapfrog  # noqa: F401  (registers the class)
from hampipe.integrators.base import FixedStepIntegrator
from hampipe.integrators.registry import INTEGRATORS
from hampipe.integrators.scipy_ivp import IntegrationError, solve

__all__ = ["INTEGRATORS", "FixedStepIntegrator", "IntegrationError", "solve"]
