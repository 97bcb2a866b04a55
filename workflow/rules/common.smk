# Config check and plan, then input/params functions that adapt wildcards to the plan.
# No rules and no policy here: hampipe.plan.Plan decides (tested in tests/plan/).
# Parsing imports hampipe.plan and the light layers only (no torch, matplotlib, xarray).
import sys
from pathlib import Path

from hampipe.core import ConfigError
from hampipe.plan import FIGURES, SELECTIONS, TABLES, Plan, Scale
from hampipe.plan import job_resources, resource_functions

SCHEMA = Path(workflow.current_basedir) / "../schemas/config.schema.yaml"
try:
    PLAN = Plan.from_config(config, SCHEMA, warn=True, files=workflow.configfiles)
except ConfigError as error:
    # one message listing every bad key, its value and what is allowed; no traceback,
    # and nothing has been written yet
    sys.exit(
        f"hampipe: {error}\n(every key of a learner, built-in system or integrator, with "
        "its bounds and default: hampipe settings NAME; the rest: "
        "workflow/schemas/config.schema.yaml)"
    )


SCALE = Scale.of_run(PLAN, workflow, SCHEMA)  # the scale line of figures and tables
config["_front_page"] = SCALE.front_page()  # read by the report (workflow/report/*.rst)


def get_scale(wildcards):
    """The figure's or table's scale line (seeds, sizes, budget; hampipe.plan.scale)."""
    return SCALE.note(wildcards.get("system"))


wildcard_constraints:
    system="|".join(config["systems"]),
    method="|".join(config["methods"]),
    split="train|test",
    seed=r"\d+",
    kind="potential|field",
    selection="|".join(SELECTIONS),


def get_final_output():
    """Every evaluation, SAI annotation, figure, animation and table of the experiments."""
    return PLAN.final_outputs()


def get_peer_output():
    """The peers table and figure; nothing without peers.comparisons (set by peers/)."""
    return PLAN.peer_outputs()


def get_threads(rule):
    """Threads of a job of ``rule``, scaled from the config's sizes (job_resources)."""

    def threads(wildcards):
        return job_resources(config, rule, dict(wildcards.items())).threads

    return threads


def get_resources(rule):
    """``mem_mb``, ``runtime`` (minutes), ``gpu`` of a ``rule`` job; x2 on each retry."""
    return resource_functions(config, rule)


def get_system(wildcards):
    """The true system's definition (name, parameters, user-written Hamiltonian)."""
    return PLAN.system_spec(wildcards.system)


def get_system_name(wildcards):
    """The system's class: its own name, or the built-in a named variant is."""
    return PLAN.system_spec(wildcards.system)["name"]


def get_system_definition(wildcards):
    """Hamiltonian, coordinates and momenta of a user-written system; {} if built in."""
    return PLAN.system_spec(wildcards.system)["definition"]


def get_initial_state(wildcards):
    """The split's initial-state recipe (the test split's: test_initial_state merged)."""
    return PLAN.initial_state(wildcards.system, wildcards.split)


def get_simulate_seed(wildcards):
    return PLAN.seed("simulate", wildcards.system, wildcards.split)


def get_evaluate_seed(wildcards):
    """The test-input noise's seed: from the system only, so every run sees one draw."""
    return PLAN.seed("evaluate", wildcards.system)


def get_train_seed(wildcards):
    """Run i's seed: from the system and i only, so methods and variants share it."""
    return PLAN.seed("train", wildcards.system, int(wildcards.seed))


def get_train_seeds(wildcards):
    """Every run's seed (get_train_seed's), run 0 first: a train_ensemble job's."""
    return PLAN.train_seeds(wildcards.system)


def get_search_seed(wildcards):
    return PLAN.seed("partition_search", wildcards.system)


def get_train_input(wildcards):
    return PLAN.train_input(wildcards.system, wildcards.method)


def get_model(wildcards):
    """The model file of the run: its own, or that of the identical entry it trains as."""
    return PLAN.model_file(wildcards.system, wildcards.method, wildcards.seed)


def get_learner(wildcards):
    return PLAN.learner(wildcards.method, wildcards.system)


def get_hyperparameters(wildcards):
    return PLAN.hyperparameters(wildcards.method, wildcards.system)


def get_prediction(wildcards):
    return PLAN.prediction(wildcards.method, wildcards.system)


def get_checkpoint(wildcards):
    """The run's checkpoints; without a seed, the train_ensemble job's."""
    return PLAN.checkpoint(wildcards.system, wildcards.method, wildcards.get("seed"))


def get_search_grid(wildcards):
    return PLAN.search_grid(wildcards.system, wildcards.method)


def get_probe_options(wildcards):
    return PLAN.probe_options(wildcards.kind)


def _selection(wildcards):
    return PLAN.selection(wildcards.system, wildcards.selection)


def get_collect_evals(wildcards):
    """Entry -> evaluation files of its seeds, for the selection's entries."""
    return PLAN.evaluations(wildcards.system, wildcards.selection)


def get_collect_input(wildcards):
    evals = sum(get_collect_evals(wildcards).values(), [])  # every seed's file
    return {"test": f"results/data/{wildcards.system}/test.nc", "evals": evals}


def get_learners(wildcards):
    return PLAN.learners_of(_selection(wildcards), wildcards.system)


def get_settings(wildcards):
    return PLAN.settings_of(_selection(wildcards), wildcards.system)


def get_styles(wildcards):
    return PLAN.styles(_selection(wildcards))


def get_figure_input(name):
    """Input function of figure ``name``'s rule: its spec's inputs for the system."""

    def inputs(wildcards):
        return FIGURES[name].inputs(PLAN, wildcards.get("system"))

    return inputs


def get_figure_options(name):
    """Params function of figure ``name``'s rule: its drawing function's options."""

    def options(wildcards):
        return FIGURES[name].options(PLAN, wildcards.get("system"))

    return options


def get_table_input(name):
    def inputs(wildcards):
        return TABLES[name].inputs(PLAN)

    return inputs


def get_table_options(name):
    def options(wildcards):
        return TABLES[name].options(PLAN)

    return options
