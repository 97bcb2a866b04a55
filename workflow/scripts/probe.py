"""Rule ``probe``: a trained model on a grid beside the true system (hampipe.evaluation)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.evaluation import probe_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
probe_file(
    model_path=snakemake.input.model,
    output=snakemake.output.probe,
    kind=snakemake.wildcards.kind,
    system=snakemake.params.system,
    threads=snakemake.threads,
    expect={
        **snakemake.wildcards,
        "learner": snakemake.params.learner,
        "hyperparameters": snakemake.params.hyperparameters,
    },
    **snakemake.params.options,
)
