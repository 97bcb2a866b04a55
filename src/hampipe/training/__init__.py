"""Layer 3: training loop, observations (noise, validation), model files."""

from hampipe.training.checkpoint import load_checkpoint, load_model, save_model
from hampipe.training.loop import fit, pick_device, train, train_to_file
from hampipe.training.observations import add_noise, split_validation
from hampipe.training.resume import Checkpointer, checkpoint_key
from hampipe.training.search import partition_pairs, partition_search, partition_search_file

__all__ = [
    "Checkpointer",
    "add_noise",
    "checkpoint_key",
    "fit",
    "load_checkpoint",
    "load_model",
    "partition_pairs",
    "partition_search",
    "partition_search_file",
    "pick_device",
    "save_model",
    "split_validation",
    "train",
    "train_to_file",
]
