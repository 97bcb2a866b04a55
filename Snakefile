# hampipe: learning Hamiltonian dynamics from trajectory data.
# simulate -> sai -> train -> evaluate -> collect -> figures, tables (and integrator_drift); see README.md, docs/contract.md.
from pathlib import Path

from snakemake.utils import min_version

from hampipe.plan.guard import check_results, read_only, stamp_results

min_version("9.0")


configfile: Path(workflow.basedir) / "config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


if workflow.is_main_process and not read_only(sys.argv):
    try:  # outputs made with config files this run leaves out stay as they are
        check_results(workflow.configfiles, config)
    except ConfigError as error:
        sys.exit(f"hampipe: {error}")


include: "workflow/rules/simulate.smk"
include: "workflow/rules/integrator_drift.smk"
include: "workflow/rules/sai.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/train_ensemble.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/probe.smk"
include: "workflow/rules/partition_search.smk"
include: "workflow/rules/collect.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/tables.smk"


onstart:
    stamp_results(workflow.configfiles, config)
    print(SCALE.cost())


onsuccess:
    print(SCALE.finished(workflow.overwrite_configfiles or ()))


rule all:
    input:
        get_final_output(),
    localrule: True


rule peers:
    input:
        get_peer_output(),
    localrule: True
