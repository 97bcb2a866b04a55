"""Rule ``probe``: a trained model on a grid beside the true system (hampipe.evaluation)."""

from typing import TYPE_CHECKING

from hampipe.core import log_to
from hampipe.evaluation import probe_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

log_to(snakemake.log[0])
probe_file(
    snakemake.input.model,
    snakemake.input.data,
    snakemake.output.probe,
    snakemake.wildcards.kind,
    **snakemake.params.options,
)
