import pytest
import yaml

from hampipe.core import ConfigError, check_consistency, merge_config, validate_config
from hampipe.core.config import describe, key_path, schema_errors, show, suggest
from hampipe.plan import load_config
from hampipe.plan.schema import load_schema
from tests.helpers import ROOT

#: The schema as the workflow loads it: registry enums filled in.
SCHEMA = load_schema(ROOT / "workflow" / "schemas" / "config.schema.yaml")


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


@pytest.mark.parametrize("overlay", [None, "config.quick.yaml", ".test/config.yaml"])
def test_shipped_configs_are_valid(overlay):
    load_config("config.yaml", *([overlay] if overlay else []), root=ROOT)


def test_quick_overlay_only_changes_sizes():
    """config.quick.yaml may override sizes and the training budget only, never the code
    path of a method (the number of seeds is a size: it repeats the same run; early
    stopping and its rate schedule are the budget that makes the quick run fair)."""
    sizes = {"trajectories", "steps", "epochs", "width", "train", "test", "seeds"}
    sizes |= {"patience", "lr_schedule", "min_improvement"}

    def leaves(d, path=()):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from leaves(v, (*path, k))
            else:
                yield (*path, k)

    for path in leaves(load("config.quick.yaml")):
        assert set(path) & sizes, f"config.quick.yaml overrides a non-size key: {path}"


def test_wrong_type_names_the_key():
    config = load("config.yaml")
    config["methods"]["sann"]["gamma"] = "a lot"
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert "methods.sann.gamma" in str(err.value)
    assert "number" in str(err.value)


def test_enum_error_lists_allowed_values():
    config = load("config.yaml")
    config["methods"]["hnn"]["activation"] = "sigmoid"
    with pytest.raises(ConfigError, match=r"methods\.hnn\.activation.*rational, tanh, relu"):
        validate_config(config, SCHEMA)


def test_out_of_bounds_and_unknown_keys():
    config = load("config.yaml")
    config["methods"]["sann"]["gamma"] = 1.5
    config["systems"]["spring"]["parameters"] = {"spring_constant": 3.0}
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    text = str(err.value)
    assert "methods.sann.gamma" in text and "2 problem(s)" in text
    assert "systems.spring.parameters" in text and "'spring_constant'" in text


def test_defaults_are_filled():
    config = load("config.yaml")
    assert "replication" not in config["methods"]["sann"]  # config.yaml keeps the default
    validate_config(config, SCHEMA)
    assert config["methods"]["sann"]["replication"] == 8


def test_consistency_experiments_and_steps():
    config = load_config(root=ROOT)
    config["experiments"]["three_body"] = ["hnn", "srnn_typo"]
    config["systems"]["spring"]["evaluation"]["step"] = 0.03
    with pytest.raises(ConfigError) as err:
        check_consistency(config)
    assert "experiments.three_body[1]" in str(err.value)
    assert "systems.spring.evaluation.step" in str(err.value)


def test_merge_config_merges_nested_keys_without_touching_its_inputs():
    base = {"methods": {"sann": {"gamma": 0.1, "epochs": 3}}, "seed": 1}
    merged = merge_config(base, {"methods": {"sann": {"gamma": 0.3}}, "seed": 2})
    assert merged == {"methods": {"sann": {"gamma": 0.3, "epochs": 3}}, "seed": 2}
    assert base["methods"]["sann"]["gamma"] == 0.1


def test_key_path_rendering():
    assert key_path(["methods", "sann", "gamma"]) == "methods.sann.gamma"
    assert key_path(["experiments", "spring", 0]) == "experiments.spring[0]"
    assert key_path([]) == "<root>"


def test_whole_blocks_left_out_get_their_defaults():
    config = load("config.yaml")
    assert "partitions" not in config["methods"]["sann"]  # config.yaml keeps the default
    del config["systems"]["spring"]["evaluation"]
    del config["systems"]["spring"]["ground_truth"]
    validate_config(config, SCHEMA)
    assert config["methods"]["sann"]["partitions"] == {"stiff": 50, "nonstiff": 10}
    evaluation = {"step": 0.01, "noise": 0.0, "divergence_bound": 1000.0}
    assert config["systems"]["spring"]["evaluation"] == evaluation
    assert config["systems"]["spring"]["ground_truth"]["method"] == "DOP853"


