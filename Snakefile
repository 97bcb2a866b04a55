# hampipe: learning Hamiltonian dynamics from trajectory data.
# simulate -> sai -> train -> evaluate -> collect -> figures, tables (and integrator_drift); see README.md, CONTRACT.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/drift.smk"
include: "workflow/rules/sai.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/probe.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/collect.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/tables.smk"


localrules:
    all,


rule all:
    input:
        get_final_output(),
