"""The plan layer's plain-data traits agree with the registries' classes."""

import pytest

from hampipe.models import METHODS, MODELS
from hampipe.models.method import model_options
from hampipe.plan import METHOD_TRAITS, MODEL_TRAITS, model_traits, requires_sai
from hampipe.plan.checks import MODEL_OPTION_DEFAULTS


def test_every_model_has_traits_and_no_more():
    assert set(MODEL_TRAITS) == set(MODELS)


def test_every_method_has_traits_and_no_more():
    assert set(METHOD_TRAITS) == set(METHODS)


@pytest.mark.parametrize("name", list(MODELS))
def test_model_traits_match_the_class(name):
    cls, traits = MODELS.get_class(name), model_traits(name)
    assert traits.hamiltonian == cls.hamiltonian
    assert traits.separable == cls.separable
    assert traits.options == set(model_options(cls, MODEL_OPTION_DEFAULTS))


@pytest.mark.parametrize("name", list(METHODS))
def test_method_traits_match_the_class(name):
    assert requires_sai(name) == METHODS.get_class(name).requires_sai


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown model 'mlp'; valid: general"):
        model_traits("mlp")
    with pytest.raises(ValueError, match="unknown method 'gnn'.*sann"):
        requires_sai("gnn")


def test_setting_names_match_the_registries_behind_torch():
    """The plan layer's name lists (the schema's enums) are the learning layer's own."""
    from hampipe.models import ACTIVATIONS, FEATURES, SCALINGS
    from hampipe.models.activations import SHARINGS
    from hampipe.models.hnn import TARGETS
    from hampipe.models.method import DTYPES
    from hampipe.plan import traits
    from hampipe.sai import RANKINGS

    assert traits.ACTIVATIONS == tuple(ACTIVATIONS)
    assert traits.RATIONAL_SHARINGS == SHARINGS
    assert traits.FEATURES == FEATURES
    assert traits.SCALINGS == SCALINGS
    assert traits.DTYPES == tuple(DTYPES)
    assert traits.TARGETS == TARGETS
    assert traits.RANKINGS == RANKINGS


def test_every_schema_enum_of_a_registry_is_filled_from_it():
    from hampipe.integrators import INTEGRATORS
    from hampipe.models import ACTIVATIONS
    from hampipe.plan.checks import REGISTRY_NAMES, load_schema
    from tests.helpers import ROOT

    schema = load_schema(ROOT / "workflow/schemas/config.schema.yaml")
    registries = set()

    def walk(node):
        if isinstance(node, dict):
            if "x-registry" in node:
                registries.add(node["x-registry"])
                assert node["enum"] == list(REGISTRY_NAMES[node["x-registry"]])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert registries == set(REGISTRY_NAMES)
    settings = schema["$defs"]["sann_settings"]["properties"]
    assert settings["integrator"]["enum"] == list(INTEGRATORS)
    assert settings["prediction"]["properties"]["integrator"]["enum"] == list(INTEGRATORS)
    assert settings["activation"]["enum"] == list(ACTIVATIONS)
    assert settings["model"]["enum"] == list(MODELS)
