"""Rule ``sai``: SAI (and SI) of the training split (see hampipe.sai.annotate_file)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.sai import annotate_file

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
annotate_file(
    train=snakemake.input.train,
    output=snakemake.output.sai,
    system=snakemake.params.system,
    expect=dict(snakemake.wildcards.items()),
)
