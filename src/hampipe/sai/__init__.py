"""Layer 2: the stiffness-aware index (SAI), the stiffness index (SI), partitions."""

from hampipe.sai.index import annotate, annotate_file, stiffness_aware_index, stiffness_index
from hampipe.sai.partition import RANKINGS, replicate_stiff, stiff_mask

__all__ = [
    "RANKINGS",
    "annotate",
    "annotate_file",
    "replicate_stiff",
    "stiff_mask",
    "stiffness_aware_index",
    "stiffness_index",
]
