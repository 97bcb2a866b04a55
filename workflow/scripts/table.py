"""Every ``table_*`` rule: write one TABLES entry as CSV and Markdown (hampipe.plotting)."""

from typing import TYPE_CHECKING

from hampipe.core import log_to
from hampipe.plotting import make_table

if TYPE_CHECKING:
    from snakemake.script import snakemake

log_to(snakemake.log[0])
make_table(
    snakemake.params.table,
    dict(snakemake.input.items()),
    snakemake.output.table,
    **snakemake.params.options,
)
