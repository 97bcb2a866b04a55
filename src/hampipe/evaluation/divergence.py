"""When a rollout has diverged: a non-finite state, or a state or energy error beyond a bound.

A learned model's rollout can blow up without ever overflowing: an HNN trained at a
far too high learning rate rolls out to states whose relative energy error reaches
1e15 while every number stays finite. Such a rollout says nothing about the model's
accuracy and would swamp every mean it entered, so it counts as diverged, exactly as
one that overflowed: from the first time its state is not finite, its state's largest
component exceeds ``bound`` times the largest component of the true states, or its
relative energy error (SANN §4.1; :func:`hampipe.evaluation.rollout.energy_error`)
exceeds ``bound`` in magnitude.
"""

from __future__ import annotations

import numpy as np

#: The default of ``systems.<name>.evaluation.divergence_bound``: a rollout whose
#: |relative energy error|, or whose largest state component over the test split's
#: largest, exceeds it has diverged. Converged runs stay far below: over the 90
#: three-body and 30 billiard test rollouts of each method in the CPU study
#: (docs/figures/*_energy.csv) the mean |energy error| at any time is at most 0.10 and
#: 0.012, so no single rollout exceeds 9.3; 1e3 leaves a margin of 100 above that and
#: still flags a blow-up long before it overflows.
DIVERGENCE_BOUND = 1e3


def state_scale(q: np.ndarray, p: np.ndarray) -> float:
    """The largest magnitude of any component of the true states ``(..., dof)`` (1 where
    all are zero): the scale a predicted state is compared with."""
    size = float(np.max(np.abs(np.concatenate([q, p], axis=-1)), initial=0.0))
    return size if size > 0 else 1.0


def divergence(
    q_pred: np.ndarray,
    p_pred: np.ndarray,
    t: np.ndarray,
    energy_error: np.ndarray | None = None,
    bound: float | None = None,
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per trajectory: whether its rollout diverged, and when it first did.

    A time point has diverged where the predicted state is not finite and, with
    ``bound``, where max |component of (q, p)| > ``bound`` × ``scale`` (see
    :func:`state_scale`) or |``energy_error``| > ``bound``.

    Parameters
    ----------
    q_pred, p_pred
        Predicted states, shape ``(trajectory, time, dof)``.
    t
        The times, shape ``(time,)``.
    energy_error
        The relative energy error of the predictions, shape ``(trajectory, time)``.
    bound
        The divergence bound (``systems.<name>.evaluation.divergence_bound``); ``None``:
        only non-finite states count.
    scale
        The state scale the bound multiplies.

    Returns
    -------
    diverged, when
        Shape ``(trajectory,)``: booleans, and the first time a point diverged (NaN where
        none did).
    """
    bad = ~(np.isfinite(q_pred).all(-1) & np.isfinite(p_pred).all(-1))
    if bound is not None:
        with np.errstate(invalid="ignore"):
            size = np.max(np.abs(np.concatenate([q_pred, p_pred], axis=-1)), axis=-1)
            bad |= size > bound * scale
            if energy_error is not None:
                bad |= np.abs(energy_error) > bound
    diverged = bad.any(-1)
    first = np.argmax(bad, axis=-1)
    when = np.where(diverged, np.asarray(t, dtype=np.float64)[first], np.nan)
    return diverged, when


def blank_after(
    q_pred: np.ndarray, p_pred: np.ndarray, t: np.ndarray, when: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Copies of the predicted states, NaN from each trajectory's divergence time
    ``when`` on (none where ``when`` is NaN), as a rollout that overflowed is stored."""
    with np.errstate(invalid="ignore"):
        after = np.asarray(t, dtype=np.float64)[None, :] >= np.asarray(when)[:, None]
    q_out, p_out = np.array(q_pred, copy=True), np.array(p_pred, copy=True)
    q_out[after], p_out[after] = np.nan, np.nan
    return q_out, p_out


__all__ = ["DIVERGENCE_BOUND", "blank_after", "divergence", "state_scale"]
