"""The ``probe`` stage: a trained model evaluated on a grid, independent of rollouts.

Two probes, each comparing what the model learned with the true system point by point:

- :func:`potential_probe` — the learned potential V_θ(q) of a separable model on a grid
  of positions in the plane, beside the true V(q): SANN paper (Liang, Huang & Zhang,
  ICLR 2022), Appendix A.1, Fig. 9, "The learned potential function of the billiard
  model" (top view and side view of V for the reference, SANN, SRNN and HNN).
- :func:`field_probe` — the learned vector field (dq/dt, dp/dt) of a 1-dof model on the
  (q, p) meshgrid, beside the true one, and their relative error: the spring study
  (Chen, seed 001), §4.2.2 and §4.3–4.4, Figs. 5, 8 and 9 (meshgrid [−100, 100]²,
  tolerance bands [−1e-3, 1e-3] and [−5e-4, 5e-4]).

:func:`probe_file` runs either on a model file and the true system (the stage's
``system`` param) and writes the result as NetCDF with CF-style attrs. The figures are
drawn by :mod:`hampipe.plotting.probe_figures`, which never imports torch.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
import xarray as xr

from hampipe.data.ground_truth import system_attrs
from hampipe.systems import HamiltonianSystem

log = logging.getLogger(__name__)

#: The probes :func:`probe_file` runs, by ``kind``.
KINDS = ("potential", "field")


# --------------------------------------------------------------------------- helpers
def _model_tensor(model: torch.nn.Module, x: np.ndarray) -> torch.Tensor:
    """``x`` as a tensor in the model's dtype and on its device."""
    reference = next(iter(model.parameters()), None)
    if reference is None:
        reference = next(iter(model.buffers()), torch.zeros((), dtype=torch.float64))
    return torch.as_tensor(np.asarray(x), dtype=reference.dtype, device=reference.device)


def _numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().numpy().astype(np.float64)


def _run_attrs(model: torch.nn.Module, system: HamiltonianSystem, kind: str) -> dict[str, Any]:
    """System provenance (:func:`~hampipe.data.ground_truth.system_attrs`) plus the model's run."""
    meta = getattr(model, "checkpoint", {}) or {}
    trained_on = meta.get("system", system.name)
    if trained_on != system.name:
        raise ValueError(
            f"model was trained on system {trained_on!r} but the probe is of {system.name!r}"
        )
    return {
        **system_attrs(system),
        "probe": kind,
        "method": str(meta.get("method", "")),
        "model": str(meta.get("model", getattr(model, "name", ""))),
        "seed": int(meta.get("seed", -1)),
    }


def _check_extent(extent, points: int) -> tuple[float, float, float, float]:
    if points < 2:
        raise ValueError(f"points = {points}: a probe grid needs at least 2 points per axis")
    extent = tuple(float(v) for v in extent)
    if len(extent) != 4 or not (extent[0] < extent[1] and extent[2] < extent[3]):
        raise ValueError(
            f"extent = {extent} must be (low_0, high_0, low_1, high_1) with low < high"
        )
    return extent  # type: ignore[return-value]


