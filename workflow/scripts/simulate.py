"""Rule ``simulate``: one ground-truth split (see hampipe.data.simulate_to_file)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.data import simulate_to_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
simulate_to_file(
    system=snakemake.params.name,
    parameters=snakemake.params.parameters,
    initial_state=snakemake.params.initial_state,
    dt=snakemake.params.dt,
    n_trajectories=snakemake.params.n_trajectories,
    n_steps=snakemake.params.n_steps,
    ground_truth=snakemake.params.ground_truth,
    seed=snakemake.params.seed,
    definition=snakemake.params.definition,
    output=snakemake.output.data,
    workers=snakemake.threads,
)
