import pytest
import yaml

from hampipe.core import ConfigError, check_consistency, merge_config, validate_config
from hampipe.core.config import key_path
from tests.helpers import ROOT

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


def load(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text())


@pytest.mark.parametrize("overlay", [None, "config.quick.yaml", ".test/config.yaml"])
def test_shipped_configs_are_valid(overlay):
    config = load("config.yaml")
    if overlay:
        config = merge_config(config, load(overlay))
    check_consistency(validate_config(config, SCHEMA))


def test_quick_overlay_only_changes_sizes():
    """config.quick.yaml may override sizes only, never the code path (the number of
    seeds is a size: it repeats the same run)."""
    sizes = {"trajectories", "steps", "epochs", "width", "train", "test", "seeds"}

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
    config["systems"]["spring"]["parameters"]["spring_constant"] = 3.0
    with pytest.raises(ConfigError) as err:
        validate_config(config, SCHEMA)
    text = str(err.value)
    assert "methods.sann.gamma" in text and "2 problem(s)" in text
    assert "systems.spring.parameters" in text and "'spring_constant'" in text


def test_defaults_are_filled():
    config = load("config.yaml")
    del config["methods"]["sann"]["replication"]
    validate_config(config, SCHEMA)
    assert config["methods"]["sann"]["replication"] == 8


def test_consistency_experiments_and_steps():
    config = validate_config(load("config.yaml"), SCHEMA)
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
    del config["methods"]["sann"]["partitions"]
    del config["systems"]["spring"]["evaluation"]
    del config["systems"]["spring"]["ground_truth"]
    validate_config(config, SCHEMA)
    assert config["methods"]["sann"]["partitions"] == {"stiff": 50, "nonstiff": 10}
    assert config["systems"]["spring"]["evaluation"] == {"step": 0.01}
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
        ("Bad-Name", {}, "'systems': 'Bad-Name' does not match"),
    ],
)
def test_user_system_schema_errors_name_the_key(name, change, key):
    config = load("config.yaml")
    spec = {**USER_SYSTEM, **change}
    config["systems"][name] = {k: v for k, v in spec.items() if v is not None}
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate_config(config, SCHEMA)


def test_consistency_of_integrator_drift():
    config = validate_config(load("config.yaml"), SCHEMA)
    config["integrator_drift"]["pendulum_typo"] = dict(config["integrator_drift"]["spring"])
    config["integrator_drift"]["spring"]["atol"] = [1e-6]
    with pytest.raises(ConfigError) as err:
        check_consistency(config)
    assert "integrator_drift.pendulum_typo" in str(err.value)
    assert "integrator_drift.spring.atol" in str(err.value)
