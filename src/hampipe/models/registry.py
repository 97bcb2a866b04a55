"""The registries of the learning layer: models (``MODELS``) and methods (``METHODS``)."""

from hampipe.core.registry import Registry
from hampipe.plan.learners import LEARNERS, MODEL_SPECS

#: Config name -> model class (``methods.<name>.model``); each declared in
#: :data:`hampipe.plan.learners.MODEL_SPECS`, its declaration the class's ``spec``.
MODELS: Registry = Registry("model", MODEL_SPECS, traits=("hamiltonian", "separable"))
#: Learner name -> learning-method class (``methods.<name>`` or its ``method`` chain);
#: each declared in :data:`hampipe.plan.learners.LEARNERS`.
METHODS: Registry = Registry("method", LEARNERS, traits=("requires_sai",))
