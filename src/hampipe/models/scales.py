"""Fixed data scales that keep a network's inputs and outputs of order one."""

from __future__ import annotations

import numpy as np

from hampipe.core.choices import SCALINGS

#: Every scale a model may use, with its neutral value.
SCALE_NAMES = {
    "q_scale": 1.0,
    "p_scale": 1.0,
    "q_shift": 0.0,
    "p_shift": 0.0,
    "velocity_scale": 1.0,
    "force_scale": 1.0,
    "energy_scale": 1.0,
    "time_scale": 1.0,
}


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x))))


def data_scales(
    q: np.ndarray, p: np.ndarray, t: np.ndarray, scaling: str = "rms"
) -> dict[str, float]:
    """Typical sizes of the training data, estimated once before training.

    - ``scaling="rms"``: q_s, p_s are the RMS of q and p and the shifts are 0;
    - ``scaling="none"``: no scaling at all: every scale is 1 and every shift 0 (the
      neutral :data:`SCALE_NAMES`), the network sees and returns raw units, as in the
      HNN and DGNet code; the data are not read;
    - ``scaling="range"``: the spring study's normalisation of the data into [−1, 1]
      (seed 001, §4.3–4.4): the shift is the middle of the data's range and the scale
      its half-width, one value for all coordinates and one for all momenta (an affine
      map that keeps Hamilton's equations Hamiltonian up to a constant time scale).

    Always: v_s and f_s are the RMS of the finite-difference rates Δq/Δt and Δp/Δt over
    observed intervals, E_s = p_s v_s the energy scale implied by dq/dt = ∂H/∂p, and t_s
    the RMS observation time. Only observed data are used, never the true Hamiltonian.

    Parameters
    ----------
    q, p
        Shape ``(trajectory, time, dof)``.
    t
        Shape ``(time,)``.
    """
    if scaling not in SCALINGS:
        raise ValueError(f"unknown scaling {scaling!r}; valid: {', '.join(SCALINGS)}")
    if scaling == "none":
        return dict(SCALE_NAMES)
    dt = np.diff(t)[None, :, None]
    v, f = np.diff(q, axis=1) / dt, np.diff(p, axis=1) / dt
    if scaling == "rms":
        q_s, p_s, q_c, p_c = _rms(q), _rms(p), 0.0, 0.0
    else:
        q_s, p_s = float(np.ptp(q)) / 2, float(np.ptp(p)) / 2
        q_c, p_c = float(q.min()) + q_s, float(p.min()) + p_s
    v_s, f_s = _rms(v), _rms(f)
    t_s = _rms(t) if _rms(t) > 0 else 1.0
    values = [q_s, p_s, v_s, f_s]
    if min(values) <= 0 or not np.isfinite(values).all():
        raise ValueError("training data have zero or non-finite scale; cannot normalise")
    return {
        "q_scale": q_s,
        "p_scale": p_s,
        "q_shift": q_c,
        "p_shift": p_c,
        "velocity_scale": v_s,
        "force_scale": f_s,
        "energy_scale": p_s * v_s,
        "time_scale": t_s,
    }