@pytest.mark.parametrize("value", [50.0, True])
def test_counts_must_be_true_integers(value):
    config = load("config.yaml")
    config["methods"]["hnn"]["epochs"] = value
    with pytest.raises(ConfigError, match=r"methods\.hnn\.epochs.*integer"):
        validate_config(config, SCHEMA)


USER_SYSTEM = {
    "hamiltonian": "p**2/2 + q**2/2",
    "coordinates": ["q"],
    "momenta": ["p"],
    "initial_state": {"sampler": "uniform", "low": [-1, -1], "high": [1, 1]},
    "dt": 0.1,
    "steps": {"train": 10, "test": 10},
    "trajectories": {"train": 2, "test": 2},
}


def test_user_systems_pass_the_schema_with_their_defaults():
    config = load("config.yaml")
    config["systems"]["oscillator"] = dict(USER_SYSTEM)
    validate_config(config, SCHEMA)
    filled = config["systems"]["oscillator"]
    assert filled["parameters"] == {}
    assert filled["ground_truth"]["method"] == "DOP853"


@pytest.mark.parametrize(
    ("name", "change", "key"),
    [
        ("oscillator", {"hamiltonian": 3}, "systems.oscillator.hamiltonian"),
        ("oscillator", {"initial_state": None}, "systems.oscillator"),
        ("oscillator", {"parameters": {"k": "stiff"}}, "systems.oscillator.parameters.k"),
        ("oscillator", {"colour": "red"}, "systems.oscillator"),
        ("Bad-Name", {}, "'systems': key 'Bad-Name' is not a valid name"),
    ],
)
def test_user_system_schema_errors_name_the_key(name, change, key):
    config = load("config.yaml")
    spec = {**USER_SYSTEM, **change}
    config["systems"][name] = {k: v for k, v in spec.items() if v is not None}
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(config, SCHEMA)


def test_consistency_of_integrator_drift():
    config = load_config(root=ROOT)
    config["integrator_drift"]["pendulum_typo"] = dict(config["integrator_drift"]["spring"])
    config["integrator_drift"]["spring"]["atol"] = [1e-6]
    with pytest.raises(ConfigError) as err:
        check_consistency(config)
    assert "integrator_drift.pendulum_typo" in str(err.value)
    assert "integrator_drift.spring.atol" in str(err.value)


def test_problems_are_listed_one_by_one():
    err = ConfigError.of(["config key 'a': bad", "config key 'b': bad", "config key 'a': bad"])
    assert err.problems == ["config key 'a': bad", "config key 'b': bad"]
    assert str(err) == (
        "invalid config (2 problem(s)):\n  - config key 'a': bad\n  - config key 'b': bad"
    )
    assert ConfigError("one message").problems == ["one message"]


