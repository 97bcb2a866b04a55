"""The learners and models are declared once (hampipe.plan.learners); the config schema,
the planning traits and the torch classes all read those declarations."""

import inspect

import numpy as np
import pytest

from hampipe.core import choices
from hampipe.core.registry import Registry
from hampipe.models import METHODS, MODELS
from hampipe.models.method import model_options
from hampipe.plan import LEARNERS, MODEL_SPECS, learner, model_spec, requires_sai
from hampipe.plan.learners import LEARNING
from hampipe.plan.schema import REGISTRY_NAMES, load_schema
from tests.helpers import ROOT

SCHEMA = load_schema(ROOT / "workflow/schemas/config.schema.yaml")


def test_every_declared_model_and_learner_has_a_class_and_no_more():
    assert list(MODELS) and set(MODELS) == set(MODEL_SPECS)
    assert list(METHODS) and set(METHODS) == set(LEARNERS)


def test_a_class_under_an_undeclared_name_is_refused():
    registry = Registry("model", MODEL_SPECS)
    with pytest.raises(ValueError, match="model 'mlp' is not declared; declared: general"):
        registry.register("mlp")(type("MLP", (), {}))


@pytest.mark.parametrize("name", list(MODEL_SPECS))
def test_a_model_class_takes_its_declared_settings_and_reads_its_traits(name):
    cls, spec = MODELS.get_class(name), model_spec(name)
    assert cls.spec is spec
    taken = set(inspect.signature(cls).parameters) - {"dof", "scales"}
    assert taken == set(spec.arguments)
    model = cls(2, **model_options(cls, {**LEARNING.defaults(), "width": 4, "depth": 1}))
    assert (model.hamiltonian, model.separable) == (spec.hamiltonian, spec.separable)


@pytest.mark.parametrize("name", list(LEARNERS))
def test_a_method_class_reads_its_declaration(name):
    assert METHODS.get_class(name).spec is learner(name)
    assert requires_sai(name) == (name == "sann")


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown model 'mlp'; valid: general"):
        model_spec("mlp")
    with pytest.raises(ValueError, match="unknown method 'gnn'.*sann"):
        requires_sai("gnn")


def test_every_declared_name_has_an_implementation():
    """The names the schema accepts (hampipe.core.choices) are those the code runs."""
    import torch

    from hampipe.models import ACTIVATIONS, PositionFeatures
    from hampipe.models.activations import Rational
    from hampipe.models.method import DTYPES
    from hampipe.models.scales import data_scales
    from hampipe.sai import stiff_mask

    assert tuple(ACTIVATIONS) == choices.ACTIVATIONS
    assert all(isinstance(DTYPES[n], torch.dtype) for n in choices.DTYPES)
    for sharing in choices.RATIONAL_SHARINGS:
        Rational(4, sharing=sharing)
    for features in choices.FEATURES:
        PositionFeatures(4, features, 2)
    q = torch.arange(6.0, dtype=torch.float64).reshape(2, 3, 1).numpy()
    for scaling in choices.SCALINGS:
        data_scales(q, q + 1.0, torch.arange(3.0).numpy(), scaling)
    for ranking in choices.RANKINGS:
        stiff_mask(q[:, :, 0], 0.5, ranking)
    from hampipe.training.loop import optimiser
    from tests.helpers import make_model

    for schedule in choices.LR_SCHEDULES:
        optimiser([torch.nn.Parameter(torch.ones(1))], 1e-3, 2, schedule, 0.0, patience=2)
    for scheme in choices.INITS:
        make_model("vector_field", 1, width=4, depth=1).initialise(scheme)
    from hampipe.systems import make_system

    for sampling in choices.RADIUS_SAMPLINGS:
        spring = make_system("spring", initial_state={"sampling": sampling})
        spring.sample_initial_states(np.random.default_rng(0), 2)


@pytest.mark.parametrize("name", list(LEARNERS))
def test_the_schema_block_of_a_learner_is_its_declaration(name):
    block = SCHEMA["$defs"][f"{name}_settings"]
    assert SCHEMA["properties"]["methods"]["properties"][name]["$ref"].endswith(name + "_settings")
    declared = learner(name).settings
    assert set(block["properties"]) == {*declared, "per_system"}
    defaults = declared.defaults()
    for key, field in declared.items():
        expected = {} if field.kind == "block" else defaults[key]
        assert block["properties"][key]["default"] == expected, key
    assert block["additionalProperties"] is False


def test_learners_differ_from_the_common_settings_where_their_papers_do():
    """HINN's ResNet of width 3, depth 20 for 1500 epochs (HINN App.), tanh networks for
    the black boxes, Verlet steps for the inseparable learners."""
    hinn, ode, sann = (learner(n).defaults() for n in ("hinn", "ode", "sann"))
    assert (hinn["model"], hinn["width"], hinn["depth"], hinn["epochs"]) == ("resnet", 3, 20, 1500)
    assert (hinn["substeps"], hinn["prediction"]["integrator"]) == (1, "stormer_verlet")
    assert (ode["model"], ode["activation"], ode["integrator"]) == (
        "vector_field",
        "tanh",
        "stormer_verlet",
    )
    assert sann["partitions"] == {"stiff": 50, "nonstiff": 10} and sann["replication"] == 8
    assert LEARNING.defaults()["width"] == 256


def test_the_prediction_block_takes_every_integrators_configurable_options():
    from hampipe.integrators import INTEGRATORS

    options = SCHEMA["$defs"]["sann_settings"]["properties"]["prediction"]["properties"]
    for name in INTEGRATORS:
        for key, field in INTEGRATORS.get_class(name).options.items():
            assert (key in options) == field.config, (name, key)
    assert options["rtol"]["default"] == INTEGRATORS.get_class("dopri5").options["rtol"].default


def test_every_schema_enum_of_a_registry_is_filled_from_it():
    from hampipe.integrators import INTEGRATORS

    registries = set()

    def walk(node):
        if isinstance(node, dict):
            assert "x-declared" not in node
            if "x-registry" in node:
                registries.add(node["x-registry"])
                assert node["enum"] == list(REGISTRY_NAMES[node["x-registry"]])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(SCHEMA)
    assert registries == set(REGISTRY_NAMES)
    settings = SCHEMA["$defs"]["sann_settings"]["properties"]
    assert settings["integrator"]["enum"] == list(INTEGRATORS)
    assert settings["prediction"]["properties"]["integrator"]["enum"] == list(INTEGRATORS)
    assert settings["activation"]["enum"] == list(choices.ACTIVATIONS)
    assert settings["model"]["enum"] == list(MODEL_SPECS)


def test_the_yaml_schema_keeps_no_copy_of_a_declared_block():
    text = (ROOT / "workflow/schemas/config.schema.yaml").read_text()
    for word in ("learning_common", "sann_settings", "replication", "r_alpha", "velocity_noise"):
        assert word not in text, word
