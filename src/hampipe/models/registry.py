"""The registries of the learning layer: models (``MODELS``) and methods (``METHODS``)."""

from hampipe.core.registry import Registry

#: Config name -> model class (``methods.<name>.model``).
MODELS: Registry = Registry("model")
#: Config name -> learning-method class (``methods.<name>`` or its ``method`` key).
METHODS: Registry = Registry("method")
