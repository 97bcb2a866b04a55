"""Every invalid config stops `snakemake` with one readable message, before any job.

Each case is an overlay given with ``--configfile`` over config.yaml, as a user would
write it. It is checked twice: in-process against :func:`hampipe.plan.check_config`
(cheap), and through the real workflow in a copy of the project that already holds
results, where the run must fail with the message (the key path, the bad value, the
closest valid name for a misspelling), print no Python traceback, and leave every file
as it was.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from hampipe.core.config import ConfigError, merge_config
from hampipe.plan.checks import check_config
from tests.helpers import DUFFING, ROOT
from tests.workflow.test_workflow import copy_project

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DRIFT = {"methods": ["RK45"], "rtol": [1e-3], "atol": [1e-6], "horizon": 10.0, "points": 11}


@dataclass(frozen=True)
class Case:
    """An overlay and what its message must say (key path, bad value, suggestion)."""

    id: str
    overlay: dict
    expected: tuple[str, ...]


CASES = [
    # unknown keys at every depth, each with the closest valid key
    Case(
        "top_level_typo",
        {"sead": 7},
        ("config key '<root>'", "unknown key 'sead'", "(did you mean 'seed'?)"),
    ),
    Case(
        "learner_key_typo",
        {"methods": {"sann": {"gama": 0.2}}},
        ("config key 'methods.sann'", "unknown key 'gama'", "(did you mean 'gamma'?)", "allowed: "),
    ),
    Case(
        "nested_key_typo",
        {"methods": {"sann": {"partitions": {"stif": 20}}}},
        (
            "config key 'methods.sann.partitions'",
            "unknown key 'stif'",
            "(did you mean 'stiff'?)",
            "allowed: nonstiff, stiff",
        ),
    ),
    Case(
        "patience_without_validation",
        {"methods": {"hnn": {"patience": 5, "validation": 0.0}}},
        (
            "config key 'methods.hnn.patience': 5 epochs",
            "early stopping watches the validation loss and validation is 0",
            "allowed: a validation fraction > 0, or patience 0",
        ),
    ),
    Case(
        "prediction_key_typo",
        {"methods": {"hnn": {"prediction": {"integrater": "leapfrog"}}}},
        (
            "config key 'methods.hnn.prediction'",
            "unknown key 'integrater'",
            "(did you mean 'integrator'?)",
        ),
    ),
    Case(
        "system_parameter_typo",
        {"systems": {"spring": {"parameters": {"kk": 3.0}}}},
        (
            "config key 'systems.spring.parameters'",
            "unknown key 'kk'",
            "(did you mean 'k'?)",
            "allowed: k, m",
        ),
    ),
    Case(
        "ground_truth_key_typo",
        {"systems": {"billiard": {"ground_truth": {"rtoll": 1e-10}}}},
        (
            "config key 'systems.billiard.ground_truth'",
            "unknown key 'rtoll'",
            "(did you mean 'rtol'?)",
        ),
    ),
    Case(
        "per_system_key_typo",
        {"methods": {"sann": {"per_system": {"billiard": {"epoch": 50}}}}},
        (
            "config key 'methods.sann.per_system.billiard'",
            "unknown key 'epoch'",
            "(did you mean 'epochs'?)",
        ),
    ),
    Case(
        "variant_key_typo",
        {"methods": {"sann_exp1": {"replicaton": 3}}},
        (
            "config key 'methods.sann_exp1'",
            "unknown key 'replicaton'",
            "(did you mean 'replication'?)",
        ),
    ),
    Case(
        "figures_key_typo",
        {"figures": {"animation_frame": 10}},
        (
            "config key 'figures'",
            "unknown key 'animation_frame'",
            "(did you mean 'animation_frames'?)",
        ),
    ),
    Case(
        "tables_key_typo",
        {"tables": {"ablaton": {"system": "three_body", "methods": ["sann"]}}},
        ("config key 'tables'", "unknown key 'ablaton'", "(did you mean 'ablation'?)"),
    ),
    Case(
        "misspelt_builtin_system",
        {"systems": {"sprng": {"dt": 0.1, "steps": {"train": 10, "test": 10}}}},
        (
            "config key 'systems.sprng'",
            "'sprng' is not a built-in system",
            "(did you mean 'spring'?)",
        ),
    ),
    Case(
        "misspelt_learner",
        {"methods": {"san": {"gamma": 0.2}}},
        ("config key 'methods.san'", "'san' is not a learning method", "(did you mean 'sann'?)"),
    ),
    # wrong types
    Case(
        "seed_is_text",
        {"seed": "abc"},
        ("config key 'seed'", "'abc' is a string, expected an integer"),
    ),
    Case(
        "epochs_not_whole",
        {"methods": {"hnn": {"epochs": 50.0}}},
        ("config key 'methods.hnn.epochs'", "50.0 is a decimal number, expected an integer"),
    ),
    Case(
        "experiments_not_a_list",
        {"experiments": {"spring": "hnn"}},
        ("config key 'experiments.spring'", "'hnn' is a string, expected a list"),
    ),
    Case(
        "gamma_left_empty",
        {"methods": {"sann": {"gamma": None}}},
        ("config key 'methods.sann.gamma'", "null is empty, expected a number"),
    ),
    Case(
        "per_system_not_a_mapping",
        {"methods": {"hnn_exact": {"per_system": {"spring": 3}}}},
        ("config key 'methods.hnn_exact.per_system.spring'", "3 is an integer, expected a mapping"),
    ),
    # out of range
    Case(
        "gamma_out_of_range",
        {"methods": {"sann": {"gamma": 1.5}}},
        ("config key 'methods.sann.gamma'", "1.5 is out of range", "allowed: 0 <= gamma < 1"),
    ),
    Case(
        "too_few_steps",
        {"systems": {"three_body": {"steps": {"train": 2}}}},
        ("config key 'systems.three_body.steps.train'", "2 is out of range", "allowed: 3 <= train"),
    ),
    Case(
        "no_seeds", {"seeds": 0}, ("config key 'seeds'", "0 is out of range", "allowed: 1 <= seeds")
    ),
    Case(
        "variant_out_of_range",
        {"methods": {"sann_exp7": {"gamma": -0.5}}},
        ("config key 'methods.sann_exp7.gamma'", "-0.5 is out of range", "allowed: 0 <= gamma < 1"),
    ),
    Case(
        "range_reversed",
        {"systems": {"spring": {"initial_state": {"radius": [100.0, 10.0]}}}},
        ("config key 'systems.spring.initial_state.radius'", "[100.0, 10.0] is out of order"),
    ),
    Case(
        "meshgrid_reversed",
        {"figures": {"meshgrid_extent": [1.0, -1.0, -1.0, 1.0]}},
        ("config key 'figures.meshgrid_extent'", "[1.0, -1.0, -1.0, 1.0] is out of order"),
    ),
    # bad enum values, the allowed ones from the registries
    Case(
        "unknown_activation",
        {"methods": {"hnn": {"activation": "sigmoid"}}},
        (
            "config key 'methods.hnn.activation'",
            "'sigmoid' is not allowed",
            "allowed: rational, tanh, relu",
        ),
    ),
    Case(
        "misspelt_integrator",
        {"methods": {"sann": {"integrator": "rk5"}}},
        (
            "config key 'methods.sann.integrator'",
            "'rk5' is not allowed (did you mean 'rk4'?)",
            "leapfrog",
        ),
    ),
    Case(
        "misspelt_model",
        {"methods": {"hnn": {"model": "seperable"}}},
        (
            "config key 'methods.hnn.model'",
            "'seperable' is not allowed (did you mean 'separable'?)",
            "vector_field",
        ),
    ),
    Case(
        "variant_misspelt_activation",
        {"methods": {"sann_tanh": {"activation": "tanhh"}}},
        (
            "config key 'methods.sann_tanh.activation'",
            "'tanhh' is not allowed (did you mean 'tanh'?)",
        ),
    ),
    Case(
        "unknown_solver",
        {"systems": {"pendulum": {"ground_truth": {"method": "RK23"}}}},
        (
            "config key 'systems.pendulum.ground_truth.method'",
            "'RK23' is not allowed",
            "DOP853, RK45, Radau",
        ),
    ),
    Case(
        "unknown_device",
        {"device": "gpu"},
        ("config key 'device'", "'gpu' is not allowed", "auto, cpu, cuda"),
    ),
    Case(
        "bad_entry_name",
        {"methods": {"Sann-2": {"method": "sann"}}},
        ("config key 'methods'", "key 'Sann-2' is not a valid name", "^[a-z][a-z0-9_]*$"),
    ),
    Case(
        "bad_colour",
        {"presentation": {"colours": {"hnn": "red"}}},
        ("config key 'presentation.colours.hnn'", "'red' does not match", "'#rrggbb'"),
    ),
    # names across blocks
    Case(
        "experiments_unknown_method",
        {"experiments": {"spring": ["hnn", "sannn"]}},
        ("config key 'experiments.spring[1]'", "no such method 'sannn'", "(did you mean 'sann'?)"),
    ),
    Case(
        "experiments_unknown_system",
        {"experiments": {"sprng": ["hnn"]}},
        ("config key 'experiments.sprng'", "no such system 'sprng'", "(did you mean 'spring'?)"),
    ),
    Case(
        "variant_of_missing_entry",
        {"methods": {"sann_k2": {"method": "san", "replication": 2}}},
        ("config key 'methods.sann_k2.method'", "no entry 'san'", "(did you mean 'sann'?)"),
    ),
    Case(
        "variant_cycle",
        {"methods": {"sann_a": {"method": "sann_b"}, "sann_b": {"method": "sann_a"}}},
        (
            "config key 'methods.sann_a.method'",
            "variants form a cycle (sann_a -> sann_b -> sann_a)",
        ),
    ),
    Case(
        "per_system_unknown_system",
        {"methods": {"hnn": {"per_system": {"mars": {"epochs": 3}}}}},
        ("config key 'methods.hnn.per_system.mars'", "no such system 'mars'"),
    ),
    Case(
        "label_of_unknown_method",
        {"presentation": {"labels": {"hnnn": "HNN+"}}},
        ("config key 'presentation.labels.hnnn'", "no such method 'hnnn'", "(did you mean 'hnn'?)"),
    ),
    Case(
        "table_method_not_in_experiments",
        {"tables": {"ablation": {"methods": ["sann_exp1", "hnn_noise9"]}}},
        (
            "config key 'tables.ablation.methods[1]'",
            "'hnn_noise9' is not listed in 'experiments.three_body'",
            "(did you mean 'hnn_noise5'?)",
        ),
    ),
    Case(
        "table_unknown_system",
        {"tables": {"inseparable": {"systems": ["pendulum4", "pendulum5"]}}},
        (
            "config key 'tables.inseparable.systems[1]'",
            "no such system 'pendulum5'",
            "did you mean 'pendulum",
        ),
    ),
    Case(
        "ablation_row_not_sann",
        {"tables": {"ablation": {"methods": ["sann_exp1", "hnn"]}}},
        (
            "config key 'tables.ablation.methods[1]'",
            "'hnn' trains with hnn",
            "entries that train with sann",
        ),
    ),
    Case(
        "partition_search_not_sann",
        {"tables": {"partition_search": {"method": "srnn"}}},
        (
            "config key 'tables.partition_search.method'",
            "'srnn' trains with srnn, which takes no partitions",
            "sann_exp1",
        ),
    ),
    Case(
        "partition_search_without_pairs",
        {"tables": {"partition_search": {"nonstiff": [20, 50], "stiff": [5, 10]}}},
        ("config key 'tables.partition_search.stiff'", "[5, 10]", "no (nonstiff, stiff) pair"),
    ),
    Case(
        "partition_search_without_validation",
        {"methods": {"sann": {"validation": 0.0}}},
        (
            "config key 'methods.sann.validation'",
            "0.0, but tables.partition_search ranks the pairs",
        ),
    ),
    Case(
        "animation_of_unknown_system",
        {"figures": {"animations": ["billiard", "tree_body"]}},
        (
            "config key 'figures.animations[1]'",
            "no such system 'tree_body'",
            "(did you mean 'three_body'?)",
        ),
    ),
    Case(
        "animation_not_in_the_plane",
        {"figures": {"animations": ["pendulum4"]}},
        (
            "config key 'figures.animations[0]'",
            "'pendulum4' has coordinates",
            "not bodies in the plane",
        ),
    ),
    Case(
        "drift_of_unknown_system",
        {"integrator_drift": {"sprin": {**DRIFT, "trajectories": 1}}},
        (
            "config key 'integrator_drift.sprin'",
            "no such system 'sprin'",
            "(did you mean 'spring'?)",
        ),
    ),
    Case(
        "drift_tolerances_unpaired",
        {"integrator_drift": {"spring": {"atol": [1e-6]}}},
        ("config key 'integrator_drift.spring.atol'", "[1e-06] has 1 value(s) for the 3"),
    ),
    Case(
        "drift_more_than_the_test_split",
        {"integrator_drift": {"spring": {"trajectories": 500}}},
        (
            "config key 'integrator_drift.spring.trajectories'",
            "500 drift runs",
            "allowed: at most 50",
        ),
    ),
    # rules across keys the schema cannot say
    Case(
        "evaluation_step_not_dividing_dt",
        {"systems": {"spring": {"evaluation": {"step": 0.03}}}},
        (
            "config key 'systems.spring.evaluation.step'",
            "0.03 does not divide systems.spring.dt = 0.1",
            "e.g. 0.025",
        ),
    ),
    Case(
        "window_longer_than_the_data",
        {"methods": {"srnn": {"window": 80}}},
        ("config key 'methods.srnn.window'", "80 intervals", "allowed: window <= 59", "srnn_e6k"),
    ),
    Case(
        "validation_leaves_nothing_to_train_on",
        {"systems": {"pendulum": {"trajectories": {"train": 1}}}},
        (
            "config key 'methods.hnn.validation'",
            "0.1 holds out 1 of the 1 training trajectories of pendulum",
        ),
    ),
    Case(
        "leapfrog_on_an_inseparable_model",
        {"methods": {"sann": {"model": "general"}}},
        (
            "config key 'methods.sann.integrator'",
            "integrator 'leapfrog' needs a separable Hamiltonian",
            "model 'general'",
        ),
    ),
    Case(
        "option_the_model_does_not_take",
        {"methods": {"hinn": {"features": "pairwise_distances"}}},
        (
            "config key 'methods.hinn.features'",
            "'pairwise_distances' is set, but the 'resnet' model takes no 'features'",
        ),
    ),
    Case(
        "pairwise_distances_of_one_body",
        {"methods": {"hnn": {"per_system": {"spring": {"features": "pairwise_distances"}}}}},
        (
            "config key 'methods.hnn.per_system.spring.features'",
            "'pairwise_distances' on spring",
            "hnn_exact",
        ),
    ),
    Case(
        "figure_trajectory_beyond_the_data",
        {"figures": {"trajectory": 40}},
        (
            "config key 'figures.trajectory'",
            "40 is beyond the trajectories of systems.pendulum.trajectories.test = 25",
            "allowed: 0 to 24",
        ),
    ),
    Case(
        "billiard_too_fast",
        {"systems": {"billiard": {"initial_state": {"speed": [0.5, 3.0]}}}},
        ("config key 'systems.billiard'", "speed = [0.5, 3.0]"),
    ),
    Case(
        "user_system_undefined_symbol",
        {"systems": {"duffing": {**DUFFING, "hamiltonian": "p**2/2 + gamma*q**2"}}},
        ("systems.duffing.hamiltonian", "undefined symbol 'gamma'"),
    ),
]
#: Cases also run without ``-n``: a real run must stop as early as the dry run.
REAL_RUNS = {
    "learner_key_typo",
    "variant_misspelt_activation",
    "partition_search_not_sann",
    "animation_not_in_the_plane",
    "user_system_undefined_symbol",
}
FRAME = re.compile(r'File ".*", line \d+')


def config_with(overlay: dict) -> dict:
    """config.yaml with ``overlay`` merged in, as ``--configfile`` merges it."""
    return merge_config(yaml.safe_load((ROOT / "config.yaml").read_text()), overlay)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_config_names_key_value_and_allowed(case):
    with pytest.raises(ConfigError) as info:
        check_config(config_with(case.overlay), SCHEMA)
    for text in case.expected:
        assert text in str(info.value)


def test_the_cases_are_distinct_and_the_shipped_configs_pass():
    assert len({c.id for c in CASES}) == len(CASES) >= 30
    assert len({yaml.safe_dump(c.overlay) for c in CASES}) == len(CASES)
    check_config(config_with({}), SCHEMA)
    check_config(config_with(yaml.safe_load((ROOT / ".test/config.yaml").read_text())), SCHEMA)


def test_every_problem_of_one_config_is_in_one_message():
    schema_only = {
        "sead": 1,
        "methods": {"sann": {"gamma": 2.0, "integrator": "leapfrogg"}},
        "figures": {"trajectory": -1},
    }
    with pytest.raises(ConfigError) as info:
        check_config(config_with(schema_only), SCHEMA)
    assert str(info.value).startswith("invalid config (4 problem(s)):")
    across_keys = {
        "experiments": {"spring": ["hnn", "hnnn"]},
        "systems": {"spring": {"evaluation": {"step": 0.03}}},
        "methods": {"sann": {"model": "general"}, "srnn": {"window": 80}},
        "tables": {"partition_search": {"method": "hnn"}},
        "figures": {"animations": ["spring"]},
    }
    with pytest.raises(ConfigError) as info:
        check_config(config_with(across_keys), SCHEMA)
    text = str(info.value)
    for key in (
        "experiments.spring[1]",
        "systems.spring.evaluation.step",
        "methods.sann.integrator",
        "methods.sann.prediction.integrator",
        "methods.srnn.window",
        "tables.partition_search.method",
        "figures.animations[0]",
    ):
        assert f"config key '{key}'" in text
    assert text.startswith("invalid config (7 problem(s)):")


def test_an_inherited_problem_is_reported_once_at_its_source():
    """sann's variants and per-system blocks inherit its model; one message per key."""
    with pytest.raises(ConfigError) as info:
        check_config(config_with({"methods": {"sann": {"model": "general"}}}), SCHEMA)
    assert info.value.problems == [
        p for p in info.value.problems if p.startswith("config key 'methods.sann.")
    ]
    assert len(info.value.problems) == 2


