"""Layer 5: figures and tables. Never imports torch."""

from hampipe.plotting.figures import metric_figure, metric_summary, plot_metric_files, save_figure

__all__ = ["metric_figure", "metric_summary", "plot_metric_files", "save_figure"]
