"""What the learning registries offer, in plain data, so the workflow plans without torch.

The classes in :mod:`hampipe.models` are the truth; these tables repeat the few facts
that config checks and input functions need before any job runs (a Snakefile parse must
not import torch). ``tests/plan/test_traits.py`` checks that both agree, so a new model
or method that is missing here fails the tests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelTraits:
    """What a model offers integrators, and the optional settings its constructor takes.

    ``hamiltonian``: the model learns H, so ∂H/∂q and ∂H/∂p exist; ``separable``:
    H = T(p) + V(q), so leapfrog and symplectic Euler apply (``Model.separable``).
    """

    hamiltonian: bool
    separable: bool
    options: frozenset[str] = frozenset()


@dataclass(frozen=True)
class MethodTraits:
    """What a learning method needs: ``requires_sai`` (``Method.requires_sai``)."""

    requires_sai: bool = False


#: ``methods.<name>.model`` name -> traits (mirrors ``hampipe.models.MODELS``).
MODEL_TRAITS: dict[str, ModelTraits] = {
    "general": ModelTraits(True, False, frozenset({"features", "spatial_dim"})),
    "resnet": ModelTraits(True, False, frozenset({"time_input"})),
    "separable": ModelTraits(True, True, frozenset({"features", "spatial_dim"})),
    "vector_field": ModelTraits(False, False),
}

#: Learner name -> traits (mirrors ``hampipe.models.METHODS``).
METHOD_TRAITS: dict[str, MethodTraits] = {
    "hnn": MethodTraits(),
    "srnn": MethodTraits(),
    "sann": MethodTraits(requires_sai=True),
    "hinn": MethodTraits(),
    "ode": MethodTraits(),
}


#: Names of the learning settings whose registries live behind torch (or xarray), for
#: the schema's enums (``x-registry`` in ``workflow/schemas/config.schema.yaml``).
#: ``tests/plan/test_traits.py`` checks each against the tuple or registry it mirrors.
#: ``methods.<name>.activation`` (``hampipe.models.ACTIVATIONS``).
ACTIVATIONS: tuple[str, ...] = ("rational", "tanh", "relu")
#: ``methods.<name>.rational_sharing`` (``hampipe.models.activations.SHARINGS``).
RATIONAL_SHARINGS: tuple[str, ...] = ("layer", "unit")
#: ``methods.<name>.features`` (``hampipe.models.FEATURES``).
FEATURES: tuple[str, ...] = ("coordinates", "pairwise_distances")
#: ``methods.<name>.scaling`` (``hampipe.models.SCALINGS``).
SCALINGS: tuple[str, ...] = ("rms", "range")
#: ``methods.<name>.dtype`` (``hampipe.models.method.DTYPES``).
DTYPES: tuple[str, ...] = ("float32", "float64")
#: ``methods.<hnn entry>.targets`` (``hampipe.models.hnn.TARGETS``).
TARGETS: tuple[str, ...] = ("central_differences", "exact")
#: ``methods.<sann entry>.ranking`` (``hampipe.sai.RANKINGS``; hampipe.sai imports xarray).
RANKINGS: tuple[str, ...] = ("trajectory", "dataset")


def model_traits(name: str) -> ModelTraits:
    """The traits of model ``name``; ``ValueError`` listing the valid names otherwise."""
    try:
        return MODEL_TRAITS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(MODEL_TRAITS)}") from None


def requires_sai(learner: str) -> bool:
    """Whether learner ``learner`` trains on the SAI annotation (SANN)."""
    try:
        return METHOD_TRAITS[learner].requires_sai
    except KeyError:
        raise ValueError(f"unknown method {learner!r}; valid: {', '.join(METHOD_TRAITS)}") from None
