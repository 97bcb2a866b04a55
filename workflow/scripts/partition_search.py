"""Rule ``partition_search``: rank SANN's partition pairs by short runs (SANN App. G)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.training import partition_search_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
grid = snakemake.params.grid
partition_search_file(
    learner=snakemake.params.learner,
    hyperparameters=snakemake.params.hyperparameters,
    train_data=snakemake.input.train,
    sai=snakemake.input.get("sai"),
    output=snakemake.output.search,
    nonstiff=grid["nonstiff"],
    stiff=grid["stiff"],
    epochs=grid["epochs"],
    seed=snakemake.params.seed,
    entry=snakemake.wildcards.method,
    threads=snakemake.threads,
    device=snakemake.params.device,
    expect=dict(snakemake.wildcards.items()),
)
