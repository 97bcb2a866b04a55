"""The plan: which entries each figure compares, which figures and tables a system gets,
and every file `all` makes, decided by capability and the runs' own settings."""

from __future__ import annotations

import pytest

from hampipe.core import ConfigError
from hampipe.plan import FIGURES, SELECTIONS, TABLES, Plan, load_config
from hampipe.systems.base import HamiltonianSystem
from tests.helpers import DUFFING, ROOT

SCHEMA = ROOT / "workflow/schemas/config.schema.yaml"


def plan_of(*overlays: str, overrides: dict | None = None) -> Plan:
    config = load_config("config.yaml", *overlays, overrides=overrides, root=ROOT)
    return Plan.from_config(config, SCHEMA)


QUICK = plan_of("config.quick.yaml")


def test_selections_come_from_the_runs_settings():
    assert QUICK.selection("three_body", "learners") == ["hnn", "srnn", "sann", "ode"]
    # SANN entries that differ only in the activation (SANN Fig. 8)
    assert QUICK.selection("three_body", "activation") == ["sann", "sann_relu", "sann_tanh"]
    # one entry per K among the entries that differ only in K (SANN Fig. 5)
    settings = QUICK.settings_of(QUICK.selection("three_body", "replication"), "three_body")
    ks = [s["replication"] for s in settings.values()]
    assert ks == sorted(set(ks)) and len(ks) >= 2
    noise = QUICK.selection("three_body", "noise")
    assert {QUICK.learner(m, "three_body") for m in noise} == {"hnn", "srnn", "sann"}
    epochs = QUICK.selection("three_body", "epochs")
    assert epochs[-1] == "sann" and "hnn_e15k" in epochs and "sann_noise1" not in epochs
    assert QUICK.selection("three_body", "all") == QUICK.listed("three_body")
    # the billiard lists no variants that differ only in K, noise or epochs
    assert QUICK.selection("billiard", "replication") == []
    assert QUICK.selection("billiard", "noise") == QUICK.selection("billiard", "epochs") == []


def test_a_system_listing_only_variants_shows_them_all():
    plan = plan_of(
        "config.quick.yaml", overrides={"experiments": {"spring": ["hnn_exact", "hnn_e6k"]}}
    )
    assert plan.shown("spring") == ["hnn_exact", "hnn_e6k"]


def test_an_unknown_selection_is_refused():
    with pytest.raises(ValueError, match="unknown selection 'fancy'"):
        QUICK.selection("spring", "fancy")


def test_an_empty_selection_names_the_system_and_what_it_needs():
    with pytest.raises(ValueError, match=r"experiments\.spring: no methods for the 'activation'"):
        QUICK.collected("spring", "activation")
    assert QUICK.collected("three_body", "activation") == (
        "results/collected/three_body/activation.nc"
    )


def test_figures_follow_capabilities_not_names():
    figures = {system: QUICK.figures_of(system) for system in QUICK.config["systems"]}
    common = {"energy", "mse", "orbits", "energy_heatmap"}
    assert all(
        common <= set(names) for s, names in figures.items() if s in QUICK.config["experiments"]
    )
    # SAI figures where a SANN entry trains
    for system, names in figures.items():
        sai = {"sai_si", "sai_percentiles", "sai_translation"} <= set(names)
        assert sai == bool(QUICK.sann_entries(system)), system
    # a potential worth mapping (the billiard's table) and a 2-dof separable model
    assert {"potential", "learned_potential"} <= set(figures["billiard"])
    assert not {"potential", "learned_potential"} & set(figures["two_body"])
    # a 1-dof linear system with HNN entries: the spring, not the pendulum
    assert "meshgrid_error" in figures["spring"]
    assert "meshgrid_error" not in figures["pendulum"]
    assert QUICK.probed("spring", "field") == ["hnn", "hnn_exact"]
    # figures.animations and integrator_drift name their systems
    assert "animation" in figures["three_body"] and "animation" not in figures["spring"]
    assert "integrator_drift" in figures["spring"]
    assert "integrator_drift" not in figures["pendulum"]


class LinearOscillator(HamiltonianSystem):
    """A user-style 1-dof system that declares a linear field, under another name."""

    name = "oscillator"
    linear = True

    @property
    def dof_names(self):
        return ["q"]


