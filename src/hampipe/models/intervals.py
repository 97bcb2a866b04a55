"""Methods that integrate the learned model across observed intervals (SRNN, SANN, …)."""

from __future__ import annotations

import numpy as np
import torch
import xarray as xr

from hampipe.models.method import Batch, Method, make_integrator


class IntervalMethod(Method):
    """Integrate the model from each observed state and match the following observations.

    For an example starting at observation i with a window of W intervals, the model is
    integrated from the observed (q_i, p_i) through t_{i+1}, …, t_{i+W}, each interval in
    S sub-steps of size (t_{k+1} − t_k)/S with the method's ``integrator`` (SANN Eq. 6),
    and the loss is the mean over examples and window steps of
    ‖q̂_k − q_k‖² + ‖p̂_k − p_k‖² (SANN Eq. 7 for W = 1; SRNN's multi-step loss for W > 1).

    Subclasses choose S per example (``_substeps``) and may repeat examples
    (``_resample``). A batch's examples are integrated in blocks of equal S, which an
    integrator that can (leapfrog) steps together while they last (:meth:`ragged_loss`).
    Examples carry their start time, so time-dependent models (HINN) see absolute times.
    """

    def _check(self):
        settings = self.settings.as_dict()
        self.integrator = make_integrator(settings["integrator"], self.model, settings)
        #: Observed intervals per example; a learner that declares no ``window`` (SANN)
        #: takes single intervals.
        self.window = settings["window"] if "window" in self.spec.settings else 1

    def _substeps(self, train: xr.Dataset, sai: xr.Dataset | None) -> np.ndarray:
        """Sub-steps per interval, shape ``(trajectory, interval)``."""
        raise NotImplementedError

    def _resample(self, index: np.ndarray, train, sai) -> dict[str, np.ndarray]:
        """Optionally repeat examples; returns the indices and extra per-example arrays."""
        return {"index": index}

    def _examples(self, train, sai):
        q, p, t = train.q.values, train.p.values, train.time.values
        n_traj, n_time, dof = q.shape
        w = self.window
        if n_time - 1 < w:
            raise ValueError(f"window {w} is longer than the {n_time - 1} observed intervals")
        substeps = np.asarray(self._substeps(train, sai))
        starts = n_time - w  # examples per trajectory
        traj, start = np.meshgrid(np.arange(n_traj), np.arange(starts), indexing="ij")
        traj, start = traj.ravel(), start.ravel()
        picked = self._resample(np.arange(traj.size), train, sai)
        index = picked.pop("index")
        traj, start = traj[index], start[index]
        offsets = start[:, None] + np.arange(w + 1)[None, :]  # (example, w + 1)
        dt = np.diff(t)[offsets[:, :-1]]  # (example, w)
        out = {
            "q0": self.tensor(q[traj, start]),
            "p0": self.tensor(p[traj, start]),
            "t0": self.tensor(t[start])[:, None],
            "dt": self.tensor(dt),
            "q": self.tensor(q[traj[:, None], offsets[:, 1:]]),  # (example, w, dof)
            "p": self.tensor(p[traj[:, None], offsets[:, 1:]]),
            "substeps": torch.as_tensor(substeps[traj, start]),
        }
        out.update({k: torch.as_tensor(v[index]) for k, v in picked.items()})
        return out

    def _loss(self, batch: Batch):
        """The loss of the class docstring, all of the batch's sub-step counts at once.

        The examples are sorted by descending S and integrated together
        (:meth:`ragged_loss`); the sum of squared errors does not depend on the order.
        """
        substeps = batch["substeps"]
        order = torch.argsort(substeps, descending=True, stable=True)
        values, sizes = torch.unique_consecutive(substeps[order], return_counts=True)
        counts = list(zip(values.tolist(), sizes.tolist(), strict=True))
        return self.ragged_loss(batch, order, counts)

    def ragged_loss(self, batch: Batch, order, counts, weight=None):
        """The loss from the examples ``order`` takes, in blocks of one sub-step count.

        ``counts`` lists ``(S, rows)`` in strictly descending S: the first ``rows``
        examples of ``order`` take S sub-steps per interval, and so on
        (:meth:`~hampipe.integrators.base.Integrator.integrate_ragged`: leapfrog steps
        the examples still stepping as one batch, S_max + 1 field evaluations per
        interval instead of Σ (S + 1) over the counts). ``weight`` (one per taken
        example, e.g. 0 for an ensemble member's padding) scales each example's error;
        the sum is divided by the batch's size times the window, as the class docstring.
        """
        steps = torch.cat([torch.full((n, 1), float(s)) for s, n in counts])
        q, p, t = batch["q0"][order], batch["p0"][order], batch["t0"][order]
        dts, s = batch["dt"][order], steps.to(q)
        q_obs, p_obs = batch["q"][order], batch["p"][order]
        total = q.new_zeros(())
        for k in range(self.window):
            dt = dts[:, k : k + 1]
            ends = self.integrator.integrate_ragged(q, p, dt / s, counts, t)
            q, p = (torch.cat(part) for part in zip(*ends, strict=True))
            t = t + dt
            err = ((q - q_obs[:, k]) ** 2).sum(-1) + ((p - p_obs[:, k]) ** 2).sum(-1)
            total = total + (err if weight is None else err * weight.to(err.dtype)).sum()
        return total / (batch["q0"].shape[0] * self.window)