def test_suggest_and_show():
    assert suggest("gama", ["gamma", "replication"]) == " (did you mean 'gamma'?)"
    assert suggest("xyz", ["gamma", "replication"]) == ""
    assert suggest(3, ["gamma"]) == ""
    assert show(None) == "null" and show(True) == "true" and show("a") == "'a'"
    assert show({"k": [1.0, None]}) == "{k: [1.0, null]}"
    assert show("x" * 500).endswith("...") and len(show("x" * 500)) == 120


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"seed": "abc"},
            "config key 'seed': 'abc' is a string, expected an integer. seed: root seed",
        ),
        (
            {"methods": {"sann": {"gamma": 1.5}}},
            "config key 'methods.sann.gamma': 1.5 is out of range; allowed: 0 <= gamma < 1.",
        ),
        (
            {"systems": {"spring": {"dt": 0}}},
            "config key 'systems.spring.dt': 0 is out of range; allowed: 1e-09 <= dt <= 1e+06.",
        ),
        (
            {"methods": {"hnn": {"model": "seperable"}}},
            "config key 'methods.hnn.model': 'seperable' is not allowed (did you mean "
            "'separable'?); allowed: general, resnet, separable, vector_field.",
        ),
        (
            {"methods": {"sann": {"partitions": {"stif": 3}}}},
            "config key 'methods.sann.partitions': unknown key 'stif' (did you mean 'stiff'?); "
            "allowed: nonstiff, stiff",
        ),
        (
            {"systems": {"three_body": {"initial_state": {"radius": [1.2, 0.9]}}}},
            "config key 'systems.three_body.initial_state.radius': [1.2, 0.9] is out of order: "
            "item 0 (1.2) must be at most item 1 (0.9)",
        ),
        (
            {"figures": {"meshgrid_extent": [-1, 1, 2, 2]}},
            "config key 'figures.meshgrid_extent': [-1, 1, 2, 2] is out of order: item 2 (2) "
            "must be below item 3 (2)",
        ),
        (
            {"experiments": {"spring": ["hnn", "hnn"]}},
            "config key 'experiments.spring': ['hnn', 'hnn'] repeats an item",
        ),
        ({"seeds": None}, "config key 'seeds': null is empty, expected an integer"),
    ],
)
def test_schema_messages_name_key_value_and_what_is_allowed(change, message):
    config = merge_config(load("config.yaml"), change)
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    assert message in str(err.value)


def test_every_unknown_key_is_its_own_problem():
    config = load("config.yaml")
    config["methods"]["sann"].update({"gama": 0.2, "replicaton": 3})
    errors = schema_errors(config, SCHEMA)
    assert [p for e in errors for p in describe(e)] == [
        "config key 'methods.sann': unknown key 'gama' (did you mean 'gamma'?); allowed: "
        + ", ".join(sorted(SCHEMA["$defs"]["sann_settings"]["properties"])),
        "config key 'methods.sann': unknown key 'replicaton' (did you mean 'replication'?); "
        "allowed: " + ", ".join(sorted(SCHEMA["$defs"]["sann_settings"]["properties"])),
    ]


