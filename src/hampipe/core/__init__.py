"""Layer 0: seeding, provenance, registries and config validation (imports nothing from hampipe)."""

from hampipe.core.config import ConfigError, check_consistency, merge_config, validate_config
from hampipe.core.logs import log_to
from hampipe.core.methods import check_methods, resolve_method
from hampipe.core.provenance import __version__
from hampipe.core.registry import Registry
from hampipe.core.seeding import derive_seed

__all__ = [
    "ConfigError",
    "Registry",
    "__version__",
    "check_consistency",
    "check_methods",
    "derive_seed",
    "merge_config",
    "log_to",
    "resolve_method",
    "validate_config",
]
