"""Rule ``integrator_drift``: long solve_ivp runs (see hampipe.data.integrator_drift_to_file)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.data import integrator_drift_to_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
integrator_drift_to_file(
    test=snakemake.input.test,
    output=snakemake.output.drift,
    system=snakemake.params.system,
    expect=dict(snakemake.wildcards.items()),
    **snakemake.params.settings,
)
