"""Ground-truth trajectory generation (the ``simulate`` stage)."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import xarray as xr

from hampipe.core.logs import progress as show_progress
from hampipe.core.provenance import __version__
from hampipe.data.energy import relative_energy_error
from hampipe.integrators import IntegrationError, solve
from hampipe.systems import HamiltonianSystem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroundTruthSolver:
    """How ground truth is integrated and when a trajectory is rejected.

    ``method``/``rtol``/``atol`` go to :func:`scipy.integrate.solve_ivp`; a trajectory
    whose relative energy drift max_t |H(t) − H(0)| / |H(0)| exceeds
    ``max_energy_drift``, or whose integration fails, is rejected and resampled.
    """

    method: str = "DOP853"
    rtol: float = 1e-12
    atol: float = 1e-12
    max_energy_drift: float = 1e-8


def relative_energy_drift(energy: np.ndarray) -> np.ndarray:
    """max_t |H(t) − H(0)| / |H(0)| per trajectory; ``energy`` has shape ``(traj, time)``.

    The largest magnitude of :func:`~hampipe.data.energy.relative_energy_error` (no
    floor: the scale is 1 where H(0) = 0).
    """
    return np.max(np.abs(relative_energy_error(energy)), axis=1)


def _state_text(system: HamiltonianSystem, u: np.ndarray) -> str:
    """``q_name=value, ..., p_name=value`` for a flat state u = (q, p)."""
    names = [*system.dof_names, *system.momentum_names]
    return ", ".join(f"{name}={x:.6g}" for name, x in zip(names, np.ravel(u), strict=True))


def undefined_message(system: HamiltonianSystem, error: IntegrationError) -> str:
    """The message for a Hamiltonian whose derivatives are NaN at a finite state.

    Names the system's key, its H, the state and which derivatives are NaN: the field is
    (∂H/∂p, −∂H/∂q), so component i < dof is ∂H/∂p_i and the others ∂H/∂q_i.
    """
    n = system.dof
    derivative = np.ravel(error.derivative)
    bad = [
        f"∂H/∂{system.momentum_names[i] if i < n else system.dof_names[i - n]}"
        for i in np.flatnonzero(np.isnan(derivative))
    ]
    return (
        f"systems.{system.name}.hamiltonian: {system.hamiltonian_text} is not real-valued at "
        f"{_state_text(system, error.state)} (t = {error.t:.6g}): {', '.join(bad)} "
        f"{'is' if len(bad) == 1 else 'are'} NaN there; restrict "
        f"systems.{system.name}.initial_state (and the region the trajectories reach) to "
        "where H is defined, or change the Hamiltonian"
    )


def _integrate_one(args) -> np.ndarray | IntegrationError:
    """One trajectory's states ``(len(t), 2 dof)``, or the error that rejects it.

    Raises at once, naming the system, H and the state, where H is not real-valued: no
    resampling makes such a system well defined.
    """
    system, u0, t, solver = args
    try:
        return solve(system.vector_field, u0, t, solver.method, solver.rtol, solver.atol)
    except IntegrationError as error:
        if error.reason == "undefined":
            raise IntegrationError(
                undefined_message(system, error), "undefined", error.t, error.state
            ) from None
        if error.state is not None:
            error.args = (f"{error.args[0]} (trajectory from {_state_text(system, u0)})",)
        return error


def _map(tasks: list, workers: int, progress: bool) -> list:
    """:func:`_integrate_one` over ``tasks``, in ``workers`` processes when worth it; the
    first error cancels the trajectories not yet started."""
    if workers > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            chunks = max(1, len(tasks) // (4 * workers))
            try:
                # a bar on a terminal, a log line every 5 % in a job's log
                return list(
                    show_progress(
                        pool.map(_integrate_one, tasks, chunksize=chunks),
                        "simulate",
                        total=len(tasks),
                        enabled=progress,
                    )
                )
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return [_integrate_one(task) for task in show_progress(tasks, "simulate", enabled=progress)]


def integrate_states(
    system: HamiltonianSystem,
    q0: np.ndarray,
    p0: np.ndarray,
    t: np.ndarray,
    solver: GroundTruthSolver,
    workers: int = 1,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[IntegrationError | None]]:
    """Integrate each initial state over ``t``; return ``(q, p, energy, errors)``.

    ``q``, ``p`` have shape ``(batch, len(t), dof)``, ``energy`` (the true H)
    ``(batch, len(t))``; ``errors[i]`` is None for a trajectory that integrated and kept
    its energy within ``solver.max_energy_drift``, else the :class:`IntegrationError`
    that rejects it (``reason`` ``"drift"`` for the energy). Trajectories run
    independently (each with its own adaptive step), in ``workers`` processes.

    Raises
    ------
    IntegrationError
        At once, where H is not real-valued at a state a trajectory reaches.
    """
    n, dof = q0.shape
    tasks = [(system, np.concatenate([q0[i], p0[i]]), t, solver) for i in range(n)]
    results = _map(tasks, workers, progress)
    u = np.full((n, len(t), 2 * dof), np.nan)
    errors: list[IntegrationError | None] = [None] * n
    for i, res in enumerate(results):
        if isinstance(res, IntegrationError):
            errors[i] = res
        else:
            u[i] = res
    ok = np.array([e is None for e in errors], dtype=bool)
    q, p = u[..., :dof], u[..., dof:]
    energy = np.full((n, len(t)), np.nan)
    if ok.any():
        energy[ok] = system.hamiltonian(q[ok].reshape(-1, dof), p[ok].reshape(-1, dof)).reshape(
            -1, len(t)
        )
        drift = relative_energy_drift(energy[ok])
        for i, value in zip(np.flatnonzero(ok), drift, strict=True):
            if not value <= solver.max_energy_drift:
                errors[i] = IntegrationError(
                    f"relative energy drift {value:.3g} > max_energy_drift "
                    f"{solver.max_energy_drift:g}",
                    "drift",
                )
    return q, p, energy, errors


#: For each reason a trajectory is rejected: what it means and what to change.
_HINTS = {
    "unbounded": (
        "grew without bound or hit a singularity",
        "H is unbounded or singular where they went: restrict initial_state or change the "
        "Hamiltonian (no tolerance fixes this)",
    ),
    "tolerance": (
        "could not meet rtol/atol with finite, moderate states",
        "loosen ground_truth rtol/atol, or use method Radau for a stiff system",
    ),
    "drift": (
        "drifted beyond max_energy_drift={drift:g}",
        "loosen ground_truth max_energy_drift or tighten rtol/atol",
    ),
    "failed": ("failed", "see the first failure"),
}


def rejection_message(
    system: HamiltonianSystem,
    errors: list[IntegrationError],
    accepted: int,
    solver: GroundTruthSolver,
) -> str:
    """Why too many trajectories were rejected, one clause (count, first example, what to
    change) per reason, so that an unbounded H is never told to loosen a tolerance."""
    clauses = []
    for reason, (what, hint) in _HINTS.items():
        group = [e for e in errors if e.reason == reason]
        if group:
            what = what.format(drift=solver.max_energy_drift)
            clauses.append(f"{len(group)} {what} ({hint}; first: {group[0]})")
    return (
        f"{system.name}: {len(errors)} of {accepted + len(errors)} trajectories rejected, "
        f"more than max_rejection_rate allows: " + "; ".join(clauses)
    )


def simulate(
    system: HamiltonianSystem,
    n_trajectories: int,
    n_steps: int,
    dt: float,
    seed: int,
    solver: GroundTruthSolver | None = None,
    workers: int = 1,
    max_rejection_rate: float = 0.5,
    progress: bool = False,
) -> xr.Dataset:
    """Generate ``n_trajectories`` ground-truth trajectories of ``n_steps`` time points.

    Initial states come from ``system.sample_initial_states`` with a generator seeded by
    ``seed``. Rejection rule (seeded, order-preserving): all candidates of a round are
    drawn first, integrated, and the accepted ones kept in draw order; the rejected ones
    are replaced by fresh draws from the same generator in the next round, until
    ``n_trajectories`` are accepted. The number of rejected draws is stored in the attr
    ``n_resampled``; more than ``max_rejection_rate`` × ``n_trajectories`` rejections
    raise, since the data would no longer follow the sampler's distribution; the message
    counts the rejections by reason (unbounded or singular H, unmet tolerances, energy
    drift), each with what to change. A state where H is not real-valued (its derivatives
    are NaN) raises at once, naming the system, H and the state.

    Returns
    -------
    xarray.Dataset
        ``q``, ``p`` of shape ``(trajectory, time, dof)`` and ``energy``
        ``(trajectory, time)``, with the CF attributes and provenance of ``docs/contract.md``.
    """
    solver = solver or GroundTruthSolver()
    if n_trajectories < 1 or n_steps < 2:
        raise ValueError("need at least one trajectory and two time points")
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps) * dt
    qs, ps, failures = [], [], []
    need = n_trajectories
    while need > 0:
        q0, p0 = system.sample_initial_states(rng, need)
        q, p, _, errors = integrate_states(system, q0, p0, t, solver, workers, progress)
        ok = np.array([e is None for e in errors], dtype=bool)
        qs.append(q[ok])
        ps.append(p[ok])
        failures += [e for e in errors if e is not None]
        need -= int(ok.sum())
        if len(failures) > max_rejection_rate * n_trajectories:
            raise IntegrationError(
                rejection_message(system, failures, n_trajectories - need, solver)
            )
    rejected = len(failures)
    if rejected:
        log.info("%s: resampled %d rejected trajectories", system.name, rejected)
    q, p = np.concatenate(qs), np.concatenate(ps)
    energy = system.hamiltonian(q.reshape(-1, system.dof), p.reshape(-1, system.dof)).reshape(
        n_trajectories, n_steps
    )
    return to_dataset(
        system,
        t,
        q,
        p,
        energy,
        attrs={
            "integrator": solver.method,
            "rtol": solver.rtol,
            "atol": solver.atol,
            "dt": dt,
            "seed": seed,
            "n_resampled": rejected,
            "max_energy_drift_allowed": solver.max_energy_drift,
            "max_relative_energy_drift": float(relative_energy_drift(energy).max()),
            "initial_state": json.dumps(system.initial_state, sort_keys=True),
        },
    )


def to_dataset(
    system: HamiltonianSystem,
    t: np.ndarray,
    q: np.ndarray,
    p: np.ndarray,
    energy: np.ndarray,
    attrs: dict | None = None,
) -> xr.Dataset:
    """Wrap trajectories in the contract's Dataset layout with CF attributes."""
    units = system.units
    ds = xr.Dataset(
        {
            "q": (
                ("trajectory", "time", "dof"),
                q,
                {"units": units["q"], "long_name": "generalised coordinates"},
            ),
            "p": (
                ("trajectory", "time", "dof"),
                p,
                {"units": units["p"], "long_name": "generalised momenta (p = m v)"},
            ),
            "energy": (
                ("trajectory", "time"),
                energy,
                {"units": units["energy"], "long_name": "true Hamiltonian H(q, p)"},
            ),
        },
        coords={
            "trajectory": (
                "trajectory",
                np.arange(q.shape[0]),
                {"units": "1", "long_name": "trajectory index"},
            ),
            "time": (
                "time",
                np.asarray(t, np.float64),
                {"units": "s", "long_name": "time since the trajectory's start"},
            ),
            "dof": (
                "dof",
                np.array(system.dof_names, dtype=object),
                {"units": "1", "long_name": "degree of freedom"},
            ),
        },
        attrs={**system_attrs(system), **(attrs or {})},
    )
    return ds


