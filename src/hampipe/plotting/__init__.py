"""Layer 5: figures and tables. Never imports torch."""

from hampipe.plotting.figures import (
    drift_figure,
    metric_figure,
    metric_summary,
    plot_drift_file,
    plot_metric_files,
    pool_seeds,
    save_figure,
)

__all__ = [
    "drift_figure",
    "metric_figure",
    "metric_summary",
    "plot_drift_file",
    "plot_metric_files",
    "pool_seeds",
    "save_figure",
]
