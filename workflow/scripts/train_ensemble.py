"""Rule ``train_ensemble``: every seed of one method on one system in one job, one model
file per seed (see hampipe.training.train_ensemble_to_files)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.training import train_ensemble_to_files

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
train_ensemble_to_files(
    learner=snakemake.params.learner,
    entry=snakemake.wildcards.method,
    hyperparameters=snakemake.params.hyperparameters,
    train_data=snakemake.input.train,
    sai=snakemake.input.get("sai"),
    seeds=snakemake.params.seeds,
    outputs=list(snakemake.output.models),
    threads=snakemake.threads,
    device=snakemake.params.device,
    checkpoint=snakemake.params.checkpoint,
    system=snakemake.params.system,
    expect=dict(snakemake.wildcards.items()),
)