def _nodes(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _nodes(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _nodes(value, (*path, i))


def test_every_object_of_the_schema_is_closed():
    """No key is let through unread: each object lists its keys or constrains its names.
    Open by design: a variant and a per-system block, whose keys check_methods checks
    against their learner's settings as resolved."""
    open_objects = {
        "/".join(map(str, path))
        for path, node in _nodes(SCHEMA)
        if node.get("type") == "object"
        and node.get("additionalProperties") is not False
        and "propertyNames" not in node
    }
    per_system = {p for p in open_objects if p.endswith("per_system/additionalProperties")}
    assert open_objects - per_system == {"$defs/variant"}
    assert len(per_system) == 6  # the five learners' and the variant's


def test_every_default_is_a_valid_value():
    for path, node in _nodes(SCHEMA):
        if "default" in node and "enum" in node:
            assert node["default"] in node["enum"], path
        for bound, holds in (
            ("minimum", lambda d, b: d >= b),
            ("maximum", lambda d, b: d <= b),
            ("exclusiveMinimum", lambda d, b: d > b),
            ("exclusiveMaximum", lambda d, b: d < b),
        ):
            if bound in node and isinstance(node.get("default"), int | float):
                assert holds(node["default"], node[bound]), path


#: Where numbers are in a system's own units (physical constants, initial-state ranges,
#: the meshgrid's extent in the system's q and p): only the bounds every number has.
IN_OWN_UNITS = {"parameters", "initial_state", "test_initial_state", "meshgrid_extent"}


def _numbers(schema):
    """(path, node) of every number the schema takes."""
    for path, node in _nodes(schema):
        types = node.get("type")
        types = types if isinstance(types, list) else [types]
        if {"integer", "number"} & set(types):
            yield "/".join(map(str, path)), node


def test_every_count_size_and_step_has_an_upper_bound():
    """A typo such as seeds: 10**23 or epochs: 10**30 is refused by its key."""
    unbounded = [
        path
        for path, node in _numbers(SCHEMA)
        if not IN_OWN_UNITS & set(path.split("/"))
        and "maximum" not in node
        and "exclusiveMaximum" not in node
    ]
    assert unbounded == []
    checked = [path for path, _ in _numbers(SCHEMA) if not IN_OWN_UNITS & set(path.split("/"))]
    assert len(checked) > 100  # every learner's settings, and the systems' common keys


def test_steps_and_tolerances_are_bounded_away_from_zero():
    """A step or tolerance of 1e-300 would never finish (or divide by zero)."""
    floors = {
        path: node.get("minimum", 0)
        for path, node in _numbers(SCHEMA)
        if path.rsplit("/", 1)[-1] in ("dt", "step", "rtol", "atol")
        or path.endswith(("rtol/items", "atol/items"))
    }
    assert len(floors) > 20
    assert {path: floor for path, floor in floors.items() if floor < 1e-15} == {}


def test_name_patterns_match_whole_names():
    """``$`` matches before a trailing newline; every pattern of the schema refuses one."""
    import re

    patterns = {node["pattern"] for _, node in _nodes(SCHEMA) if "pattern" in node}
    assert len(patterns) >= 3
    for pattern in patterns:
        (name,) = [n for n in ("sann", "#0072b2") if re.search(pattern, n)]
        assert not re.search(pattern, name + "\n"), pattern
    config = merge_config(load("config.yaml"), {"experiments": {"spring\n": []}})
    with pytest.raises(ConfigError) as error:
        validate_config(config, SCHEMA)
    assert "key 'spring\\n' is not a valid name; allowed: names matching ^[a-z]" in str(error.value)


def test_learners_and_builtin_systems_each_have_a_schema_block():
    from hampipe.plan import LEARNERS
    from hampipe.systems import SYSTEMS

    learners = SCHEMA["properties"]["methods"]["properties"]
    assert set(learners) == set(LEARNERS)
    assert all(f"{name}_settings" in SCHEMA["$defs"] for name in learners)
    assert set(SCHEMA["properties"]["systems"]["properties"]) == set(SYSTEMS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"experiments": {"spring": ["hnn", "hnn_exct"]}},
            "config key 'experiments.spring[1]': no such method 'hnn_exct' under 'methods' "
            "(did you mean 'hnn_exact'?); configured methods: hnn, srnn",
        ),
        (
            {"figures": {"animations": ["biliard"]}},
            "config key 'figures.animations[0]': no such system 'biliard' under 'systems' "
            "(did you mean 'billiard'?)",
        ),
        (
            {"integrator_drift": {"spring": {"trajectories": 51}}},
            "config key 'integrator_drift.spring.trajectories': 51 drift runs, but the test "
            "split holds 50 (systems.spring.trajectories.test); allowed: at most 50",
        ),
        (
            {"tables": {"partition_search": {"method": "sannn"}}},
            "config key 'tables.partition_search.method': no such method 'sannn' under "
            "'methods' (did you mean 'sann'?)",
        ),
        (
            {"presentation": {"colours": {"san": "#000000"}}},
            "config key 'presentation.colours.san': no such method 'san' under 'methods' "
            "(did you mean 'sann'?)",
        ),
        (
            {"systems": {"pendulum": {"evaluation": {"step": 0.1}}}},
            "config key 'systems.pendulum.evaluation.step': 0.1 does not divide "
            "systems.pendulum.dt = 0.06818181818181818",
        ),
    ],
)
def test_consistency_names_key_value_and_the_closest_name(change, message):
    config = validate_config(merge_config(load("config.yaml"), change), SCHEMA)
    with pytest.raises(ConfigError) as err:
        check_consistency(config)
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("step", "dt"), [(0.01, 0.1), (0.1, 0.1), (0.006818181818181818, 0.06818181818181818)]
)
def test_a_step_that_divides(step, dt):
    from hampipe.core.config import divides

    assert divides(step, dt)
    assert not divides(step * 1.5, dt) and not divides(2 * dt, dt)
