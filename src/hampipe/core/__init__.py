"""Layer 0: seeding, provenance, registries and config validation (imports nothing from hampipe)."""

from hampipe.core.config import ConfigError, check_consistency, merge_config, validate_config
from hampipe.core.logs import Progress, log_to, progress
from hampipe.core.methods import check_methods, resolve_method
from hampipe.core.provenance import __version__, end_job, provenance, start_job
from hampipe.core.registry import Registry
from hampipe.core.seeding import derive_seed

__all__ = [
    "ConfigError",
    "Progress",
    "Registry",
    "__version__",
    "check_consistency",
    "check_methods",
    "derive_seed",
    "end_job",
    "log_to",
    "merge_config",
    "progress",
    "provenance",
    "resolve_method",
    "start_job",
    "validate_config",
]
