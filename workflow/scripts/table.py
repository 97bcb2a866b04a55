"""Every ``table_*`` rule: write one TABLES entry as CSV and Markdown (hampipe.plotting)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.plotting import make_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
make_table(
    snakemake.params.table,
    dict(snakemake.input.items()),
    snakemake.output.table,
    header=snakemake.params.scale,
    **snakemake.params.options,
)
