"""The integrator registry: config name -> integrator class."""

from hampipe.core.registry import Registry
from hampipe.integrators.base import Integrator

INTEGRATORS: Registry[Integrator] = Registry("integrator")
