"""Symplectic recurrent neural networks (Chen, Zhang, Arjovsky & Bottou 2019)."""

from __future__ import annotations

import numpy as np

from hampipe.models.intervals import IntervalMethod
from hampipe.models.registry import METHODS


@METHODS.register("srnn")
class SRNN(IntervalMethod):
    """SRNN: leapfrog through every observed interval in a fixed number of sub-steps.

    Chen et al. (2019) integrate the learned separable H_θ with leapfrog and train on
    the predicted states. Every interval uses the same S = ``substeps``; ``window`` W > 1
    rolls W intervals out from one observed state (their multi-step training). With
    W = 1 this is SANN (Eqs. 6–7) without the stiff/nonstiff split: SANN with γ = 0.5,
    S_stiff = S_nonstiff = S and K = 1 computes exactly the same loss.
    """

    def _substeps(self, train, sai):
        shape = (train.sizes["trajectory"], train.sizes["time"] - 1)
        return np.full(shape, self.settings.substeps)
