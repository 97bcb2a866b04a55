"""Early stopping on the validation loss: convergence as a training budget.

A run with ``patience`` > 0 watches the loss on its held-out trajectories after every
epoch. An epoch *improves* when its validation loss is below the best so far by more
than the relative margin ``min_improvement`` (loss < best · (1 − min_improvement)); the
run stops once ``patience`` epochs in a row have not improved, or at ``epochs`` (the
cap), whichever comes first, and ends with the weights of its best epoch. With
``patience`` = 0 it trains all ``epochs`` and keeps the last weights (the fixed-epoch
recipe of the SANN paper, §4.1).

The state (best loss, best epoch, best weights) is part of a training checkpoint, so a
resumed run stops at the same epoch with the same weights as one never interrupted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from hampipe.models.io import STOPPED_AT_CAP, STOPPED_CONVERGED, fixed_epochs_reason


@dataclass
class EarlyStopping:
    """Track the best validation epoch and say when to stop.

    Attributes
    ----------
    patience
        Epochs without improvement that stop the run; 0 never stops early.
    min_improvement
        The relative margin an epoch's validation loss must beat the best by.
    best_loss, best_epoch
        The best validation loss so far and the epochs done when it was reached
        (``best_epoch`` 0: none yet).
    best_state
        A CPU copy of the model's ``state_dict`` at ``best_epoch`` (kept only when
        ``patience`` > 0).
    """

    patience: int
    min_improvement: float = 0.0
    best_loss: float = math.inf
    best_epoch: int = 0
    best_state: dict[str, torch.Tensor] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int):
            raise ValueError(f"patience must be an integer, got {self.patience!r}")
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0, got {self.patience}")
        if not 0 <= self.min_improvement < 1:
            raise ValueError(f"min_improvement must be in [0, 1), got {self.min_improvement!r}")

    @property
    def enabled(self) -> bool:
        return self.patience > 0

    def improves(self, loss: float) -> bool:
        """Whether ``loss`` beats the best so far by the relative margin."""
        if not math.isfinite(loss):
            return False
        return self.best_epoch == 0 or loss < self.best_loss * (1 - self.min_improvement)

    def update(self, epochs_done: int, loss: float, model: torch.nn.Module) -> bool:
        """Record the validation ``loss`` after ``epochs_done`` epochs; True: stop now."""
        if not self.enabled:
            return False
        if self.improves(loss):
            self.best_loss, self.best_epoch = float(loss), int(epochs_done)
            self.best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        return epochs_done - self.best_epoch >= self.patience

    def restore_best(self, model: torch.nn.Module) -> None:
        """Load the best epoch's weights into ``model`` (nothing without a best epoch)."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)

    def summary(self, epochs_run: int, epochs: int, converged: bool) -> dict[str, Any]:
        """What the model and evaluation files record of how training ended.

        ``converged``: whether :meth:`update` asked to stop. Returns ``epochs_run``,
        ``best_epoch`` (the epoch whose weights were kept: the last one without early
        stopping), ``stopped`` (``converged`` or ``epochs``) and ``stop_reason``, a
        sentence saying why.
        """
        if not self.enabled:
            return {
                "epochs_run": epochs_run,
                "best_epoch": epochs_run,
                "stopped": STOPPED_AT_CAP,
                "stop_reason": fixed_epochs_reason(epochs_run),
            }
        margin = f"{self.min_improvement:.3g}"
        if converged:
            stopped = STOPPED_CONVERGED
            reason = (
                f"converged: the validation loss did not improve (relative margin {margin}) "
                f"for {self.patience} epochs after epoch {self.best_epoch}; stopped at epoch "
                f"{epochs_run} of at most {epochs}"
            )
        else:
            stopped = STOPPED_AT_CAP
            reason = (
                f"reached the cap of {epochs} epochs before converging: the best validation "
                f"loss was at epoch {self.best_epoch}, fewer than {self.patience} epochs "
                "(the patience) before the cap"
            )
        return {
            "epochs_run": epochs_run,
            "best_epoch": self.best_epoch,
            "stopped": stopped,
            "stop_reason": reason,
        }

    def state_dict(self) -> dict[str, Any]:
        """The state a checkpoint keeps (tensors and built-in types only)."""
        return {
            "best_loss": float(self.best_loss),
            "best_epoch": int(self.best_epoch),
            "best_state": self.best_state,
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.best_loss = float(state["best_loss"])
        self.best_epoch = int(state["best_epoch"])
        self.best_state = state["best_state"]
