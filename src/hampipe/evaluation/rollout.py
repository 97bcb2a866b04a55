"""Rollouts of a learned Hamiltonian and the contract's error metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import xarray as xr

from hampipe.core.config import divides
from hampipe.core.provenance import __version__
from hampipe.data.energy import ENERGY_SCALE_FLOOR, energy_scale, relative_energy_error
from hampipe.evaluation.divergence import DIVERGENCE_BOUND, blank_after, divergence, state_scale
from hampipe.evaluation.metrics import derivative_mse, energy_mse, squared_units
from hampipe.integrators import StepSizeError
from hampipe.models.io import training_end
from hampipe.models.method import make_integrator, prediction_integrator
from hampipe.systems import HamiltonianSystem

log = logging.getLogger(__name__)


def substeps_per_interval(t: np.ndarray, step: float) -> np.ndarray:
    """Number of integrator steps of size ``step`` in each observed interval.

    Raises if an interval is not a whole multiple of ``step`` (to 1e-6 relative), since
    the rollout must land on the observation times.
    """
    intervals = np.diff(np.asarray(t, np.float64))
    if not all(divides(step, float(interval)) for interval in np.unique(intervals)):
        raise ValueError(
            f"evaluation step {step} does not divide the observation intervals "
            f"{np.unique(np.round(np.diff(t), 12))}"
        )
    return np.rint(intervals / step).astype(int)


def rollout(
    model: torch.nn.Module,
    q0: np.ndarray,
    p0: np.ndarray,
    t: np.ndarray,
    step: float,
    integrator: str = "leapfrog",
    options: Mapping[str, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate the learned model from ``(q0, p0)`` and sample it at the times ``t``.

    The model's vector field (dq/dt = ∂H_θ/∂p, dp/dt = −∂H_θ/∂q for a Hamiltonian
    model) is integrated in the model's dtype with ``integrator`` (leapfrog by default,
    SANN §4; an adaptive scheme such as ``dopri5`` for inseparable models, SANN App. H)
    through each observed interval in steps of ``step`` (the initial step of an
    adaptive scheme, which then lands on each observation time). ``options`` go to the
    integrator (e.g. ``rtol``, ``atol``, ``iterations``). Time-dependent models see the
    absolute times ``t``.

    Parameters
    ----------
    model
        A :class:`hampipe.models.Model` (e.g. from :func:`hampipe.load_model`).
    q0, p0
        Initial states, shape ``(batch, dof)``.
    t
        Output times, shape ``(time,)``, ``t[0]`` the initial time.
    step
        Integrator step; it must divide every interval of ``t``.

    Returns
    -------
    q, p
        Shape ``(batch, time, dof)``; NaN from the step where a rollout diverged.
    """
    n_sub = substeps_per_interval(t, step)
    param = next(model.parameters())
    stepper = make_integrator(integrator, model, options or {})
    q = torch.as_tensor(np.asarray(q0), dtype=param.dtype, device=param.device)
    p = torch.as_tensor(np.asarray(p0), dtype=param.dtype, device=param.device)
    qs, ps = [q.cpu().numpy()], [p.cpu().numpy()]
    model.eval()
    alive = _finite(q, p)
    for i, n in enumerate(n_sub):
        with torch.no_grad():
            q, p, alive = _advance(stepper, q, p, alive, step, int(n), float(t[i]))
        qs.append(q.cpu().numpy())
        ps.append(p.cpu().numpy())
    q_out, p_out = np.stack(qs, axis=1), np.stack(ps, axis=1)
    bad = ~np.isfinite(q_out).all(-1) | ~np.isfinite(p_out).all(-1)
    bad = np.logical_or.accumulate(bad, axis=1)
    q_out[bad], p_out[bad] = np.nan, np.nan
    return q_out, p_out


