"""What a training run sees of the training split: noise and the validation hold-out."""

from __future__ import annotations

import numpy as np
import xarray as xr

from hampipe.core.config import held_out
from hampipe.sai import annotate


def add_noise(data: xr.Dataset, std: float, rng: np.random.Generator) -> xr.Dataset:
    """Observations with Gaussian noise of standard deviation ``std`` on every q and p.

    SANN Appendix F: "we add the Gaussian noise with different noise levels (standard
    deviation) to the clean training data". A copy is returned; ``data`` (and the file
    it came from) is untouched. ``std = 0`` returns ``data`` itself. The copy keeps the
    clean states as ``q_clean`` and ``p_clean`` (HNN's ``targets: exact_clean`` takes
    its targets there); every method reads its inputs from ``q`` and ``p``.
    """
    if std < 0:
        raise ValueError(f"noise must be >= 0, got {std}")
    if std == 0:
        return data
    noisy = data.copy(deep=True)
    noisy["q"] = data.q + rng.normal(0.0, std, data.q.shape)
    noisy["p"] = data.p + rng.normal(0.0, std, data.p.shape)
    noisy["q_clean"], noisy["p_clean"] = data.q, data.p
    return noisy.assign_attrs(observation_noise=std)


def split_validation(
    data: xr.Dataset,
    fraction: float,
    rng: np.random.Generator,
    key: str = "methods.<method>.validation",
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and validation trajectories (whole trajectories held out).

    round(fraction · n) trajectories, at least one when ``fraction > 0``, are drawn with
    ``rng`` for validation; at least one trajectory always stays for training. Errors
    name the config ``key``.
    """
    n = data.sizes["trajectory"]
    if not 0 <= fraction < 1:
        raise ValueError(f"{key}: validation fraction must lie in [0, 1), got {fraction}")
    n_val = held_out(fraction, n)
    if n_val >= n:
        raise ValueError(
            f"{key}: validation fraction {fraction} leaves no training trajectory of {n}; "
            f"lower {key} or simulate more trajectories"
        )
    order = rng.permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def observed_annotation(
    data: xr.Dataset, sai: xr.Dataset | None, noise: float
) -> xr.Dataset | None:
    """The SAI of the observations a run trains on.

    Without noise that is the ``sai`` stage's annotation; with noise the SAI (Eq. 5) is
    recomputed from the noisy observations, since a learner only ever sees those.
    """
    if sai is None or noise == 0:
        return sai
    return annotate(data)
