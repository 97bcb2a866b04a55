"""Figures of single test rollouts, re-exported from the modules that draw them.

Kept so that ``from hampipe.plotting.trajectory_figures import …`` goes on working; new
code imports from where things live:

- :mod:`hampipe.plotting.orbits` -- :func:`orbits_figure` (learned against true orbits
  or phase portraits, and the true energy of the predictions);
- :mod:`hampipe.plotting.energy_heatmap` -- :func:`energy_heatmap_figure` (|relative
  energy error| per test trajectory and time) and :data:`ENERGY_ERROR_FLOOR`;
- :mod:`hampipe.plotting.prediction_time` -- :func:`valid_prediction_time` and
  :func:`valid_prediction_time_figure`;
- :mod:`hampipe.plotting.animation` -- :func:`write_orbit_animation` and
  :func:`write_animation_page` (the only ones that write files);
- :mod:`hampipe.plotting.rollout_helpers` -- what they share: the collected dataset's
  layout (its docstring), styles, labels, divergence times and capped axis ranges.

Never imports torch.
"""

from __future__ import annotations

from hampipe.plotting.animation import write_animation_page, write_orbit_animation
from hampipe.plotting.energy_heatmap import ENERGY_ERROR_FLOOR, energy_heatmap_figure
from hampipe.plotting.orbits import ENERGY_REACH, orbits_figure
from hampipe.plotting.prediction_time import valid_prediction_time, valid_prediction_time_figure
from hampipe.plotting.rollout_helpers import ORBIT_REACH, TRUE_COLOUR

__all__ = [
    "ENERGY_ERROR_FLOOR",
    "ENERGY_REACH",
    "ORBIT_REACH",
    "TRUE_COLOUR",
    "energy_heatmap_figure",
    "orbits_figure",
    "valid_prediction_time",
    "valid_prediction_time_figure",
    "write_animation_page",
    "write_orbit_animation",
]