def test_a_capability_gives_a_figure_to_any_system_that_has_it():
    config = load_config(
        "config.yaml",
        "config.quick.yaml",
        overrides={"systems": {"duffing": DUFFING}, "experiments": {"duffing": ["hnn"]}},
        root=ROOT,
    )
    plain = Plan.from_config(config, SCHEMA)
    assert "meshgrid_error" not in plain.figures_of("duffing")  # a quartic term
    linear = Plan(config, {**plain.systems, "duffing": LinearOscillator()})
    assert "meshgrid_error" in linear.figures_of("duffing")
    assert linear.probes("duffing", "field") == {"hnn": "results/probe/duffing/hnn/field/seed0.nc"}


def test_final_outputs_list_every_figure_table_and_evaluation_once():
    outputs = QUICK.final_outputs()
    assert len(outputs) == len(set(outputs))
    n_runs = sum(len(m) for m in QUICK.config["experiments"].values()) * QUICK.seeds
    assert sum(o.startswith("results/eval/") for o in outputs) == n_runs
    assert "results/figs/billiard_potential.pdf" in outputs
    assert "results/figs/three_body_orbits.gif" in outputs
    assert "results/figs/valid_prediction_time.pdf" in outputs
    # where stiffness helps: every system that trains SANN, and no other
    assert "results/figs/three_body_error_by_stiffness.pdf" in outputs
    assert "results/figs/billiard_error_by_stiffness.pdf" in outputs
    assert "results/figs/spring_error_by_stiffness.pdf" not in outputs
    assert [o for o in outputs if o.startswith("results/tables/")] == [
        f"results/tables/{name}.csv"
        for name in ("summary", "stiffness", "ablation", "inseparable", "partition_search")
    ]


def test_tables_are_written_when_configured():
    config = load_config("config.yaml", "config.quick.yaml", root=ROOT)
    config["tables"] = {}
    plan = Plan.from_config(config, SCHEMA)
    assert plan.tables() == ["summary", "stiffness"]  # both need no tables block
    with pytest.raises(ValueError, match="needs the config block 'tables.ablation'"):
        TABLES["ablation"].inputs(plan)


def test_every_applicable_spec_gives_inputs_and_options():
    for system in QUICK.config["systems"]:
        for name in QUICK.figures_of(system):
            spec = FIGURES[name]
            inputs = spec.inputs(QUICK, system)
            assert all(isinstance(v, str | list) for v in inputs.values()), name
            assert isinstance(spec.options(QUICK, system), dict), name
    for name in QUICK.tables():
        assert TABLES[name].inputs(QUICK) and isinstance(TABLES[name].options(QUICK), dict)


def test_figure_options_are_what_the_drawing_functions_take():
    # SANN's gamma and ranking, for the strip of stiff intervals, where SANN trains
    assert FIGURES["energy"].options(QUICK, "three_body") == {
        "methods": ["hnn", "srnn", "sann", "ode"],
        "gamma": 0.1,
        "ranking": "trajectory",
    }
    assert FIGURES["energy"].options(QUICK, "spring") == {"methods": ["hnn", "hinn", "ode"]}
    assert FIGURES["sai_si"].options(QUICK, "three_body") == {
        "gamma": 0.1,
        "ranking": "trajectory",
        "trajectory": "strongest",
    }
    assert FIGURES["energy_heatmap"].options(QUICK, "spring") == {"method": "hnn"}
    assert FIGURES["potential"].inputs(QUICK, "billiard") == {}  # analytic: no simulation
    assert FIGURES["potential"].options(QUICK, "billiard")["system"]["name"] == "billiard"
    styles = FIGURES["meshgrid_error"].options(QUICK, "spring")["styles"]
    assert list(styles) == ["hnn", "hnn_exact"]


def test_every_spec_has_a_drawing_function_and_a_caption():
    from hampipe.plotting import FIGURES as DRAWN
    from hampipe.plotting import TABLES as WRITTEN

    for name, spec in FIGURES.items():
        assert spec.animation or spec.function in DRAWN, name
        caption = ROOT / "workflow/report" / f"{spec.caption or spec.name}.rst"
        assert caption.exists(), caption
    assert set(TABLES) == set(WRITTEN)
    for name in TABLES:
        assert (ROOT / "workflow/report" / f"table_{name}.rst").exists(), name


def test_stiffness_settings_need_a_sann_entry():
    assert QUICK.stiffness("billiard") == {"gamma": 0.1, "ranking": "trajectory"}
    with pytest.raises(ValueError, match="experiments.spring: the SAI figures"):
        QUICK.stiffness("spring")