def system_attrs(system: HamiltonianSystem) -> dict[str, str]:
    """The attrs every hampipe NetCDF file carries about the system that produced it.

    ``system``, ``parameters`` (JSON), ``hamiltonian`` (text), ``hampipe_version``, the
    CF ``Conventions``, and ``definition`` for a user-defined system. Provenance: a
    stage checks them against the system it gets as a param
    (:func:`hampipe.data.io.check_system`); outside the workflow
    :func:`hampipe.systems.system_from_attrs` rebuilds the system from them.
    """
    attrs = {
        "Conventions": "CF-1.10",
        "system": system.name,
        "parameters": system.parameters_json(),
        "hamiltonian": system.hamiltonian_text,
        "hampipe_version": __version__,
    }
    definition = system.definition_json()
    if definition:
        attrs["definition"] = definition
    return attrs


def simulate_to_file(
    system: str,
    parameters: dict,
    initial_state: dict,
    dt: float,
    n_trajectories: int,
    n_steps: int,
    ground_truth: dict,
    seed: int,
    output: str,
    definition: dict | None = None,
    workers: int = 1,
    progress: bool = True,
) -> None:
    """The ``simulate`` stage: generate one split and write it to ``output`` (NetCDF).

    ``definition`` holds the ``hamiltonian``, ``coordinates`` and ``momenta`` of a
    user-defined system (empty for built-in ones).
    """
    from hampipe.data.io import write_dataset
    from hampipe.systems import make_system

    model = make_system(system, parameters, initial_state, definition)
    ds = simulate(
        model,
        n_trajectories,
        n_steps,
        dt,
        seed,
        GroundTruthSolver(**ground_truth),
        workers=workers,
        progress=progress,
    )
    log.info(
        "%s: %d trajectories x %d steps, max relative energy drift %.3e, %d resampled",
        system,
        n_trajectories,
        n_steps,
        ds.attrs["max_relative_energy_drift"],
        ds.attrs["n_resampled"],
    )
    write_dataset(ds, output)
