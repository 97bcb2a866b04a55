# Config validation and input/params functions. No rules here.
from pathlib import Path

import yaml

from hampipe.core import check_consistency, derive_seed, validate_config
from hampipe.core.methods import check_methods, resolve_method
from hampipe.models import METHODS, check_learning
from hampipe.systems import check_systems, system_definition

SCHEMA = Path(workflow.current_basedir) / "../schemas/config.schema.yaml"
validate_config(config, SCHEMA)
check_consistency(config)
check_methods(config, yaml.safe_load(SCHEMA.read_text()))
check_learning(config)
check_systems(config["systems"])


wildcard_constraints:
    system="|".join(config["systems"]),
    method="|".join(config["methods"]),
    split="train|test",
    seed=r"\d+",


def get_final_output():
    """Every evaluation, figure and SAI annotation of the experiments; drift figures."""
    outputs = [
        f"results/figs/{s}_integrator_drift.pdf" for s in config["integrator_drift"]
    ]
    for system, methods in config["experiments"].items():
        outputs += [
            f"results/sai/{system}.nc",
            f"results/figs/{system}_energy.pdf",
            f"results/figs/{system}_mse.pdf",
        ]
        outputs += [
            f"results/eval/{system}/{m}/seed{i}.nc"
            for m in methods
            for i in range(config["seeds"])
        ]
    return outputs


def get_simulate_seed(wildcards):
    return derive_seed(config["seed"], "simulate", wildcards.system, wildcards.split)


def get_system_definition(wildcards):
    """Hamiltonian, coordinates and momenta of a user-defined system; {} if built in."""
    return system_definition(config["systems"][wildcards.system])


def get_train_seed(wildcards):
    """Run i's seed: from the system and i only, so methods and variants share it."""
    return derive_seed(config["seed"], "train", wildcards.system, int(wildcards.seed))


def get_learner(wildcards):
    """The learning method (METHODS name) that the methods entry runs."""
    return resolve_method(config["methods"], wildcards.method, wildcards.system)[0]


def get_hyperparameters(wildcards):
    """The entry's training settings for the system (variants, per-system merged).

    The prediction block is left out: it reaches `evaluate` alone, so changing it
    reruns the rollouts and not the training.
    """
    settings = resolve_method(config["methods"], wildcards.method, wildcards.system)[1]
    return {k: v for k, v in settings.items() if k != "prediction"}


def get_prediction(wildcards):
    """The entry's prediction block (integrator and its options) for the system."""
    return resolve_method(config["methods"], wildcards.method, wildcards.system)[1][
        "prediction"
    ]


def get_train_input(wildcards):
    """The training split, plus its SAI annotation for methods that use it."""
    inputs = {"train": f"results/data/{wildcards.system}/train.nc"}
    if METHODS[get_learner(wildcards)].requires_sai:
        inputs["sai"] = f"results/sai/{wildcards.system}.nc"
    return inputs


def get_figure_input(wildcards):
    """Evaluation files of every seed of the system's methods, keyed by method.

    The figures compare the learners themselves: entries that are not variants, or,
    if a system lists only variants, all of them.
    """
    listed = config["experiments"].get(wildcards.system, [])
    shown = [m for m in listed if "method" not in config["methods"][m]] or listed
    return {
        m: [
            f"results/eval/{wildcards.system}/{m}/seed{i}.nc"
            for i in range(config["seeds"])
        ]
        for m in shown
    }
