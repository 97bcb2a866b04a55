"""Rule ``train``: fit one method on one system (see hampipe.training.train_to_file)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.training import train_to_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
train_to_file(
    learner=snakemake.params.learner,
    entry=snakemake.wildcards.method,
    hyperparameters=snakemake.params.hyperparameters,
    train_data=snakemake.input.train,
    sai=snakemake.input.get("sai"),
    seed=snakemake.params.seed,
    output=snakemake.output.model,
    threads=snakemake.threads,
    device=snakemake.params.device,
    checkpoint=snakemake.params.checkpoint,
    system=snakemake.params.system,
    expect=dict(snakemake.wildcards.items()),
)
