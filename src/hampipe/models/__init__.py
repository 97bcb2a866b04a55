"""Layer 3: learned models (registry ``MODELS``), learning methods (``METHODS``), model files."""

from hampipe.models import (  # noqa: F401  (register the models and methods)
    general,
    hinn,
    hnn,
    ode,
    resnet,
    sann,
    separable,
    srnn,
    vector_field,
)
from hampipe.models.activations import ACTIVATIONS, MLP, Rational
from hampipe.models.device import pick_device
from hampipe.models.features import FEATURES, PositionFeatures
from hampipe.models.general import GeneralHamiltonian
from hampipe.models.io import load_model, read_model_file, save_model
from hampipe.models.method import Method, build_model, make_integrator
from hampipe.models.model import Model
from hampipe.models.registry import METHODS, MODELS
from hampipe.models.resnet import ResNetHamiltonian
from hampipe.models.scales import SCALE_NAMES, SCALINGS, data_scales
from hampipe.models.separable import SeparableHamiltonian
from hampipe.models.vector_field import VectorFieldNetwork
from hampipe.plan.checks import check_learning

__all__ = [
    "ACTIVATIONS",
    "FEATURES",
    "METHODS",
    "MLP",
    "MODELS",
    "SCALE_NAMES",
    "SCALINGS",
    "GeneralHamiltonian",
    "Method",
    "Model",
    "PositionFeatures",
    "Rational",
    "ResNetHamiltonian",
    "SeparableHamiltonian",
    "VectorFieldNetwork",
    "build_model",
    "check_learning",
    "data_scales",
    "load_model",
    "make_integrator",
    "pick_device",
    "read_model_file",
    "save_model",
]