def test_stage_params():
    assert QUICK.system_spec("spring") == {
        "name": "spring",
        "parameters": {"k": 2.0, "m": 2.0},
        "definition": {},
    }
    assert QUICK.train_input("three_body", "sann") == {
        "train": "results/data/three_body/train.nc",
        "sai": "results/sai/three_body.nc",
    }
    assert "sai" not in QUICK.train_input("three_body", "hnn")
    assert "prediction" not in QUICK.hyperparameters("sann", "three_body")
    assert QUICK.prediction("sann", "three_body")["integrator"] == "leapfrog"
    assert QUICK.seed("train", "spring", 0) != QUICK.seed("train", "spring", 1)
    with pytest.raises(ValueError, match="names another system or method"):
        QUICK.search_grid("spring", "hnn")


@pytest.mark.parametrize("selection", SELECTIONS)
def test_evaluations_cover_every_seed(selection):
    plan = plan_of("config.quick.yaml", overrides={"seeds": 2})
    evals = plan.evaluations("three_body", selection)
    assert all(len(paths) == 2 for paths in evals.values())
    assert list(evals) == plan.selection("three_body", selection)


def test_settings_the_config_leaves_out_take_the_schema_default():
    config = load_config("config.yaml", "config.quick.yaml", root=ROOT)
    for key in ("model", "gamma", "ranking"):
        config["methods"]["sann"].pop(key, None)
    plan = Plan.from_config(config, SCHEMA)
    assert plan.setting("sann", "billiard", "model") == "separable"
    assert plan.stiffness("billiard") == {"gamma": 0.1, "ranking": "trajectory"}
    assert "sann" in plan.probed("billiard", "potential")
    assert plan.setting("ode", None, "model") == "vector_field"  # the learner's own default
    with pytest.raises(KeyError, match="methods.sann: no setting 'colour'"):
        plan.setting("sann", None, "colour")


def test_the_test_split_can_have_its_own_initial_states():
    """systems.<name>.test_initial_state: keys merged over initial_state for the test
    split only (a peer's separate evaluation starts); checked before any job."""
    change = {"radius": [0.2, 1.0], "sampling": "radius"}
    plan = plan_of(overrides={"systems": {"spring": {"test_initial_state": change}}})
    assert plan.initial_state("spring", "train") == {"radius": [10.0, 100.0], "sampling": "energy"}
    assert plan.initial_state("spring", "test") == change
    assert QUICK.initial_state("spring", "test") == QUICK.initial_state("spring", "train")
    with pytest.raises(ConfigError, match=r"'systems.spring.test_initial_state': unknown key"):
        plan_of(overrides={"systems": {"spring": {"test_initial_state": {"radiu": [1, 2]}}}})
    with pytest.raises(ConfigError, match=r"'systems.billiard.test_initial_state'"):
        plan_of(overrides={"systems": {"billiard": {"test_initial_state": {"speed": [0.5, 9.0]}}}})


#: A named variant of the built-in spring (DGNet's), beside the spring study's own entry.
VARIANT = {
    "system": "spring",
    "parameters": {"k": 2.0, "m": 0.5},
    "initial_state": {"radius": [0.1, 1.0], "sampling": "radius"},
    "dt": 0.2,
    "steps": {"train": 10, "test": 10},
    "trajectories": {"train": 4, "test": 2},
}


def test_a_named_variant_of_a_built_in_system():
    """systems.<name>: {system: <built-in>, ...} is that built-in under another wildcard,
    with its own settings and the built-in's defaults, checked as the built-in's entry."""
    plan = plan_of(overrides={"systems": {"dgnet_spring": VARIANT}})
    spec = plan.config["systems"]["dgnet_spring"]
    # defaults filled
    assert spec["evaluation"] == {"step": 0.01, "noise": 0.0, "divergence_bound": 1000.0}
    assert plan.system_spec("dgnet_spring") == {
        "name": "spring",
        "parameters": {"k": 2.0, "m": 0.5},
        "definition": {},
    }
    assert plan.system_spec("spring")["parameters"] == {"k": 2.0, "m": 2.0}  # untouched
    assert type(plan.systems["dgnet_spring"]).__name__ == "Spring"
    for change, message in [
        ({"system": "sprng"}, "'systems.dgnet_spring.system': 'sprng' is not allowed"),
        ({"parameters": {"kk": 1.0}}, "'systems.dgnet_spring.parameters': unknown key 'kk'"),
        ({"initial_state": {"radius": [1.0, 0.5]}}, "'systems.dgnet_spring.initial_state"),
    ]:
        with pytest.raises(ConfigError, match=message):
            plan_of(overrides={"systems": {"dgnet_spring": {**VARIANT, **change}}})
    with pytest.raises(ConfigError, match="missing key 'dt'"):
        plan_of(overrides={"systems": {"dgnet_spring": {"system": "spring"}}})