# --- through the real workflow ---------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project with results and logs of an earlier run in it."""
    workdir = copy_project(tmp_path_factory.mktemp("project"))
    earlier = {
        "results/data/spring/train.nc": b"CDF\x01 earlier ground truth",
        "results/models/spring/hnn/seed0.pt": b"earlier model",
        "results/eval/spring/hnn/seed0.nc": b"CDF\x01 earlier evaluation",
        "results/figs/spring_energy.pdf": b"%PDF earlier figure",
        "results/tables/summary.csv": b"system,method\nspring,hnn\n",
        "logs/train/spring/hnn/seed0.log": b"earlier log\n",
    }
    for name, content in earlier.items():
        path = workdir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return workdir


def snapshot(workdir: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the project (``.snakemake`` aside): path -> (content, mtime)."""
    return {
        str(path.relative_to(workdir)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(workdir.rglob("*"))
        if path.is_file() and ".snakemake" not in path.relative_to(workdir).parts
    }


def run_workflow(workdir: Path, overlay: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", *args, "--configfile", str(overlay)]
    result = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    return output


@pytest.mark.parametrize(
    ("case", "dry"),
    [(c, True) for c in CASES] + [(c, False) for c in CASES if c.id in REAL_RUNS],
    ids=[c.id for c in CASES] + [f"{c.id}-real" for c in CASES if c.id in REAL_RUNS],
)
def test_snakemake_stops_with_one_message_and_touches_nothing(project, tmp_path, case, dry):
    overlay = tmp_path / f"{case.id}.yaml"
    overlay.write_text(yaml.safe_dump(case.overlay, sort_keys=False))
    before = snapshot(project)
    output = run_workflow(project, overlay, *(["-n"] if dry else []), "all")
    for text in case.expected:
        assert text in output, output
    assert output.count("hampipe: ") == 1, output
    assert "Traceback" not in output and not FRAME.search(output), output
    assert snapshot(project) == before
    assert {p.name for p in project.iterdir()} - {".snakemake"} == {
        *(
            "Snakefile",
            "config.yaml",
            "config.quick.yaml",
            "workflow",
            ".test",
            "profiles",
            "peers",
        ),
        *("results", "logs"),
    }