def _relative(learned: np.ndarray, true: np.ndarray) -> np.ndarray:
    """(learned − true) / true, NaN where true = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(true != 0, (learned - true) / np.where(true != 0, true, 1.0), np.nan)


def check_potential_fit(model: torch.nn.Module, system: HamiltonianSystem) -> None:
    """Raise ``ValueError`` unless ``model`` has a potential and ``system`` a planar q."""
    if not (getattr(model, "separable", False) and callable(getattr(model, "potential", None))):
        raise ValueError(
            f"the potential probe needs a separable model with a potential V(q) "
            f"(H = T(p) + V(q)); model {getattr(model, 'name', type(model).__name__)!r} "
            "has none"
        )
    if system.dof != 2:
        raise ValueError(
            f"the potential probe maps V over 2 position coordinates; system "
            f"{system.name!r} has {system.dof} ({', '.join(system.dof_names)})"
        )


def check_field_fit(model: torch.nn.Module, system: HamiltonianSystem) -> None:
    """Raise ``ValueError`` unless ``system`` (and ``model``) have one degree of freedom."""
    if system.dof != 1:
        raise ValueError(
            f"the field probe maps the (q, p) plane of a 1-dof system; system "
            f"{system.name!r} has {system.dof} degrees of freedom"
        )
    dof = getattr(model, "dof", 1)
    if dof != 1:
        raise ValueError(f"the field probe needs a 1-dof model; this model has dof = {dof}")


# ------------------------------------------------------------------------ the probes
def default_extent(system: HamiltonianSystem) -> tuple[float, float, float, float]:
    """The potential probe's default grid: the system's ``potential_extent()`` (the
    billiard's table, ±1.25 r_α in x and y).

    Raises ``ValueError`` for a system that declares none (its extent must be given).
    """
    extent = system.potential_extent()
    if extent is None:
        raise ValueError(
            f"no default probe extent for system {system.name!r}: pass "
            "extent=(x_min, x_max, y_min, y_max)"
        )
    return extent


def potential_probe(
    model: torch.nn.Module,
    system: HamiltonianSystem,
    extent: tuple[float, float, float, float] | None = None,
    points: int = 101,
) -> xr.Dataset:
    """The learned potential V_θ(q) beside the true V(q) on a grid of positions.

    Reproduces the data of SANN paper Appendix A.1, Fig. 9 ("The learned potential
    function of the billiard model": top and side views of V for the reference and each
    method). V_θ is ``model.potential(q)`` of a separable model (H_θ = T_θ(p) + V_θ(q),
    SANN Eq. 2); the true V is ``system.hamiltonian(q, p = 0)``, which is V(q) for every
    system whose kinetic energy vanishes at p = 0 (the billiard's ½‖p‖², SANN Eq. 8).

    A Hamiltonian is learned only up to an additive constant (only its gradients enter
    the dynamics, SANN Eq. 1), so the dataset also holds
    ``potential_aligned = V_θ − mean(V_θ − V)``: V_θ shifted by the constant that
    minimises the squared difference to V over the grid (a least-squares shift, the
    mean taken over every grid point, NaN ignored). The shift is stored in the attr
    ``alignment_shift``.

    Parameters
    ----------
    model
        A separable :class:`hampipe.models.Model` (``separable`` and a ``potential``
        method), e.g. from :func:`hampipe.load_model`.
    system
        A system with 2 position coordinates (the billiard).
    extent
        ``(x_min, x_max, y_min, y_max)``; by default the billiard's table, ±1.25 r_α
        (:func:`default_extent`); required for other systems.
    points
        Grid points per axis (the grid is ``points × points``; an odd number puts a row
        on y = 0 for a symmetric extent, where Fig. 9's side view is taken).

    Returns
    -------
    xarray.Dataset
        ``potential_true``, ``potential_learned``, ``potential_aligned`` over dims
        ``(x, y)`` (``[i, j]`` at ``x[i]``, ``y[j]``); coords ``x``, ``y``; attrs
        ``system``, ``parameters`` (:func:`~hampipe.data.ground_truth.system_attrs`), ``method``,
        ``model``, ``seed`` (from ``model.checkpoint``), ``probe = "potential"``,
        ``alignment_shift``, ``alignment``.
    """
    check_potential_fit(model, system)
    attrs = _run_attrs(model, system, "potential")
    extent = _check_extent(default_extent(system) if extent is None else extent, points)
    x = np.linspace(extent[0], extent[1], points)
    y = np.linspace(extent[2], extent[3], points)
    X, Y = np.meshgrid(x, y, indexing="ij")
    q = np.stack([X.ravel(), Y.ravel()], axis=1)
    true = system.hamiltonian(q, np.zeros_like(q)).reshape(X.shape)
    model.eval()
    with torch.no_grad():
        learned = _numpy(model.potential(_model_tensor(model, q))).reshape(X.shape)
    shift = float(np.nanmean(learned - true))
    units = system.units.get("energy", "1")
    names = list(system.dof_names)
    q_units = system.units.get("q", "1")
    return xr.Dataset(
        {
            "potential_true": (
                ("x", "y"),
                true,
                {"units": units, "long_name": "true potential V(q) = H(q, p = 0)"},
            ),
            "potential_learned": (
                ("x", "y"),
                learned,
                {
                    "units": units,
                    "long_name": "learned potential V_theta(q), as the model gives it",
                },
            ),
            "potential_aligned": (
                ("x", "y"),
                learned - shift,
                {
                    "units": units,
                    "long_name": "learned potential shifted by the least-squares constant",
                    "comment": "V_theta - mean over the grid of (V_theta - V)",
                },
            ),
        },
        coords={
            "x": ("x", x, {"units": q_units, "long_name": f"position coordinate {names[0]}"}),
            "y": ("y", y, {"units": q_units, "long_name": f"position coordinate {names[1]}"}),
        },
        attrs={
            **attrs,
            "extent": json.dumps(list(extent)),
            "alignment_shift": shift,
            "alignment": (
                "potential_aligned = potential_learned - alignment_shift, "
                "alignment_shift = mean over the grid of (potential_learned - potential_true): "
                "a Hamiltonian is learned up to an additive constant"
            ),
        },
    )


def field_probe(
    model: torch.nn.Module,
    system: HamiltonianSystem,
    extent: tuple[float, float, float, float] = (-100.0, 100.0, -100.0, 100.0),
    points: int = 101,
    t: float = 0.0,
) -> xr.Dataset:
    """The learned vector field on the (q, p) meshgrid of a 1-dof system, with its error.

    The spring study (Chen, seed 001) samples "data p, q from meshgrid [−100, 100]" and
    "calculated the relative error of the analytic time derivatives, i.e., the ground
    truth gradient (q*, p*), with the predicted gradient of the system (q̂, p̂)" (§4.3,
    Fig. 8; §4.4, Fig. 9 for the network trained on finite differences), reading the
    maps against the tolerance ranges [−1e-3, 1e-3] and [−5e-4, 5e-4]. The study gives
    no formula; we store

    - ``relative_error_q = (dq/dt_learned − dq/dt_true) / dq/dt_true`` and likewise
      ``relative_error_p``: signed, per component, so the study's signed tolerance
      ranges apply to them directly; NaN where the true component is 0 (the whole line
      p = 0 for dq/dt = p/m, q = 0 for dp/dt = −kq);
    - ``relative_error = ‖f_learned − f_true‖₂ / ‖f_true‖₂``, f = (dq/dt, dp/dt): one
      non-negative number per grid point, NaN only at the fixed point (the origin).
      Its band is [0, tol]. The study's maps fail "on the boundary and in the center"
      only, which this combined error reproduces (the per-component errors blow up
      along whole axes); :mod:`hampipe.plotting.probe_figures` draws it by default.

    For a Hamiltonian model (``model.hamiltonian``) the learned energy is stored too
    (§4.2.1–4.2.2, Figs. 5 and 6: the relative error of Ĥ against H on the meshgrid):
    ``hamiltonian_learned`` = H_θ, ``hamiltonian_aligned`` = H_θ − mean(H_θ − H) (H_θ
    is defined up to a constant, as in :func:`potential_probe`) and
    ``relative_error_energy = (hamiltonian_aligned − H) / H`` (NaN where H = 0).

    Parameters
    ----------
    model
        A :class:`hampipe.models.Model` with ``dof = 1``; ``model.vector_field(q, p, t)``
        gives the learned field.
    system
        A 1-dof system (the spring); ``system.time_derivative`` gives the true field.
    extent
        ``(q_min, q_max, p_min, p_max)``, the study's [−100, 100]² by default.
    points
        Grid points per axis (odd, with a symmetric extent, puts the origin on the grid).
    t
        The time passed to time-dependent models (ignored by autonomous ones).

    Returns
    -------
    xarray.Dataset
        Over dims ``(q, p)`` (``[i, j]`` at ``q[i]``, ``p[j]``): ``dq_dt_true``,
        ``dp_dt_true``, ``dq_dt_learned``, ``dp_dt_learned``, ``relative_error_q``,
        ``relative_error_p``, ``relative_error``, ``hamiltonian_true`` and, for
        Hamiltonian models, ``hamiltonian_learned``, ``hamiltonian_aligned``,
        ``relative_error_energy``; attrs as :func:`potential_probe`'s, with
        ``probe = "field"``, ``t`` and ``relative_error_definition``.
    """
    check_field_fit(model, system)
    attrs = _run_attrs(model, system, "field")
    extent = _check_extent(extent, points)
    qs = np.linspace(extent[0], extent[1], points)
    ps = np.linspace(extent[2], extent[3], points)
    Q, P = np.meshgrid(qs, ps, indexing="ij")
    q, p = Q.reshape(-1, 1), P.reshape(-1, 1)
    dq_true, dp_true = (a[:, 0].reshape(Q.shape) for a in system.time_derivative(q, p))
    H_true = system.hamiltonian(q, p).reshape(Q.shape)
    model.eval()
    q_t, p_t = _model_tensor(model, q), _model_tensor(model, p)
    with torch.no_grad():
        dq_l, dp_l = (_numpy(a)[:, 0].reshape(Q.shape) for a in model.vector_field(q_t, p_t, t))
        H_learned = (
            _numpy(model(q_t, p_t, t)).reshape(Q.shape)
            if getattr(model, "hamiltonian", False)
            else None
        )
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        norm_true = np.hypot(dq_true, dp_true)
        norm_error = np.hypot(dq_l - dq_true, dp_l - dp_true)
        combined = np.where(
            norm_true > 0, norm_error / np.where(norm_true > 0, norm_true, 1), np.nan
        )
    units = system.units
    q_rate, p_rate = (_rate_units(units.get(k, "1")) for k in ("q", "p"))
    one = {"units": "1"}
    data = {
        "dq_dt_true": (("q", "p"), dq_true, {"units": q_rate, "long_name": "true dq/dt = dH/dp"}),
        "dp_dt_true": (("q", "p"), dp_true, {"units": p_rate, "long_name": "true dp/dt = -dH/dq"}),
        "dq_dt_learned": (("q", "p"), dq_l, {"units": q_rate, "long_name": "learned dq/dt"}),
        "dp_dt_learned": (("q", "p"), dp_l, {"units": p_rate, "long_name": "learned dp/dt"}),
        "relative_error_q": (
            ("q", "p"),
            _relative(dq_l, dq_true),
            {**one, "long_name": "signed relative error of dq/dt: (learned - true) / true"},
        ),
        "relative_error_p": (
            ("q", "p"),
            _relative(dp_l, dp_true),
            {**one, "long_name": "signed relative error of dp/dt: (learned - true) / true"},
        ),
        "relative_error": (
            ("q", "p"),
            combined,
            {
                **one,
                "long_name": "relative error of the vector field: |f_learned - f_true| / |f_true|",
            },
        ),
        "hamiltonian_true": (
            ("q", "p"),
            H_true,
            {"units": units.get("energy", "1"), "long_name": "true Hamiltonian H(q, p)"},
        ),
    }
    extra_attrs: dict[str, Any] = {}
    if H_learned is not None:
        shift = float(np.nanmean(H_learned - H_true))
        aligned = H_learned - shift
        data["hamiltonian_learned"] = (
            ("q", "p"),
            H_learned,
            {"units": units.get("energy", "1"), "long_name": "learned Hamiltonian H_theta"},
        )
        data["hamiltonian_aligned"] = (
            ("q", "p"),
            aligned,
            {
                "units": units.get("energy", "1"),
                "long_name": "learned Hamiltonian shifted by the least-squares constant",
            },
        )
        data["relative_error_energy"] = (
            ("q", "p"),
            _relative(aligned, H_true),
            {**one, "long_name": "signed relative error of the aligned H: (H_aligned - H) / H"},
        )
        extra_attrs["alignment_shift"] = shift
    name = system.dof_names[0]
    return xr.Dataset(
        data,
        coords={
            "q": ("q", qs, {"units": units.get("q", "1"), "long_name": f"coordinate {name}"}),
            "p": ("p", ps, {"units": units.get("p", "1"), "long_name": f"momentum of {name}"}),
        },
        attrs={
            **attrs,
            **extra_attrs,
            "extent": json.dumps(list(extent)),
            "t": float(t),
            "relative_error_definition": (
                "relative_error_q/p = (learned - true) / true per component (signed); "
                "relative_error = |f_learned - f_true|_2 / |f_true|_2, f = (dq/dt, dp/dt); "
                "NaN where the denominator is 0"
            ),
        },
    )


def _rate_units(units: str) -> str:
    return "s-1" if units in ("1", "") else f"{units} s-1"


#: The probe functions by kind, with the check that the model and system fit it.
PROBES = {
    "potential": (potential_probe, check_potential_fit),
    "field": (field_probe, check_field_fit),
}


def probe_file(
    model_path: str | os.PathLike,
    output: str | os.PathLike,
    kind: str,
    system: Mapping[str, Any],
    threads: int = 1,
    expect: Mapping[str, Any] | None = None,
    **options: Any,
) -> xr.Dataset:
    """The ``probe`` stage: probe a model file on a grid and write NetCDF atomically.

    The true system (with its parameters) is built from ``system``, the stage's
    ``system`` param; no data file is read.

    Parameters
    ----------
    model_path
        A model file written by :func:`hampipe.models.io.save_model`.
    output
        The NetCDF file to write (with :func:`hampipe.data.io.write_dataset`).
    kind
        ``"potential"`` (:func:`potential_probe`, SANN Fig. 9) or ``"field"``
        (:func:`field_probe`, spring study Figs. 5, 8, 9).
    system
        ``{"name": ..., "parameters": ..., "definition": ...}``
        (:func:`hampipe.systems.system_from_spec`).
    threads
        torch's intra-op threads (the job's ``threads``).
    expect
        The job's ``system``, ``method`` and ``seed`` wildcards and its entry's
        ``learner`` and ``hyperparameters``: the run the model file must hold
        (:func:`hampipe.models.io.check_model`).
    **options
        Passed to the probe (``extent``, ``points``, and ``t`` for the field).

    Returns
    -------
    xarray.Dataset
        The dataset written.

    Raises
    ------
    ValueError
        For an unknown ``kind`` (listing the valid ones), or, naming the model file,
        when the model or system does not fit the probe (a non-separable model for
        ``"potential"``, a multi-dof system for ``"field"``, a model of another system).
    """
    from hampipe.data.io import write_dataset
    from hampipe.models.io import load_model
    from hampipe.systems import system_from_spec

    torch.set_num_threads(max(1, threads))

    if kind not in PROBES:
        raise ValueError(f"unknown probe kind {kind!r}; valid: {', '.join(KINDS)}")
    probe, check = PROBES[kind]
    true_system = system_from_spec(system)
    model = load_model(model_path, system=true_system, expect=expect)
    try:
        check(model, true_system)
        _run_attrs(model, true_system, kind)  # a model of another system
    except ValueError as error:
        raise ValueError(f"{model_path}: cannot run the {kind} probe: {error}") from None
    ds = probe(model, true_system, **options)
    write_dataset(ds, output)
    log.info("%s probe of %s on a %s grid written to %s", kind, model_path, dict(ds.sizes), output)
    return ds


__all__ = [
    "KINDS",
    "PROBES",
    "check_field_fit",
    "check_potential_fit",
    "default_extent",
    "field_probe",
    "potential_probe",
    "probe_file",
]
