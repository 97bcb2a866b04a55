"""Test helpers: the project root, the paper config, a user-system entry, exact models."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from hampipe.models import SeparableHamiltonian
from hampipe.plan import load_config

#: The project root (where Snakefile, config.yaml and workflow/ live).
ROOT = Path(__file__).resolve().parents[1]


def paper_config(quick: bool = False) -> dict:
    """``config.yaml`` (with the ``config.quick.yaml`` overlay), checked as the workflow
    checks it, with the schema's defaults (:func:`hampipe.plan.load_config`)."""
    return load_config("config.yaml", *(["config.quick.yaml"] if quick else []), root=ROOT)


#: The README's user-defined system: a config entry for the Duffing oscillator.
DUFFING = {
    "hamiltonian": "p**2/2 + alpha*q**2/2 + beta*q**4/4",
    "coordinates": ["q"],
    "momenta": ["p"],
    "parameters": {"alpha": 1.0, "beta": 0.5},
    "initial_state": {"sampler": "uniform", "low": [-1, -1], "high": [1, 1]},
    "dt": 0.1,
    "steps": {"train": 60, "test": 100},
    "trajectories": {"train": 100, "test": 30},
}


def make_model(name: str, dof: int, scales=None, **settings):
    """A fresh model ``name``; the settings left out take the common learning defaults."""
    from hampipe.models import MODELS
    from hampipe.models.method import model_options
    from hampipe.plan.learners import LEARNING

    cls = MODELS[name]
    return cls(dof, **model_options(cls, {**LEARNING.defaults(), **settings}), scales=scales)


def exact_spring_model(k: float = 2.0, m: float = 2.0) -> SeparableHamiltonian:
    """A SeparableHamiltonian equal to p²/(2m) + k q²/2.

    One hidden unit with the rational activation set to R(x) = x² (P = x², Q = 1), so
    φ(q) = (k/2) q² exactly, and M = 1/(2m).
    """
    model = make_model("separable", 1, width=1, depth=1).double()
    with torch.no_grad():
        model.M.fill_(1 / (2 * m))
        model.phi.linears[0].weight.fill_(1.0)
        model.phi.linears[0].bias.zero_()
        act = model.phi.activations[0]
        act.numerator.copy_(torch.tensor([[0.0, 1.0, 0.0, 0.0]]))
        act.denominator.copy_(torch.tensor([[0.0, 0.0, 1.0]]))
        model.phi.out.weight.fill_(k / 2)
        model.phi.out.bias.zero_()
    return model.eval()


@contextmanager
def in_job(rule: str, **wildcards: str) -> Iterator[None]:
    """Inside, the files hampipe writes carry the provenance record of a workflow job of
    ``rule`` with ``wildcards`` (as after :func:`hampipe.core.start_job`), without the
    log file and excepthook that ``start_job`` also sets up."""
    # the module: `hampipe.core.provenance` as an attribute is the function of that name
    record = importlib.import_module("hampipe.core.provenance")
    saved = record._JOB
    record._JOB = {
        "hampipe_version": record.__version__,
        "rule": rule,
        "wildcards": dict(wildcards),
        "params_hash": "sha256:0",
        "input_checksums": {},
    }
    try:
        yield
    finally:
        record._JOB = saved
