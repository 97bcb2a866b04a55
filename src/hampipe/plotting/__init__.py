"""Layer 5: figures and tables, from collected evaluation datasets. Never imports torch."""

from hampipe.plotting.collect import collect, method_settings, presentation, spatial_layout
from hampipe.plotting.draw import FIGURES, animate, draw, learner_families, setting_family
from hampipe.plotting.figures import (
    drift_figure,
    metric_figure,
    metric_summary,
    save_figure,
    set_style,
)
from hampipe.plotting.tables import TABLES, make_table, save_table

__all__ = [
    "FIGURES",
    "TABLES",
    "animate",
    "collect",
    "draw",
    "drift_figure",
    "learner_families",
    "make_table",
    "method_settings",
    "metric_figure",
    "metric_summary",
    "presentation",
    "setting_family",
    "save_figure",
    "save_table",
    "set_style",
    "spatial_layout",
]
