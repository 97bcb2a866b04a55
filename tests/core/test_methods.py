"""Method entries: variants, per-system overrides, and the checks that name bad keys."""

import pytest

from hampipe.core import ConfigError, check_methods, resolve_method
from hampipe.core.methods import setting_owner
from hampipe.models import check_learning
from hampipe.plan import load_schema
from tests.helpers import ROOT, paper_config

SCHEMA = load_schema(ROOT / "workflow/schemas/config.schema.yaml")


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
    with pytest.raises(ConfigError, match="methods.srnn_long.window.*steps.train = 60 observes 59"):
        check_learning(config)


def test_a_cycle_is_one_problem_however_many_entries_reach_it():
    config = paper_config()
    config["methods"].update(
        {"b": {"method": "c"}, "c": {"method": "a"}, "a": {"method": "b"}, "d": {"method": "c"}}
    )
    with pytest.raises(ConfigError) as info:
        check_methods(config, SCHEMA)
    assert info.value.problems == [
        "config key 'methods.a.method': variants form a cycle (a -> b -> c -> a); the last "
        "entry of a chain of 'method:' keys must be a learning method"
    ]


def test_a_missing_base_suggests_the_closest_entry():
    config = paper_config()
    config["methods"]["sann_k2"] = {"method": "san_exp1", "replication": 2}
    with pytest.raises(
        ConfigError,
        match=r"no entry 'san_exp1' under 'methods' \(did you mean "
        r"'sann_exp1'\?\)",
    ):
        check_methods(config, SCHEMA)


def test_an_inherited_bad_value_is_reported_at_its_source_only():
    """sann's per-system typo reaches sann_exp1..7, sann_tanh, ...: one problem."""
    config = paper_config()
    config["methods"]["sann"]["per_system"]["billiard"]["epoch"] = 5
    config["methods"]["sann_exp1"]["gamma"] = 2.0
    with pytest.raises(ConfigError) as info:
        check_methods(config, SCHEMA)
    assert [p.split(":")[0] for p in info.value.problems] == [
        "config key 'methods.sann.per_system.billiard'",
        "config key 'methods.sann_exp1.gamma'",
    ]
    assert "unknown key 'epoch' (did you mean 'epochs'?)" in info.value.problems[0]


def test_setting_owner_follows_the_merge_order():
    methods = {
        "sann": {"epochs": 3000, "per_system": {"billiard": {"epochs": 500}}},
        "sann_long": {"method": "sann", "epochs": 5000, "prediction": {"rtol": 1e-6}},
        "sann_short": {"method": "sann_long", "per_system": {"billiard": {"epochs": 50}}},
    }
    assert setting_owner(methods, "sann_short", "billiard", "epochs") == (
        "methods.sann_short.per_system.billiard.epochs"
    )
    assert setting_owner(methods, "sann_short", "spring", "epochs") == "methods.sann_long.epochs"
    assert setting_owner(methods, "sann", "billiard", "epochs") == (
        "methods.sann.per_system.billiard.epochs"
    )
    assert setting_owner(methods, "sann_short", None, "prediction.rtol") == (
        "methods.sann_long.prediction.rtol"
    )
    assert setting_owner(methods, "sann_short", None, "gamma") == "methods.sann_short.gamma"


def test_a_problem_shared_by_a_base_and_its_variants_is_listed_once():
    config = paper_config()
    config["methods"]["srnn"]["window"] = 80
    with pytest.raises(ConfigError) as info:
        check_learning(config)
    assert info.value.problems == [
        "config key 'methods.srnn.window': 80 intervals, but systems.three_body.steps.train = "
        "60 observes 59; allowed: window <= 59 (runs: srnn, srnn_e6k, srnn_e10k, srnn_e15k, "
        "srnn_noise1, srnn_noise5)"
    ]
