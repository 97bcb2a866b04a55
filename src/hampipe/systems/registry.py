"""The system registry: config name -> class."""

from hampipe.core.registry import Registry
from hampipe.systems.base import HamiltonianSystem

SYSTEMS: Registry[HamiltonianSystem] = Registry("system")
