"""``hampipe.plan.load_config``: config files merged as Snakemake merges them, then checked."""

import copy

import pytest
import yaml

from hampipe.core import ConfigError
from hampipe.plan import load_config
from tests.helpers import DUFFING, ROOT


def test_overlays_merge_key_by_key_in_order(tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("systems: {spring: {trajectories: {test: 7}}}\nseeds: 2\n")
    config = load_config("config.yaml", "config.quick.yaml", overlay, root=ROOT)
    assert config["systems"]["spring"]["trajectories"] == {"train": 20, "test": 7}
    assert config["seeds"] == 2
    assert config == load_config(
        "config.yaml",
        "config.quick.yaml",
        overrides={"systems": {"spring": {"trajectories": {"test": 7}}}, "seeds": 2},
        root=ROOT,
    )
    assert load_config(root=ROOT) == load_config("config.yaml", root=ROOT)


def test_overrides_are_copied_and_defaults_filled():
    """A user system added by ``overrides`` gets the schema's defaults; the caller's
    mapping is left as it was."""
    entry = copy.deepcopy(DUFFING)
    config = load_config(overrides={"systems": {"duffing": entry}}, root=ROOT)
    assert entry == DUFFING
    assert set(config["systems"]["duffing"]) - set(DUFFING) == {"ground_truth", "evaluation"}


def test_every_check_of_the_workflow_runs():
    """A problem only the checks across keys see (not the schema) is refused too."""
    with pytest.raises(ConfigError, match=r"config key 'experiments\.spring\[0\]'"):
        load_config(overrides={"experiments": {"spring": ["sann_typo"]}}, root=ROOT)


def test_missing_and_malformed_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"config file {tmp_path / 'config.yaml'} not"):
        load_config(root=tmp_path)
    with pytest.raises(FileNotFoundError, match="config schema .*config.schema.yaml not found"):
        load_config(ROOT / "config.yaml", root=tmp_path)
    listed = tmp_path / "list.yaml"
    listed.write_text(yaml.safe_dump([1, 2]))
    with pytest.raises(ConfigError, match=f"config file {listed}: holds list, expected a"):
        load_config("config.yaml", listed, root=ROOT)
    broken = tmp_path / "broken.yaml"
    broken.write_text("seeds: [1\n")
    with pytest.raises(ConfigError, match=f"config file {broken}: not valid YAML"):
        load_config("config.yaml", broken, root=ROOT)


def test_a_system_without_experiments_is_warned_about_unless_left_out(caplog):
    with caplog.at_level("WARNING", logger="hampipe.plan"):
        load_config(overrides={"systems": {"duffing": copy.deepcopy(DUFFING)}}, root=ROOT)
    (record,) = [r for r in caplog.records if "not in experiments" in r.message]
    assert record.message.startswith("hampipe: duffing is in systems but not in experiments")
    assert "experiments: {duffing: [hnn, sann]}" in record.message
    caplog.clear()
    with caplog.at_level("WARNING", logger="hampipe.plan"):
        config = load_config(
            overrides={
                "systems": {"duffing": copy.deepcopy(DUFFING)},
                "experiments": {"duffing": []},
            },
            root=ROOT,
        )
        load_config(root=ROOT)
    assert "duffing" not in config["experiments"]
    assert not [r for r in caplog.records if "not in experiments" in r.message]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"methods": {"sann": {"learning_rate": float("nan")}}},
            "'methods.sann.learning_rate': nan",
        ),
        ({"systems": {"spring": {"dt": float("inf")}}}, "'systems.spring.dt': inf is not a finite"),
        (
            {"methods": {"sann": {"partitions": {"stiff": -float("inf")}}}},
            "partitions.stiff': -inf",
        ),
        ({"systems": {7: {}}}, "config key 'systems': the key 7 is a int, expected a name"),
        ({"methods": {None: {}}}, "the key None is a NoneType"),
    ],
)
def test_non_finite_numbers_and_non_name_keys_are_refused_by_name(overrides, message):
    with pytest.raises(ConfigError) as error:
        load_config(overrides=overrides, root=ROOT)
    assert message in str(error.value)


def test_a_recursive_alias_is_refused_not_a_recursion_error(tmp_path):
    """In a file, by its line and key; in a mapping built in Python, by its depth."""
    overlay = tmp_path / "loop.yaml"
    overlay.write_text("figures: &loop\n  trajectory: 0\n  again: *loop\n")
    with pytest.raises(ConfigError) as error:
        load_config("config.yaml", overlay, root=ROOT)
    assert f"config file {overlay}: line 1: config key 'figures.again'" in str(error.value)
    assert "(a recursive alias)" in str(error.value)
    loop: dict = {"trajectory": 0}
    loop["again"] = loop
    with pytest.raises(ConfigError, match="config key 'figures(.again)+': nested more than 32"):
        load_config(overrides={"figures": loop}, root=ROOT)


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        ({"srnn": {"ensemble": "yes"}}, "methods.srnn.ensemble"),
        ({"sann_tanh": {"ensemble": 1}}, "methods.sann_tanh.ensemble"),
        (
            {"hnn": {"per_system": {"spring": {"ensemble": None}}}},
            "methods.hnn.per_system.spring.ensemble",
        ),
    ],
)
def test_ensemble_takes_a_boolean_named_by_its_key(overrides, key):
    with pytest.raises(ConfigError) as error:
        load_config(overrides={"methods": overrides}, root=ROOT)
    (problem,) = error.value.problems
    assert problem.startswith(f"config key '{key}': ")
    assert "expected true or false" in problem
    assert load_config(root=ROOT)["methods"]["srnn"].get("ensemble", False) is False
