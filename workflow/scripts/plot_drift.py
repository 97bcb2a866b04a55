"""Rule ``figure_integrator_drift``: energy drift of RK45 against DOP853."""

from typing import TYPE_CHECKING

from hampipe.core import log_to
from hampipe.plotting import plot_drift_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

log_to(snakemake.log[0])
plot_drift_file(drift=snakemake.input.drift, output=snakemake.output.figure)
