# Config validation and input/params functions. No rules here.
# Parsing imports hampipe.plan and the light layers only (no torch, matplotlib, xarray).
import sys
from functools import cache
from pathlib import Path

from hampipe.core import ConfigError, derive_seed
from hampipe.core.methods import resolve_method
from hampipe.plan import (
    check_config,
    job_resources,
    learner_families,
    presentation,
    requires_sai,
    setting_family,
)
from hampipe.systems import system_definition

SCHEMA = Path(workflow.current_basedir) / "../schemas/config.schema.yaml"
try:
    check_config(config, SCHEMA)
except ConfigError as error:
    # one message listing every bad key, its value and what is allowed; no traceback,
    # and nothing has been written yet
    sys.exit(
        f"hampipe: {error}\n(every key with its bounds and default: "
        "workflow/schemas/config.schema.yaml)"
    )


def get_threads(rule):
    """Threads of a job of ``rule`` (hampipe.plan.job_resources: scaled from the config's
    sizes; the job passes them to torch or to its process pool)."""

    def threads(wildcards):
        return job_resources(config, rule, dict(wildcards.items())).threads

    return threads


def get_resources(rule):
    """``mem_mb``, ``runtime`` (minutes) and ``gpu`` of a job of ``rule``; memory and
    run time double on a retry (``--retries``)."""

    def resource(name):
        def value(wildcards, attempt):
            return getattr(
                job_resources(config, rule, dict(wildcards.items()), attempt), name
            )

        return value

    return {name: resource(name) for name in ("mem_mb", "runtime", "gpu")}


# Method selections a collected dataset holds: results/collected/{system}/{selection}.nc
SELECTIONS = (
    "learners",
    "activation",
    "replication",
    "noise",
    "epochs",
    "ablation",
    "inseparable",
    "all",
)


wildcard_constraints:
    system="|".join(config["systems"]),
    method="|".join(config["methods"]),
    split="train|test",
    seed=r"\d+",
    kind="potential|field",
    selection="|".join(SELECTIONS),


def get_final_output():
    """Every evaluation, collected dataset, figure and table of the experiments, SAI
    annotations and drift figures."""
    outputs = [
        f"results/figs/{s}_integrator_drift.pdf" for s in config["integrator_drift"]
    ]
    for system, methods in config["experiments"].items():
        outputs.append(f"results/sai/{system}.nc")
        outputs += [
            f"results/figs/{system}_{name}.pdf" for name in system_figures(system)
        ]
        outputs += [
            f"results/eval/{system}/{m}/seed{i}.nc"
            for m in methods
            for i in range(config["seeds"])
        ]
    outputs += [f"results/tables/{name}.csv" for name in configured_tables()]
    outputs += [
        f"results/figs/{s}_orbits.gif"
        for s in config["figures"]["animations"]
        if s in config["experiments"]
    ]
    outputs.append("results/figs/valid_prediction_time.pdf")
    return outputs


def system_figures(system):
    """The per-system figures `all` draws for a system in `experiments`."""
    names = ["energy", "mse"]
    if get_family(system, "activation"):
        names.append("activations")
    if get_family(system, "replication"):
        names.append("resampling")
    for selection in ("noise", "epochs"):
        if selection_methods(system, selection):
            names.append(selection)
    if sann_entries(system):
        names += ["sai_si", "sai_percentiles", "sai_translation"]
    if system == "billiard":  # SANN Figs. 3a and 9
        names = ["potential", *names]
        if probed_methods(system, "potential"):
            names.append("learned_potential")
    if system == "spring" and probed_methods(system, "field"):  # spring study Figs. 8-9
        names.append("meshgrid_error")
    return names + ["orbits", "energy_heatmap"]


def sann_entries(system):
    """The system's experiments entries that train with SANN (stiffness-aware)."""
    return [m for m, learner in resolved(system)[0].items() if learner == "sann"]


def stiffness_settings(system):
    """gamma and ranking of the system's first SANN entry: what the SAI figures mark."""
    entries = sann_entries(system)
    if not entries:
        raise ValueError(
            f"experiments.{system}: the SAI figures mark SANN's stiff intervals and need "
            "an entry that trains with sann"
        )
    settings = resolved(system)[1][entries[0]]
    return {"gamma": settings["gamma"], "ranking": settings["ranking"]}


