"""The names a learning setting takes, declared once.

The config schema's enums (``x-registry``) are filled from these tuples, and the code
behind each setting (the torch activations, the data scalings, the SAI ranking, …) is
keyed by them: an implementation registered under a name missing here is refused at
import, and ``tests/plan/test_declarations.py`` checks that every name here has one.
Torch-free and import-cheap, so the Snakefile's parse reads them.
"""

from __future__ import annotations

#: ``methods.<entry>.activation``: the activation of the network.
ACTIVATIONS: tuple[str, ...] = ("rational", "tanh", "relu")
#: ``methods.<entry>.rational_sharing``: one rational coefficient set per layer or unit.
RATIONAL_SHARINGS: tuple[str, ...] = ("layer", "unit")
#: ``methods.<entry>.features``: what the network sees of q.
FEATURES: tuple[str, ...] = ("coordinates", "pairwise_distances")
#: ``methods.<entry>.scaling``: the data scales of the network's inputs.
SCALINGS: tuple[str, ...] = ("rms", "range", "none")
#: ``methods.<entry>.lr_schedule``: how the learning rate moves over the epochs.
LR_SCHEDULES: tuple[str, ...] = ("cosine", "constant", "plateau")
#: ``methods.<entry>.init``: how the network's linear layers start.
INITS: tuple[str, ...] = ("default", "orthogonal")
#: ``systems.spring.initial_state.sampling``: how a radius range becomes initial states.
RADIUS_SAMPLINGS: tuple[str, ...] = ("energy", "radius", "box")
#: ``methods.<entry>.dtype``: the training precision (a torch dtype's name).
DTYPES: tuple[str, ...] = ("float32", "float64")
#: ``methods.<hnn entry>.targets``: the time derivatives HNN's field is matched to.
TARGETS: tuple[str, ...] = ("central_differences", "exact", "exact_clean")
#: The targets taken from the true system (HNN is then built with it).
EXACT_TARGETS: tuple[str, ...] = ("exact", "exact_clean")
#: ``methods.<sann entry>.ranking``: where SAI is ranked to pick the stiff intervals.
RANKINGS: tuple[str, ...] = ("trajectory", "dataset")
