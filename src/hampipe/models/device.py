"""The torch device a job runs on, from the config key ``device``."""

from __future__ import annotations

import torch


def pick_device(requested: str | torch.device = "auto") -> torch.device:
    """The torch device of the config key ``device``: ``auto`` → CUDA when available.

    Parameters
    ----------
    requested
        ``auto`` (CUDA when torch sees a GPU, else CPU), ``cpu``, ``cuda`` or
        ``cuda:<index>``, or a ``torch.device``.

    Raises
    ------
    ValueError
        Naming the key ``device``, for a name torch does not know or a CUDA device that
        this machine lacks.
    """
    if isinstance(requested, str) and requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except (RuntimeError, TypeError) as error:
        raise ValueError(
            f"device: unknown device {requested!r} ({error}); use auto, cpu or cuda"
        ) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device: {str(requested)!r} asks for a GPU, but torch sees no CUDA device "
                f"(torch {torch.__version__}, built for CUDA {torch.version.cuda}); "
                "set device: auto or cpu, or run the job where a GPU is visible"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(
                f"device: {str(requested)!r}, but torch sees "
                f"{torch.cuda.device_count()} CUDA device(s)"
            )
    return device


__all__ = ["pick_device"]