def configured_tables():
    """The tables `all` writes: the summary, and those the `tables` block configures."""
    return ["summary", *config.get("tables", {})]


@cache
def resolved_entry(method, system=None):
    """(learner, settings) of a methods entry for a system (config is fixed once parsed,
    so each entry is resolved once, not once per job and input function)."""
    return resolve_method(config["methods"], method, system)


@cache
def resolved(system):
    """(learners, settings) of every methods entry listed for the system."""
    learners, settings = {}, {}
    for m in config["experiments"].get(system, []):
        learners[m], settings[m] = resolved_entry(m, system)
    return learners, settings


def get_family(system, key):
    """SANN entries of the system's experiments that differ only in `key`."""
    return setting_family(*resolved(system), key)


def selection_methods(system, selection):
    """The methods entries of a selection for a system.

    learners: the methods compared in the per-system figures; activation, replication:
    SANN entries differing only in that setting; noise, epochs: each learner's entries
    differing only in that setting (epochs: with SANN's own run); ablation, inseparable:
    the entries of the `tables` block; all: every entry of `experiments`.
    """
    if selection == "learners":
        return shown_methods(system)
    if selection in ("activation", "replication"):
        return get_family(system, selection)
    if selection == "noise":
        return learner_families(*resolved(system), "noise")
    if selection == "epochs":
        # the baselines trained for several epoch counts, beside SANN's own run
        longer = [
            m
            for m in learner_families(*resolved(system), "epochs")
            if resolved(system)[0][m] != "sann"
        ]
        sann = [m for m in shown_methods(system) if resolved(system)[0][m] == "sann"]
        return longer + sann if longer else []
    if selection in ("ablation", "inseparable"):
        return list(config.get("tables", {}).get(selection, {}).get("methods", []))
    return list(config["experiments"].get(system, []))


def collected(system, selection):
    """Path of the collected dataset, after checking the selection is not empty."""
    if not selection_methods(system, selection):
        raise ValueError(
            f"experiments.{system}: no methods for the {selection!r} figures or tables "
            f"(for 'activation' and 'replication': at least two SANN entries that "
            f"differ only in that setting)"
        )
    return f"results/collected/{system}/{selection}.nc"


def get_collect_evals(wildcards):
    """Method -> evaluation files of its seeds, for the selection's methods."""
    return {
        m: [
            f"results/eval/{wildcards.system}/{m}/seed{i}.nc"
            for i in range(config["seeds"])
        ]
        for m in selection_methods(wildcards.system, wildcards.selection)
    }


def get_collect_input(wildcards):
    evals = get_collect_evals(wildcards)
    return {
        "test": f"results/data/{wildcards.system}/test.nc",
        "evals": [path for paths in evals.values() for path in paths],
    }


def get_learners(wildcards):
    learners = resolved(wildcards.system)[0]
    return {
        m: learners[m] for m in selection_methods(wildcards.system, wildcards.selection)
    }


def get_settings(wildcards):
    settings = resolved(wildcards.system)[1]
    return {
        m: settings[m] for m in selection_methods(wildcards.system, wildcards.selection)
    }


def styles_of(methods):
    """Label and colour of `methods` (colours follow the order of all `methods` entries,
    so a method has one colour in every figure)."""
    learners = {m: resolved_entry(m)[0] for m in config["methods"]}
    every = presentation(list(config["methods"]), learners, config.get("presentation"))
    return {m: every[m] for m in methods}


def get_styles(wildcards):
    """Label and colour of the selection's methods."""
    return styles_of(selection_methods(wildcards.system, wildcards.selection))


def shown_methods(system):
    """Methods the per-system figures compare: the learners themselves (entries that are
    not variants) or, if a system lists only variants, all of them."""
    listed = config["experiments"].get(system, [])
    return [m for m in listed if "method" not in config["methods"][m]] or listed


def get_shown_methods(wildcards):
    return shown_methods(wildcards.system)


def probe_options(kind):
    """Grid of a probe: the `figures` block's meshgrid for the field probe."""
    block = config["figures"]
    if kind == "field":
        return {
            "extent": list(block["meshgrid_extent"]),
            "points": block["meshgrid_points"],
        }
    return {"points": block["potential_points"]}


