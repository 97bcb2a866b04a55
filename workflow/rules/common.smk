# Config validation and input/params functions. No rules here.
from pathlib import Path

from hampipe.core import check_consistency, derive_seed, validate_config
from hampipe.models import METHODS
from hampipe.systems import check_systems, system_definition

validate_config(
    config, Path(workflow.current_basedir) / "../schemas/config.schema.yaml"
)
check_consistency(config)
check_systems(config["systems"])


wildcard_constraints:
    system="|".join(config["systems"]),
    method="|".join(config["methods"]),
    split="train|test",


def get_final_output():
    """Every figure and SAI annotation of the configured experiments, and drift figures."""
    outputs = [
        f"results/figs/{s}_integrator_drift.pdf" for s in config["integrator_drift"]
    ]
    for system in config["experiments"]:
        outputs += [
            f"results/sai/{system}.nc",
            f"results/figs/{system}_energy.pdf",
            f"results/figs/{system}_mse.pdf",
        ]
    return outputs


def get_simulate_seed(wildcards):
    return derive_seed(config["seed"], "simulate", wildcards.system, wildcards.split)


def get_system_definition(wildcards):
    """Hamiltonian, coordinates and momenta of a user-defined system; {} if built in."""
    return system_definition(config["systems"][wildcards.system])


def get_train_seed(wildcards):
    return derive_seed(config["seed"], "train", wildcards.system, wildcards.method)


def get_train_input(wildcards):
    """The training split, plus its SAI annotation for methods that use it."""
    inputs = {"train": f"results/data/{wildcards.system}/train.nc"}
    if METHODS[wildcards.method].requires_sai:
        inputs["sai"] = f"results/sai/{wildcards.system}.nc"
    return inputs


def get_figure_input(wildcards):
    """Evaluation files of the methods configured for the system, keyed by method."""
    methods = config["experiments"].get(wildcards.system, [])
    return {m: f"results/eval/{wildcards.system}/{m}.nc" for m in methods}