def interval_errors(
    model: torch.nn.Module,
    q: np.ndarray,
    p: np.ndarray,
    t: np.ndarray,
    step: float,
    integrator: str = "leapfrog",
    options: Mapping[str, Any] | None = None,
) -> np.ndarray:
    """The error of one observed interval at a time, from every observed state.

    For each trajectory and each interval i, the model is integrated from the observed
    state u_i = (q(t_i), p(t_i)) to t_{i+1} exactly as in :func:`rollout` (same
    ``integrator``, ``step`` and ``options``), and the result û_{i+1} compared with the
    observed u_{i+1}: the mean over the 2n coordinates of (û_{i+1} − u_{i+1})², as
    :func:`mse`. Unlike a rollout's error, which carries everything before it, this
    error belongs to the interval alone, so it can be binned by the interval's
    stiffness (SAI, SANN Eq. 5): the error-by-stiffness figure and table.

    ``q``, ``p`` have shape ``(trajectory, time, dof)``; returns
    ``(trajectory, time − 1)``, NaN where the one-interval integration diverged.
    """
    n_sub = substeps_per_interval(t, step)
    param = next(model.parameters())
    stepper = make_integrator(integrator, model, options or {})
    q_all = torch.as_tensor(np.asarray(q), dtype=param.dtype, device=param.device)
    p_all = torch.as_tensor(np.asarray(p), dtype=param.dtype, device=param.device)
    model.eval()
    ends_q, ends_p = [], []
    for i, n in enumerate(n_sub):
        q0, p0 = q_all[:, i], p_all[:, i]
        with torch.no_grad():
            q1, p1, _ = _advance(stepper, q0, p0, _finite(q0, p0), step, int(n), float(t[i]))
        ends_q.append(q1.cpu().double().numpy())
        ends_p.append(p1.cpu().double().numpy())
    with np.errstate(over="ignore", invalid="ignore"):
        return mse(
            np.stack(ends_q, axis=1),
            np.stack(ends_p, axis=1),
            np.asarray(q, np.float64)[:, 1:],
            np.asarray(p, np.float64)[:, 1:],
        )