def probed_methods(system, kind):
    """Methods whose seed-0 models the probe figures show: separable models for the
    learned potential; Hamiltonian (HNN-trained) models for the vector-field error."""
    learners, settings = resolved(system)
    shown = shown_methods(system) if kind == "potential" else list(learners)
    if kind == "potential":
        return [m for m in shown if settings[m].get("model") == "separable"]
    return [m for m in shown if learners[m] == "hnn"]


def get_probes(kind):
    """Input function: method -> seed-0 probe file of `kind` for the system."""

    def probes(wildcards):
        methods = probed_methods(wildcards.system, kind)
        if not methods:
            raise ValueError(
                f"experiments.{wildcards.system}: no method to probe for this figure "
                f"({'a separable model' if kind == 'potential' else 'an hnn entry'})"
            )
        return {
            m: f"results/probe/{wildcards.system}/{m}/{kind}/seed0.nc" for m in methods
        }

    return probes


def get_probe_styles(kind):
    def styles(wildcards):
        return styles_of(probed_methods(wildcards.system, kind))

    return styles


def search_grid(system, method):
    """The partition grid and epochs of `tables.partition_search` for (system, method)."""
    block = config.get("tables", {}).get("partition_search")
    if not block or (block["system"], block["method"]) != (system, method):
        raise ValueError(
            f"results/search/{system}/{method}.nc: the config block "
            "'tables.partition_search' names another system or method (or is missing)"
        )
    return {k: block[k] for k in ("nonstiff", "stiff", "epochs")}


def table_input(name):
    """Collected datasets (system -> path) of the systems table `name` draws from."""
    if name == "partition_search":
        block = config["tables"]["partition_search"]
        return {"search": f"results/search/{block['system']}/{block['method']}.nc"}
    if name == "summary":
        systems = list(config["experiments"])
    else:
        if name not in config.get("tables", {}):
            raise ValueError(
                f"results/tables/{name}.csv needs the config block 'tables.{name}' "
                "(see config.yaml)"
            )
        options = config["tables"][name]
        systems = options.get("systems", [options.get("system")])
    selection = "all" if name == "summary" else name
    return {s: collected(s, selection) for s in systems}


def table_options(name):
    """The table's options: the `tables` block's entry (the summary lists experiments)."""
    if name == "summary":
        return {"methods": dict(config["experiments"])}
    if name == "partition_search":
        return {}
    return dict(config["tables"][name])


def get_collected(selection):
    """Input function: the system's collected dataset of ``selection``."""
    return lambda wildcards: collected(wildcards.system, selection)


def get_search_grid(wildcards):
    return search_grid(wildcards.system, wildcards.method)


def get_search_seed(wildcards):
    return derive_seed(config["seed"], "partition_search", wildcards.system)


def get_probe_options(wildcards):
    return probe_options(wildcards.kind)


def get_checkpoint(wildcards):
    """Where a training job keeps its resumable checkpoints, and how often it saves one
    (outside the declared outputs, so a failed or killed job leaves them for its rerun).
    """
    return {
        "directory": (
            f"results/checkpoints/{wildcards.system}/{wildcards.method}/seed{wildcards.seed}"
        ),
        "every": config["checkpoint_every"],
    }


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
    return resolved_entry(wildcards.method, wildcards.system)[0]


def get_hyperparameters(wildcards):
    """The entry's training settings for the system (variants, per-system merged).

    The prediction block is left out: it reaches `evaluate` alone, so changing it
    reruns the rollouts and not the training.
    """
    settings = resolved_entry(wildcards.method, wildcards.system)[1]
    return {k: v for k, v in settings.items() if k != "prediction"}


def get_prediction(wildcards):
    """The entry's prediction block (integrator and its options) for the system."""
    return resolved_entry(wildcards.method, wildcards.system)[1]["prediction"]


def get_train_input(wildcards):
    """The training split, plus its SAI annotation for methods that use it."""
    inputs = {"train": f"results/data/{wildcards.system}/train.nc"}
    if requires_sai(get_learner(wildcards)):
        inputs["sai"] = f"results/sai/{wildcards.system}.nc"
    return inputs
