"""What the workflow needs to plan its job graph, without torch, matplotlib or xarray.

A Snakefile parse (every ``snakemake`` call, a dry run included) imports this and no
heavier layer: the config checks (:func:`check_config`; :func:`load_config` merges
config files and runs them, the one way to load a whole config outside the workflow),
the learners' and models' declarations (:mod:`hampipe.plan.learners`), the
families of methods entries that figures compare, and the entries' labels and colours.
"""

from hampipe.plan.checks import check_config, check_learning, checked_systems
from hampipe.plan.config import load_config
from hampipe.plan.experiment import SELECTIONS, Plan
from hampipe.plan.families import learner_families, setting_family
from hampipe.plan.learners import (
    LEARNERS,
    MODEL_SPECS,
    LearnerSpec,
    ModelSpec,
    learner,
    model_spec,
    requires_sai,
)
from hampipe.plan.outputs import FIGURES, TABLES, FigureSpec, TableSpec
from hampipe.plan.resources import Resources, job_resources, resource_functions
from hampipe.plan.scale import Scale
from hampipe.plan.schema import REGISTRY_NAMES, load_schema
from hampipe.plan.screen import unlisted_systems, unreadable, warn_unlisted
from hampipe.plan.styles import LEARNER_LABELS, PALETTE, presentation

__all__ = [
    "FIGURES",
    "SELECTIONS",
    "TABLES",
    "FigureSpec",
    "Plan",
    "TableSpec",
    "checked_systems",
    "LEARNERS",
    "LEARNER_LABELS",
    "MODEL_SPECS",
    "LearnerSpec",
    "ModelSpec",
    "PALETTE",
    "REGISTRY_NAMES",
    "Resources",
    "Scale",
    "check_config",
    "check_learning",
    "job_resources",
    "learner_families",
    "load_config",
    "load_schema",
    "learner",
    "model_spec",
    "presentation",
    "requires_sai",
    "resource_functions",
    "setting_family",
    "unlisted_systems",
    "unreadable",
    "warn_unlisted",
]
