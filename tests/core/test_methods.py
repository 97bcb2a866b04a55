"""Method entries: variants, per-system overrides, and the checks that name bad keys."""

import pytest
import yaml

from hampipe.core import ConfigError, check_methods, resolve_method
from hampipe.models import check_learning
from tests.helpers import ROOT, paper_config

SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())


def test_variant_inherits_everything_it_does_not_override():
    methods = paper_config()["methods"]
    learner, k4 = resolve_method(methods, "sann_exp3")
    _, sann = resolve_method(methods, "sann")
    assert learner == "sann"
    assert k4["replication"] == 4 and sann["replication"] == 8
    assert {k: v for k, v in k4.items() if k != "replication"} == {
        k: v for k, v in sann.items() if k != "replication"
    }
    assert "method" not in k4 and "per_system" not in k4


def test_per_system_overrides_merge_through_the_chain():
    methods = paper_config()["methods"]
    _, billiard = resolve_method(methods, "sann_tanh", "billiard")
    assert billiard["epochs"] == 500 and billiard["activation"] == "tanh"
    assert billiard["partitions"] == {"stiff": 10, "nonstiff": 2}
    _, three_body = resolve_method(methods, "sann_general", "three_body")
    assert three_body["features"] == "coordinates"  # the variant's own override wins
    assert three_body["integrator"] == "euler" and three_body["model"] == "general"
    _, spring = resolve_method(methods, "sann", "spring")
    assert spring["epochs"] == 3000


def test_paper_config_passes_every_check():
    config = paper_config()
    check_methods(config, SCHEMA)
    check_learning(config)


@pytest.mark.parametrize(
    ("methods", "key"),
    [
        ({"x": {"method": "nope"}}, "methods.x.method"),
        ({"a": {"method": "b"}, "b": {"method": "a"}}, "cycle"),
        ({"x": {"method": "hnn", "gamma": 0.2}}, "methods.x': unknown key 'gamma'"),
        ({"x": {"method": "sann", "replication": "many"}}, "methods.x.replication"),
        ({"x": {"method": "sann", "per_system": {"mars": {}}}}, "methods.x.per_system.mars"),
        (
            {"x": {"method": "sann", "per_system": {"spring": {"gamma": 2}}}},
            "methods.x.per_system.spring.gamma",
        ),
        ({"lonely": {"width": 3}}, "'lonely' is not a learning method"),
    ],
)
def test_bad_entries_name_their_key(methods, key):
    config = paper_config()
    config["methods"].update(methods)
    with pytest.raises(ConfigError) as info:
        check_methods(config, SCHEMA)
    assert key in str(info.value)


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ({"method": "sann", "model": "general"}, "methods.x.integrator"),
        ({"method": "srnn", "model": "vector_field"}, "methods.x.integrator"),
        (
            {"method": "hnn", "model": "general", "prediction": {"integrator": "leapfrog"}},
            "methods.x.prediction.integrator",
        ),
        (
            {"method": "hnn", "per_system": {"spring": {"model": "resnet"}}},
            "methods.x.per_system.spring.prediction.integrator",
        ),
    ],
)
def test_leapfrog_on_an_inseparable_model_is_refused_before_any_job(entry, key):
    config = paper_config()
    config["methods"]["x"] = entry
    check_methods(config, SCHEMA)
    with pytest.raises(ConfigError) as info:
        check_learning(config)
    assert key in str(info.value)
    assert "separable" in str(info.value) or "Hamiltonian" in str(info.value)


def test_resolved_settings_do_not_depend_on_the_order_keys_were_merged():
    methods = paper_config()["methods"]
    _, a = resolve_method(methods, "sann_exp2")
    reordered = {**methods, "sann": dict(reversed(list(methods["sann"].items())))}
    _, b = resolve_method(reordered, "sann_exp2")
    assert list(a) == list(b) == sorted(a)


def test_a_variants_own_key_wins_over_its_bases_per_system_value():
    methods = {
        "sann": {"epochs": 3000, "per_system": {"billiard": {"epochs": 500}}},
        "sann_long": {"method": "sann", "epochs": 5000},
        "sann_short": {"method": "sann_long", "per_system": {"billiard": {"epochs": 50}}},
    }
    assert resolve_method(methods, "sann", "billiard")[1]["epochs"] == 500
    assert resolve_method(methods, "sann_long", "billiard")[1]["epochs"] == 5000
    assert resolve_method(methods, "sann_short", "billiard")[1]["epochs"] == 50
    assert resolve_method(methods, "sann_short", "spring")[1]["epochs"] == 5000


def test_only_learners_end_a_variant_chain():
    config = paper_config()
    config["methods"]["foo"] = {"method": "foo"}
    with pytest.raises(ConfigError) as info:
        check_methods(config, SCHEMA)
    assert "learning methods: hinn, hnn, ode, sann, srnn)" in str(info.value)


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ({"method": "hinn", "features": "pairwise_distances"}, "methods.x.features"),
        ({"method": "ode", "time_input": False}, "methods.x.time_input"),
    ],
)
def test_an_option_the_model_does_not_take_is_refused(entry, key):
    config = paper_config()
    config["methods"]["x"] = entry
    with pytest.raises(ConfigError, match=key):
        check_learning(config)


def test_a_window_longer_than_the_data_is_refused_before_any_job():
    config = paper_config()
    config["methods"]["srnn_long"] = {"method": "srnn", "window": 80}
    config["experiments"]["three_body"] = ["srnn_long"]
    with pytest.raises(ConfigError, match="methods.srnn_long.window.*steps.train gives 59"):
        check_learning(config)
