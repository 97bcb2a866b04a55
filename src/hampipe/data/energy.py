"""The relative energy error: the one definition that simulate, drift and evaluate use.

Along a trajectory with true energies H(t), the relative energy error is

    e(t) = (H(t) − H(0)) / s,

with s > 0 a scale per trajectory: s = |H(0)|, or 1 where H(0) = 0 (the ground-truth
rejection rule of ``simulate`` and the ``integrator_drift`` stage); with a ``floor`` f
(the ``evaluate`` stage, :data:`ENERGY_SCALE_FLOOR`), s = max(|H(0)|, f × median |H(0)|)
over the set's trajectories. Dividing by |H(0)| keeps the sign meaningful where H < 0
(bound orbits): positive means energy gained. numpy only.
"""

from __future__ import annotations

import numpy as np

#: The floor of the evaluation's energy scale, as a fraction of the median |H(0)| of the
#: test set: a trajectory that starts (almost) at rest, where a system shifted to H = 0
#: at rest (the chain pendulums) has H(0) ≈ 0, would otherwise divide by nearly zero.
ENERGY_SCALE_FLOOR = 1e-3


def energy_scale(H0: np.ndarray, floor: float | None = None) -> tuple[np.ndarray, float | None]:
    """The scale s > 0 of each trajectory's relative energy error, and the floor used.

    Parameters
    ----------
    H0
        The energy each trajectory starts with, shape ``(...)``.
    floor
        ``None``: s = |H(0)|, or 1 where H(0) = 0. A number f: s = max(|H(0)|, F) with
        F = f × median |H(0)| over the finite values of ``H0``, or F = 1 when that
        median is 0 (every H(0) zero). Where |H(0)| is safely away from zero, s is
        |H(0)| either way.

    Returns
    -------
    scale
        s, shape of ``H0``, float64.
    floor
        F (``None`` without a floor).
    """
    magnitude = np.abs(np.asarray(H0, dtype=np.float64))
    if floor is None:
        return np.where(magnitude > 0, magnitude, 1.0), None
    finite = magnitude[np.isfinite(magnitude)]
    median = float(np.median(finite)) if finite.size else 0.0
    value = floor * median if median > 0 else 1.0
    return np.maximum(magnitude, value), value


def relative_energy_error(
    energy: np.ndarray, reference: np.ndarray | None = None, floor: float | None = None
) -> np.ndarray:
    """(H(t) − H(0)) / s along the last axis of ``energy`` (see the module docstring).

    Parameters
    ----------
    energy
        True energies H along each trajectory, shape ``(..., time)``; the difference is
        taken in their dtype.
    reference
        H(0) of each trajectory, shape ``(...)``; by default ``energy[..., 0]``.
    floor
        The scale's floor as a fraction of the median |H(0)| (:func:`energy_scale`);
        ``None`` for none.

    Returns
    -------
    numpy.ndarray
        Shape of ``energy``; NaN where H or H(0) is NaN.
    """
    energy = np.asarray(energy)
    H0 = energy[..., 0] if reference is None else np.asarray(reference)
    scale, _ = energy_scale(H0, floor)
    return (energy - H0[..., None]) / scale[..., None]


__all__ = ["ENERGY_SCALE_FLOOR", "energy_scale", "relative_energy_error"]
