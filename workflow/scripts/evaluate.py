"""Rule ``evaluate``: roll a learned model out on the test split (hampipe.evaluation)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.evaluation import evaluate_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
evaluate_file(
    model=snakemake.input.model,
    test=snakemake.input.test,
    step=snakemake.params.step,
    noise=snakemake.params.noise,
    seed=snakemake.params.seed,
    prediction=snakemake.params.prediction,
    entry=snakemake.params.entry,
    output=snakemake.output.evaluation,
    threads=snakemake.threads,
    device=snakemake.params.device,
    system=snakemake.params.system,
    divergence_bound=snakemake.params.divergence_bound,
    expect={
        **snakemake.wildcards,
        "learner": snakemake.params.learner,
        "hyperparameters": snakemake.params.hyperparameters,
    },
)
