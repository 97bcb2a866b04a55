"""Layer 3: training loop, checkpoints and model loading."""

from hampipe.training.loop import (
    fit,
    load_checkpoint,
    load_model,
    pick_device,
    save_model,
    train,
    train_to_file,
)

__all__ = [
    "fit",
    "load_checkpoint",
    "load_model",
    "pick_device",
    "save_model",
    "train",
    "train_to_file",
]
