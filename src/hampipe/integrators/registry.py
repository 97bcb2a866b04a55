"""The integrator registry: config name -> fixed-step integrator class."""

from hampipe.core.registry import Registry
from hampipe.integrators.base import FixedStepIntegrator

INTEGRATORS: Registry[FixedStepIntegrator] = Registry("integrator")
