"""Layer 3: training loop, vectorised ensembles of runs, observations (noise,
validation), resumable checkpoints.

Model files are :mod:`hampipe.models.io`'s and the device choice
:mod:`hampipe.models.device`'s; ``load_model``, ``save_model``, ``load_checkpoint`` and
``pick_device`` stay importable from here for older code.
"""

from hampipe.models.device import pick_device
from hampipe.models.io import load_model, save_model
from hampipe.models.io import read_model_file as load_checkpoint
from hampipe.training.ensemble import fit_ensemble, train_ensemble, train_ensemble_to_files
from hampipe.training.loop import fit, train, train_to_file
from hampipe.training.observations import add_noise, split_validation
from hampipe.training.resume import Checkpointer, checkpoint_key
from hampipe.training.search import partition_pairs, partition_search, partition_search_file

__all__ = [
    "Checkpointer",
    "add_noise",
    "checkpoint_key",
    "fit",
    "fit_ensemble",
    "load_checkpoint",
    "load_model",
    "partition_pairs",
    "partition_search",
    "partition_search_file",
    "pick_device",
    "save_model",
    "split_validation",
    "train",
    "train_ensemble",
    "train_ensemble_to_files",
    "train_to_file",
]
