"""Rules ``figure_energy`` / ``figure_mse``: one metric, every method of a system."""

from typing import TYPE_CHECKING

from hampipe.core import log_to
from hampipe.plotting import plot_metric_files

if TYPE_CHECKING:
    from snakemake.script import snakemake

log_to(snakemake.log[0])
plot_metric_files(
    evals=dict(snakemake.input.items()),
    output=snakemake.output.figure,
    variable=snakemake.params.metric,
    system=snakemake.wildcards.system,
)
