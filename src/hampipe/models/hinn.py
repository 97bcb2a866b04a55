"""Hamiltonian-inspired neural networks (Hayes, Heider & Vanty; seeds 002/003)."""

from __future__ import annotations

from hampipe.models.registry import METHODS
from hampipe.models.srnn import SRNN


@METHODS.register("hinn")
class HINN(SRNN):
    """HINN: a ResNet H_θ(t, q, p) trained through a Verlet step to the next observation.

    The poster and blog map [t, q, p] to H with a residual network (model ``resnet``:
    depth 20, width 3), advance each observation by one Verlet step of the learned
    Hamiltonian vector field (``substeps: 1``, integrator ``stormer_verlet``, which is
    implicit for their inseparable, time-dependent H) and minimise the squared error of
    the predicted (q, p) against the next observation; 1500 epochs at learning rate 1e-3.

    Their write-up states Hamilton's equations with flipped signs (ṗ = ∂H/∂q,
    q̇ = −∂H/∂p), which only changes the sign of the learned H. Here the standard
    convention holds: q̇ = ∂H/∂p, ṗ = −∂H/∂q.
    """