def test_identical_entries_train_once():
    """``sann_exp5`` is ``sann`` (SANN Table 1's row 5 is the default setting): one
    training job and model per seed, each entry still evaluated under its own name."""
    paper = plan_of()
    assert paper.trained_as("sann_exp5", "three_body") == "sann"
    assert paper.trained_as("sann", "three_body") == "sann"
    shared = "results/models/three_body/sann/seed2.pt"
    assert paper.model_file("three_body", "sann_exp5", 2) == shared
    # a setting that differs splits them; one spelled out at its default does not
    assert paper.trained_as("sann_exp6", "three_body") == "sann_exp6"
    spelled = plan_of(overrides={"methods": {"hnn_twin": {"method": "hnn", "weight_decay": 0.0}}})
    assert spelled.trained_as("hnn_twin", "three_body") == "hnn"
    # the prediction block does not enter training: a different one still shares
    other = plan_of(
        overrides={"methods": {"hnn_rk4": {"method": "hnn", "prediction": {"integrator": "rk4"}}}}
    )
    assert other.trained_as("hnn_rk4", "spring") == "hnn"
    assert other.prediction("hnn_rk4", "spring")["integrator"] == "rk4"
    # a per-system override splits them on that system only
    split = plan_of(
        overrides={"methods": {"sann_exp5": {"per_system": {"three_body": {"epochs": 7}}}}}
    )
    assert split.trained_as("sann_exp5", "three_body") == "sann_exp5"


def test_ensemble_picks_the_rule_that_trains_each_entry_on_each_system():
    """``ensemble`` (default false, per system like any key) decides which rule makes an
    entry's model files, and reaches no job's hyperparameters."""
    import re

    assert not QUICK.ensemble("sann", "three_body")
    overrides = {"methods": {"sann": {"per_system": {"billiard": {"ensemble": True}}}}}
    split = plan_of("config.quick.yaml", overrides=overrides)
    assert split.ensemble("sann", "billiard") and not split.ensemble("sann", "three_body")
    assert split.ensemble("sann_tanh", "billiard")  # a variant inherits it
    assert "ensemble" not in split.hyperparameters("sann", "billiard")
    assert split.hyperparameters("sann", "billiard") == QUICK.hyperparameters("sann", "billiard")

    def maker(path: str) -> list[str]:
        """The rules whose model-file output matches ``path``."""
        return [
            rule
            for rule in ("train", "train_ensemble")
            if re.fullmatch(
                rf"results/models/(?P<system>.+)/(?P<method>{split.method_constraint(rule)})/"
                r"seed\d+\.pt",
                path,
            )
        ]

    assert maker("results/models/billiard/sann/seed2.pt") == ["train_ensemble"]
    assert maker("results/models/billiard/sann_tanh/seed0.pt") == ["train_ensemble"]
    assert maker("results/models/three_body/sann/seed2.pt") == ["train"]
    assert maker("results/models/billiard/hnn/seed0.pt") == ["train"]
    assert maker("results/models/pendulum4/sann/seed0.pt") == ["train"]  # not pendulum
    assert QUICK.method_constraint("train_ensemble") == "(?!)"
    with pytest.raises(ValueError, match="valid: train, train_ensemble"):
        QUICK.method_constraint("evaluate")
    assert split.train_seeds("billiard") == [
        split.seed("train", "billiard", i) for i in range(split.seeds)
    ]
    assert split.checkpoint("billiard", "sann", None)["directory"] == (
        "results/checkpoints/billiard/sann/ensemble"
    )
    assert split.checkpoint("billiard", "sann", 1)["directory"].endswith("/sann/seed1")


def test_an_entry_trained_otherwise_shares_no_model():
    """An ensemble's members end elsewhere in their last bits than runs alone: an entry
    identical to another but for ``ensemble`` trains itself; one that inherits the
    other's ``ensemble`` still shares its training."""
    alone = plan_of(overrides={"methods": {"sann_exp5": {"ensemble": True}}})
    assert alone.trained_as("sann_exp5", "three_body") == "sann_exp5"
    together = plan_of(overrides={"methods": {"sann": {"ensemble": True}}})
    assert together.trained_as("sann_exp5", "three_body") == "sann"
    assert together.ensemble("sann_exp5", "three_body")
