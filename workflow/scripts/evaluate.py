"""Rule ``evaluate``: roll a learned model out on the test split (hampipe.evaluation)."""

from typing import TYPE_CHECKING

from hampipe.core import log_to
from hampipe.evaluation import evaluate_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

log_to(snakemake.log[0])
evaluate_file(
    model=snakemake.input.model,
    test=snakemake.input.test,
    step=snakemake.params.step,
    prediction=snakemake.params.prediction,
    output=snakemake.output.evaluation,
    threads=snakemake.threads,
)
