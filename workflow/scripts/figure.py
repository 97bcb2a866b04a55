"""Every ``figure_*`` rule: draw one FIGURES entry (hampipe.plotting.draw)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.plotting import draw

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
draw(
    snakemake.params.figure,
    dict(snakemake.input.items()),
    snakemake.output.figure,
    footer=snakemake.params.scale,
    **snakemake.params.options,
)
