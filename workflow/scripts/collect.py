"""Rule ``collect``: stack a system's evaluations over methods and seeds (hampipe.plotting)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.data.io import read_dataset, write_dataset
from hampipe.plotting import collect

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
write_dataset(
    collect(
        evals=snakemake.params.evals,
        test=read_dataset(
            snakemake.input.test, "data", expect={**snakemake.wildcards, "split": "test"}
        ),
        styles=snakemake.params.styles,
        learners=snakemake.params.learners,
        settings=snakemake.params.settings,
    ),
    snakemake.output.collected,
)