def _finite(q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    return torch.isfinite(q).all(-1) & torch.isfinite(p).all(-1)


def _advance(stepper, q, p, alive, step, n, t0):
    """Integrate the rows still ``alive`` through one interval; dead rows become NaN.

    An adaptive integrator shares one step size over the batch: it stops early once a
    row turns non-finite, and its step control fails (:class:`StepSizeError`) when one
    row nears a blow-up. Neither may spoil the other rows. So a row that turns
    non-finite is marked dead and the interval integrated again for the rest; after a
    step-control failure the rows are integrated one by one and those that fail die.
    """
    q_new, p_new = torch.full_like(q, float("nan")), torch.full_like(p, float("nan"))
    while alive.any():
        rows = alive.nonzero().squeeze(-1)
        try:
            q_end, p_end = stepper.integrate(q[rows], p[rows], step, n, t0)
        except StepSizeError:
            q_end, p_end = _one_by_one(stepper, q[rows], p[rows], step, n, t0)
        ok = _finite(q_end, p_end)
        if ok.all():
            q_new[rows], p_new[rows] = q_end, p_end
            break
        alive = alive.clone()
        alive[rows[~ok]] = False
    return q_new, p_new, alive


def _one_by_one(stepper, q, p, step, n, t0):
    """Integrate each row alone; a row whose step control fails comes back as NaN."""
    q_end, p_end = torch.full_like(q, float("nan")), torch.full_like(p, float("nan"))
    for i in range(q.shape[0]):
        try:
            q_end[i : i + 1], p_end[i : i + 1] = stepper.integrate(
                q[i : i + 1], p[i : i + 1], step, n, t0
            )
        except StepSizeError:
            log.warning("rollout %d: the integrator's step control failed near t = %g", i, t0)
    return q_end, p_end


def mse(q_pred, p_pred, q_true, p_true) -> np.ndarray:
    """Mean over the 2n state components of the squared error of (q, p).

    Inputs have shape ``(trajectory, time, dof)``; the result ``(trajectory, time)``.
    """
    return np.concatenate([(q_pred - q_true) ** 2, (p_pred - p_true) ** 2], -1).mean(-1)


def true_energy(system: HamiltonianSystem, q: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The true Hamiltonian H on states of shape ``(..., dof)`` → ``(...)``.

    Non-finite states (diverged rollouts) give NaN quietly.
    """
    with np.errstate(all="ignore"):
        return system.hamiltonian(q.reshape(-1, system.dof), p.reshape(-1, system.dof)).reshape(
            q.shape[:-1]
        )


def energy_error(system: HamiltonianSystem, q_pred: np.ndarray, p_pred: np.ndarray) -> np.ndarray:
    """Relative energy error (H(t) − H(0)) / s, H the true Hamiltonian (SANN §4.1).

    :func:`~hampipe.data.energy.relative_energy_error` with the floor
    :data:`~hampipe.data.energy.ENERGY_SCALE_FLOOR`: s is each trajectory's |H(0)|,
    floored at a small fraction of the test set's typical |H(0)| so that a trajectory
    starting at H(0) ≈ 0 (the chain pendulums at rest) stays finite. Evaluated on the
    predicted states, shape ``(trajectory, time, dof)`` → ``(trajectory, time)``.
    """
    return _relative_error(true_energy(system, q_pred, p_pred))


def _relative_error(H: np.ndarray) -> np.ndarray:
    """The evaluation's relative energy error of true energies ``(trajectory, time)``."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return relative_energy_error(H, floor=ENERGY_SCALE_FLOOR)


def evaluate(
    model: torch.nn.Module,
    test: xr.Dataset,
    step: float,
    integrator: str = "leapfrog",
    options: Mapping[str, Any] | None = None,
    *,
    system: HamiltonianSystem,
    noise: float = 0.0,
    seed: int = 0,
    entry: str | None = None,
    divergence_bound: float = DIVERGENCE_BOUND,
) -> xr.Dataset:
    """Roll out ``model`` from the test split's initial states on its time grid.

    ``integrator``, ``step`` and ``options`` are the method's prediction settings
    (:func:`rollout`); ``system`` is the true system of the test split. Returns the
    contract's evaluation dataset: ``q_pred``, ``p_pred`` ``(trajectory, time, dof)``,
    ``mse``, ``energy_pred`` (the true H on the predicted states) and ``energy_error``
    ``(trajectory, time)``, ``diverged`` and ``diverged_time`` ``(trajectory,)``
    (:func:`~hampipe.evaluation.divergence.divergence` with ``divergence_bound``: a
    rollout whose state or relative energy error passes it counts as diverged, like one
    that overflowed, and is NaN from then on), ``derivative_mse`` and ``energy_mse``
    ``(trajectory,)`` (:func:`derivative_mse`, :func:`energy_mse`), ``interval_error``
    ``(trajectory, interval)`` (:func:`interval_errors`), and the model's training history
    ``train_loss``, ``validation_loss``, ``epoch_seconds`` ``(epoch,)``
    (:func:`training_history`). ``noise`` > 0 evaluates ``derivative_mse`` at the test
    states plus Gaussian noise of that std (drawn from ``seed``), against the true field
    at the clean states; the rollouts always start from the clean states.

    ``entry`` is the ``methods`` entry evaluated (attribute ``method``; default the
    model file's); ``trained_as`` records the entry whose training job made the model
    (another one when identical entries share a model), and ``epochs_run``,
    ``best_epoch``, ``stopped`` and ``stop_reason`` how its training ended
    (:func:`hampipe.models.io.training_end`).
    """
    meta = getattr(model, "checkpoint", {})
    if meta.get("system", system.name) != system.name:
        raise ValueError(
            f"model was trained on system {meta['system']!r} but the test split is {system.name!r}"
        )
    t = test.time.values
    q_true, p_true = test.q.values, test.p.values
    q_pred, p_pred = rollout(model, q_true[:, 0], p_true[:, 0], t, step, integrator, options)
    scale = state_scale(q_true, p_true)
    error = _relative_error(true_energy(system, q_pred, p_pred))
    flags, when = divergence(q_pred, p_pred, t, error, divergence_bound, scale)
    q_pred, p_pred = blank_after(q_pred, p_pred, t, when)
    diverged = int(flags.sum())
    if diverged:
        log.warning(
            "%d of %d rollouts diverged (a state not finite, or a state or |energy error| "
            "beyond the divergence bound %g; stored as NaN from then on; first at t = %g)",
            diverged,
            len(q_pred),
            divergence_bound,
            np.nanmin(when),
        )
    H_start = system.hamiltonian(q_true[:, 0], p_true[:, 0])
    _, floor = energy_scale(H_start, ENERGY_SCALE_FLOOR)
    H = true_energy(system, q_pred, p_pred)
    energy_units = test.energy.attrs.get("units", "1")
    if noise < 0:
        raise ValueError(f"evaluation noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    q_in = q_true + rng.normal(0.0, noise, q_true.shape) if noise else q_true
    p_in = p_true + rng.normal(0.0, noise, p_true.shape) if noise else p_true
    dims3, dims2 = ("trajectory", "time", "dof"), ("trajectory", "time")
    ds = xr.Dataset(
        {
            "q_pred": (dims3, q_pred, {**test.q.attrs, "long_name": "predicted coordinates"}),
            "p_pred": (dims3, p_pred, {**test.p.attrs, "long_name": "predicted momenta"}),
            "mse": (
                dims2,
                mse(q_pred, p_pred, q_true, p_true),
                {
                    "units": "1",
                    "long_name": "mean over dof of squared error of (q, p)",
                },
            ),
            "energy_pred": (
                dims2,
                H,
                {
                    "units": test.energy.attrs.get("units", "1"),
                    "long_name": "true Hamiltonian H on the predicted states (NaN: diverged)",
                },
            ),
            "energy_error": (
                dims2,
                _relative_error(H),
                {
                    "units": "1",
                    "long_name": "relative energy error (H(t) - H(0)) / s",
                    "scale": (
                        f"s = max(|H(0)|, {ENERGY_SCALE_FLOOR:g} x median |H(0)| of the "
                        f"test set = {floor:.6g}) per trajectory"
                    ),
                },
            ),
            "derivative_mse": (
                ("trajectory",),
                derivative_mse(model, q_in, p_in, t, system, q_true, p_true),
                {
                    "units": "1",
                    "input_noise": noise,
                    "long_name": "mean over time and the 2n coordinates of the squared error "
                    "of the learned vector field against the true one at the test states",
                    "comment": "squared units of dq/dt and dp/dt, mixed over the "
                    "coordinates as in mse (HNN paper's test loss)",
                },
            ),
            "interval_error": (
                ("trajectory", "interval"),
                interval_errors(model, q_true, p_true, t, step, integrator, options),
                {
                    "units": "1",
                    "long_name": "mean over dof of the squared error of (q, p) after one "
                    "observed interval integrated from the observed state at its start",
                },
            ),
            "energy_mse": (
                ("trajectory",),
                energy_mse(H, H_start),
                {
                    "units": squared_units(energy_units),
                    "long_name": "mean over time of (H(predicted state) - H(initial state))^2, "
                    "H the true Hamiltonian (NaN: diverged)",
                },
            ),
            "diverged": (
                ("trajectory",),
                flags.astype(np.int8),
                {
                    "long_name": "whether the rollout diverged (a state not finite, or a "
                    "state or |energy error| beyond divergence_bound)",
                    "flag_values": np.array([0, 1], dtype=np.int8),
                    "flag_meanings": "finite diverged",
                },
            ),
            "diverged_time": (
                ("trajectory",),
                when,
                {
                    "units": test.time.attrs.get("units", "s"),
                    "long_name": "first time the rollout diverged (NaN: never)",
                },
            ),
        },
        coords={
            **{k: test.coords[k] for k in ("trajectory", "time", "dof")},
            "interval": np.arange(len(t) - 1),
            "interval_start": (
                "interval",
                t[:-1],
                {"units": test.time.attrs.get("units", "s"), "long_name": "start of the interval"},
            ),
        },
        attrs={
            "Conventions": "CF-1.10",
            "system": system.name,
            "method": entry or meta.get("method", ""),
            "trained_as": meta.get("method", entry or ""),
            "model": meta.get("model", getattr(model, "name", "")),
            "seed": meta.get("seed", -1),
            "integrator": integrator,
            "integrator_options": json.dumps(dict(options or {}), sort_keys=True),
            "step": step,
            "n_diverged": diverged,
            "divergence_bound": float(divergence_bound),
            "divergence_state_scale": scale,
            **training_end(meta.get("history", {})),
            "hampipe_version": __version__,
        },
    )
    return ds.assign(training_history(meta.get("history", {})))


#: Per-epoch training records copied from a model file into its evaluation file:
#: history key → (variable, attributes).
HISTORY = {
    "loss": ("train_loss", {"units": "1", "long_name": "mean training loss of the epoch"}),
    "validation_loss": (
        "validation_loss",
        {"units": "1", "long_name": "loss on the held-out trajectories after the epoch"},
    ),
    "seconds": ("epoch_seconds", {"units": "s", "long_name": "wall time of the epoch"}),
}


def training_history(history: Mapping[str, Any]) -> dict[str, xr.DataArray]:
    """The model's per-epoch training records as ``(epoch,)`` variables (see :data:`HISTORY`).

    Figures and tables of training (loss curves, seconds per epoch in SANN Table 1) read
    them from the evaluation files, so they need no model file and no torch. Records the
    history lacks (or leaves empty) are left out.
    """
    out = {}
    for key, (name, attrs) in HISTORY.items():
        values = np.asarray(history.get(key) or [], dtype=np.float64)
        if values.size:
            out[name] = xr.DataArray(values, dims=("epoch",), attrs=attrs)
    return out


def evaluate_file(
    model: str,
    test: str,
    step: float,
    output: str,
    prediction: Mapping[str, Any] | None = None,
    threads: int = 1,
    device: str = "auto",
    *,
    system: Mapping[str, Any],
    noise: float = 0.0,
    seed: int = 0,
    entry: str | None = None,
    divergence_bound: float = DIVERGENCE_BOUND,
    expect: Mapping[str, Any] | None = None,
) -> None:
    """The ``evaluate`` stage: roll out a model file over a test split file.

    ``prediction`` is the method's ``prediction`` block: ``integrator`` and its options
    (what it leaves out takes the declared defaults, :data:`hampipe.plan.learners.LEARNING`);
    ``device`` the config's ``device`` (``auto``: CUDA when this process sees a GPU);
    ``noise`` and ``seed`` the test inputs' noise of ``derivative_mse`` (the system's
    ``evaluation.noise`` and the stage's seed; see :func:`evaluate`);
    ``system`` the stage's ``system`` param (:func:`hampipe.systems.system_from_spec`): the
    true system is built from it and ``test`` checked against it
    (:func:`hampipe.data.io.check_system`); ``entry`` the ``{method}`` evaluated;
    ``divergence_bound`` the system's ``evaluation.divergence_bound`` (:func:`evaluate`).
    ``expect``: the job's ``system``, ``method`` and ``seed`` wildcards and its entry's
    ``learner`` and ``hyperparameters``, which ``test`` (of split ``test``) and
    ``model`` must have been written for (:func:`hampipe.data.io.check_identity`,
    :func:`hampipe.models.io.check_model`); a NaN or inf in either is refused too.
    """
    from hampipe.data.io import read_dataset, write_dataset
    from hampipe.models.device import pick_device
    from hampipe.models.io import load_model
    from hampipe.systems import system_from_spec

    torch.set_num_threads(max(1, threads))
    integrator, settings = prediction_integrator(prediction)
    true_system = system_from_spec(system)
    test_data = read_dataset(test, "data", true_system, {**(expect or {}), "split": "test"})
    learned = load_model(model, system=true_system, expect=expect).to(pick_device(device))
    ds = evaluate(
        learned,
        test_data,
        step,
        integrator,
        settings,
        system=true_system,
        noise=noise,
        seed=seed,
        entry=entry,
        divergence_bound=divergence_bound,
    )
    log.info(
        "mean MSE at the last step %.4e, mean |energy error| %.4e",
        float(ds.mse.isel(time=-1).mean()),
        float(np.abs(ds.energy_error).mean()),
    )
    write_dataset(ds, output)
