"""Layer 3: the learned Hamiltonian models and the learning methods (registry ``METHODS``)."""

from hampipe.models import hnn, sann  # noqa: F401  (registers the methods)
from hampipe.models.activations import ACTIVATIONS, MLP, Rational
from hampipe.models.base import METHODS, Method, data_scales
from hampipe.models.hamiltonian import SeparableHamiltonian

__all__ = [
    "ACTIVATIONS",
    "METHODS",
    "Method",
    "MLP",
    "Rational",
    "SeparableHamiltonian",
    "data_scales",
]
