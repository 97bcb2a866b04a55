"""Rule ``figure_animation``: animated orbits of one test trajectory (hampipe.plotting)."""

from typing import TYPE_CHECKING

from hampipe.core import start_job
from hampipe.plotting import animate

if TYPE_CHECKING:
    from snakemake.script import snakemake

start_job(snakemake)
animate(
    snakemake.input.collected,
    snakemake.output.animation,
    footer=snakemake.params.scale,
    page=snakemake.output.page,
    **snakemake.params.options,
)
