"""Every ``figure_*`` rule: draw one FIGURES entry (hampipe.plotting.draw)."""

from typing import TYPE_CHECKING

from hampipe.core import log_to
from hampipe.plotting import draw

if TYPE_CHECKING:
    from snakemake.script import snakemake

log_to(snakemake.log[0])
draw(
    snakemake.params.figure,
    dict(snakemake.input.items()),
    snakemake.output.figure,
    **snakemake.params.options,
)
