"""The learning methods and models, declared once, torch-free.

Each learner (``hnn``, ``srnn``, ``sann``, ``hinn``, ``ode``) is a :class:`LearnerSpec`:
its settings (a :class:`~hampipe.core.settings.Block` of fields with types, bounds,
defaults and descriptions), its traits and its display label. Each model is a
:class:`ModelSpec`: what it offers integrators and which optional settings it takes.
From these come

- the config schema's ``methods.<learner>`` blocks (:func:`hampipe.plan.schema.load_schema`
  inserts :meth:`LearnerSpec.schema`), so the YAML schema keeps no copy;
- the traits the plan and the resource estimates read (``requires_sai``, ``separable``);
- the typed settings a training or evaluation job works with
  (:meth:`LearnerSpec.typed`), defaults filled once, here;
- the torch classes' own traits: ``hampipe.models``' registries accept only the names
  declared here and give each class its declaration as ``spec``.

A config *entry* (``sann_k4``) names a learner through its ``method`` chain
(:func:`hampipe.core.methods.resolve_method`); the word *learner* is kept for these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hampipe.core.settings import Block, Field, boolean, choice, integer, nested, number
from hampipe.integrators import INTEGRATORS


@dataclass(frozen=True)
class ModelSpec:
    """What a model offers integrators, and the optional settings its constructor takes.

    ``hamiltonian``: the model learns H, so ∂H/∂q and ∂H/∂p exist; ``separable``:
    H = T(p) + V(q), so leapfrog and symplectic Euler apply. ``options``: the settings of
    :data:`MODEL_OPTIONS` the model takes (a model lacking one refuses a non-default
    value of it, checked before any job).
    """

    name: str
    hamiltonian: bool
    separable: bool
    options: frozenset[str] = frozenset()
    description: str = ""

    @property
    def arguments(self) -> tuple[str, ...]:
        """The settings the model's constructor takes, in the order of the settings."""
        return tuple(k for k in LEARNING if k in NETWORK or k in self.options)


#: Settings every network takes.
NETWORK = ("width", "depth", "activation", "rational_sharing", "output_bias")
#: Settings only some models take.
MODEL_OPTIONS = ("features", "spatial_dim", "time_input")

#: ``methods.<entry>.model`` name -> declaration.
MODEL_SPECS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "general",
            hamiltonian=True,
            separable=False,
            options=frozenset({"features", "spatial_dim"}),
            description="a general H(q, p) (SANN App. H)",
        ),
        ModelSpec(
            "resnet",
            hamiltonian=True,
            separable=False,
            options=frozenset({"time_input"}),
            description="HINN's ResNet H(t, q, p)",
        ),
        ModelSpec(
            "separable",
            hamiltonian=True,
            separable=True,
            options=frozenset({"features", "spatial_dim"}),
            description="a separable H = p^T M p + phi(q) (SANN Eq. 2)",
        ),
        ModelSpec(
            "vector_field",
            hamiltonian=False,
            separable=False,
            description="a black-box vector field",
        ),
    )
}


def _integrator_options() -> Block:
    """Every option an integrator declares for the config (tolerances, iterations), in
    registry order: the ``prediction`` block takes them, so a new integrator's options
    (registered by ``hampipe.integrators``' import) are settable without more. Two
    integrators that declare one option name declare it alike (else ``ValueError``)."""
    fields: dict[str, Field] = {}
    for name in INTEGRATORS:
        for key, field in INTEGRATORS.get_class(name).options.configurable().items():
            if fields.setdefault(key, field) != field:
                raise ValueError(
                    f"integrator {name!r} declares option {key!r} unlike another integrator; "
                    "one config key must mean one thing"
                )
    return Block(**fields)


_PREDICTION_OPTIONS = _integrator_options()


def _prediction(integrator: str, description: str) -> Field:
    return nested(
        Block(integrator=choice("integrators", integrator, description), **_PREDICTION_OPTIONS),
        "how evaluate rolls the learned model out (step: systems.<system>.evaluation.step)",
    )


#: The settings every learner has (SANN App. C's network and optimiser; App. F's noise).
LEARNING = Block(
    model=choice(
        "models",
        "separable",
        "the learned model (hampipe.models.MODELS): separable H = p^T M p + phi(q) (SANN "
        "Eq. 2), general H(q, p) (SANN App. H), resnet H(t, q, p) (HINN), vector_field "
        "(black box)",
    ),
    width=integer(256, "hidden units per layer", minimum=1, maximum=65536),
    depth=integer(3, "hidden layers (residual layers for resnet)", minimum=1, maximum=1000),
    activation=choice("activations", "rational", "activation of the network"),
    rational_sharing=choice(
        "rational_sharings", "layer", "one rational coefficient set per layer or per unit"
    ),
    output_bias=boolean(
        True, "a bias on the network's output layer (the HNN paper's networks have none)"
    ),
    init=choice(
        "inits",
        "default",
        "initial weights: torch's default, or orthogonal weights and zero biases in every "
        "linear layer (the HNN and DGNet code)",
    ),
    features=choice(
        "features",
        "coordinates",
        "what the network sees of q: scaled coordinates, or the distances between bodies "
        "(SANN Eq. 10; particle systems)",
    ),
    spatial_dim=integer(2, "coordinates per body for pairwise_distances", minimum=1, maximum=3),
    time_input=boolean(True, "resnet model: feed the time t in (HINN)"),
    scaling=choice(
        "scalings",
        "rms",
        "data scales of the network's inputs and outputs: RMS, the spring study's "
        "normalisation into [-1, 1], or none (raw units, as the HNN and DGNet code)",
    ),
    epochs=integer(
        3000, "training epochs (the cap, with early stopping)", minimum=1, maximum=1_000_000
    ),
    patience=integer(
        0,
        "early stopping: stop once the validation loss has not improved for this many "
        "epochs and keep the best epoch's weights (needs validation > 0); 0 trains all "
        "the epochs (the paper's fixed-epoch recipe)",
        minimum=0,
        maximum=1_000_000,
    ),
    min_improvement=number(
        1.0e-3,
        "early stopping: the relative drop of the validation loss below its best that "
        "counts as an improvement",
        minimum=0,
        exclusive_maximum=1,
    ),
    batch_size=integer(1024, "examples per mini-batch", minimum=1, maximum=10_000_000),
    learning_rate=number(1.0e-3, "initial Adam learning rate", exclusive_minimum=0, maximum=10),
    # 1e4: in ten quick-config trainings (every learner of the spring, billiard and
    # three-body) no epoch's loss rose above 3 times the lowest before it; HNN at a learning
    # rate of 10 rises 1e5 times in its second epoch
    blowup_factor=number(
        1.0e4,
        "training stops as diverged, writing no model, once an epoch's mean training loss "
        "exceeds this many times the lowest epoch loss so far (as at a NaN loss)",
        exclusive_minimum=1,
        maximum=1.0e100,
    ),
    lr_schedule=choice(
        "lr_schedules",
        "cosine",
        "the learning rate over the epochs: cosine decay to 0 (SANN §4.1), constant "
        "(the HNN and DGNet code), or plateau: halved whenever the validation loss has not "
        "improved for half the patience (with early stopping)",
    ),
    weight_decay=number(
        0.0,
        "Adam's L2 penalty: weight_decay * theta added to every gradient (HNN and DGNet: "
        "1e-4 on the spring and pendulum)",
        minimum=0,
        maximum=10,
    ),
    dtype=choice("dtypes", "float32", "training precision"),
    compile=boolean(
        False,
        "train on the CPU with the rational activation's value, slope and backward pass "
        "compiled into fused kernels by torch.compile (the same formulas, equal to "
        "rounding; needs a C++ compiler, a few seconds of compiling per job; no effect on "
        "a GPU, in vectorised ensembles or with other activations)",
    ),
    validation=number(
        0.1,
        "fraction of training trajectories held out for the per-epoch validation loss",
        minimum=0,
        exclusive_maximum=1,
    ),
    noise=number(
        0.0,
        "std of Gaussian noise added to the training observations (SANN App. F); the data "
        "files are untouched",
        minimum=0,
        maximum=1e6,
    ),
    ensemble=boolean(
        False,
        "train all seeds of this entry on a system in one train_ensemble job, as a "
        "vectorised ensemble (stacked weights, one batched step); each seed's model file "
        "as its own train job would write it, to float rounding. Pays on a GPU and with "
        "many seeds; on a CPU slower than separate jobs at few seeds",
    ),
    prediction=_prediction(
        "leapfrog",
        "integrator of the test rollouts (leapfrog for separable models, dopri5 for general ones)",
    ),
)
#: Settings that decide how an entry's training jobs run, not what a run computes: the
#: workflow reads them, the learner's training (``fit``) does not, and they stay out of
#: the ``hyperparameters`` a job and its model file receive.
JOB_SETTINGS = ("ensemble",)

#: A loss that integrates every observed interval in sub-steps (SRNN, HINN, the ODE).
INTERVALS = Block(
    integrator=choice(
        "integrators", "leapfrog", "integrator inside the loss (leapfrog needs a separable model)"
    ),
    iterations=INTEGRATORS.get_class("stormer_verlet")
    .options["iterations"]
    .with_(description="fixed-point iterations of stormer_verlet in the loss"),
    substeps=integer(10, "sub-steps S of every observed interval", minimum=1, maximum=100_000),
    window=integer(
        1,
        "observed intervals rolled out from one observed state (SRNN's multi-step loss)",
        minimum=1,
        maximum=100_000,
    ),
)

_INSEPARABLE_PREDICTION = _prediction("stormer_verlet", "integrator of the test rollouts")

#: The config's ``per_system`` key of an entry (not a setting: resolving removes it).
PER_SYSTEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "default": {},
    "description": "system -> keys of this entry that differ for that system "
    "(e.g. billiard: {epochs: 500})",
    "propertyNames": {"pattern": r"\A[a-z][a-z0-9_]*\Z"},
    "additionalProperties": {"type": "object", "description": "keys of this entry for one system"},
}


@dataclass(frozen=True)
class LearnerSpec:
    """A learning method: its settings, traits and label.

    ``requires_sai``: its examples need the SAI annotation of the split (SANN);
    ``label``: the name figures and tables show for the learner's own entry.
    """

    name: str
    settings: Block
    label: str
    requires_sai: bool = False
    description: str = ""

    def schema(self) -> dict[str, Any]:
        """The JSON schema of the config block ``methods.<name>`` (and of every entry
        that resolves to this learner), ``per_system`` included."""
        node = self.settings.schema()
        node["properties"]["per_system"] = PER_SYSTEM_SCHEMA
        return node

    def defaults(self) -> dict[str, Any]:
        return self.settings.defaults()

    def typed(self, values: Mapping[str, Any], where: str | None = None) -> Any:
        """The settings of one run as a frozen dataclass, defaults filled and checked."""
        return self.settings.typed(values, where or f"methods.{self.name}")


#: Learner name -> declaration, in the order figures list them.
LEARNERS: dict[str, LearnerSpec] = {
    spec.name: spec
    for spec in (
        LearnerSpec(
            "hnn",
            Block(
                **LEARNING,
                targets=choice(
                    "targets",
                    "central_differences",
                    "time derivatives the field is matched to: central differences of the "
                    "trajectories, the true system's at the observed states (exact), or at "
                    "the noise-free states while the inputs carry the noise (exact_clean, "
                    "the HNN paper's noisy tasks)",
                ),
            ),
            label="HNN",
            description="Hamiltonian neural network: the field matched to time derivatives",
        ),
        LearnerSpec(
            "srnn",
            Block(**LEARNING, **INTERVALS),
            label="SRNN",
            description="symplectic recurrent network: leapfrog rollouts of every interval",
        ),
        LearnerSpec(
            "sann",
            Block(
                **LEARNING,
                integrator=choice(
                    "integrators",
                    "leapfrog",
                    "integrator inside the loss (leapfrog, App. C; euler for the general "
                    "model, App. H)",
                ),
                iterations=INTERVALS["iterations"],
                gamma=number(
                    0.1,
                    "stiff ratio; the top-gamma intervals by SAI are stiff",
                    minimum=0,
                    exclusive_maximum=1,
                ),
                partitions=nested(
                    Block(
                        stiff=integer(
                            50, "sub-steps of stiff intervals", minimum=1, maximum=100_000
                        ),
                        nonstiff=integer(
                            10, "sub-steps of nonstiff intervals", minimum=1, maximum=100_000
                        ),
                    ),
                    "sub-steps S per observed interval",
                ),
                replication=integer(
                    8,
                    "K: each stiff interval appears K times per epoch",
                    minimum=1,
                    maximum=10_000,
                ),
                ranking=choice(
                    "rankings",
                    "trajectory",
                    "rank SAI within each trajectory or over the whole split",
                ),
            ),
            label="SANN",
            requires_sai=True,
            description="stiffness-aware network: more sub-steps on the stiff intervals",
        ),
        LearnerSpec(
            "hinn",
            Block(
                **LEARNING,
                **INTERVALS,
            ).but(
                model={
                    "default": "resnet",
                    "description": "the learned model; HINN's ResNet of [t, q, p] by default",
                },
                width={"default": 3, "description": "units per residual layer (HINN 3)"},
                depth={"default": 20, "description": "residual layers (HINN 20)"},
                activation={"default": "tanh"},
                epochs={"default": 1500, "description": "training epochs (HINN 1500)"},
                integrator={
                    "default": "stormer_verlet",
                    "description": "the Verlet step (implicit for HINN's inseparable H)",
                },
                substeps={
                    "default": 1,
                    "description": "Verlet steps per observed interval (HINN 1)",
                },
                prediction=_INSEPARABLE_PREDICTION,
            ),
            label="HINN",
            description="Hamiltonian-inspired network: a ResNet H(t, q, p), one Verlet step",
        ),
        LearnerSpec(
            "ode",
            Block(**LEARNING, **INTERVALS).but(
                model={
                    "default": "vector_field",
                    "description": "the learned model; the black-box vector field by default",
                },
                activation={"default": "tanh"},
                integrator={
                    "default": "stormer_verlet",
                    "description": "integrator inside the loss (the inseparable form of leapfrog)",
                },
                prediction=_INSEPARABLE_PREDICTION,
            ),
            label="ODE",
            description="black box: a vector field rolled out like SRNN",
        ),
    )
}


def learner(name: str) -> LearnerSpec:
    """The declaration of learner ``name``; ``ValueError`` listing the valid names."""
    try:
        return LEARNERS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; valid: {', '.join(LEARNERS)}") from None


def model_spec(name: str) -> ModelSpec:
    """The declaration of model ``name``; ``ValueError`` listing the valid names."""
    try:
        return MODEL_SPECS[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(MODEL_SPECS)}") from None


def requires_sai(name: str) -> bool:
    """Whether learner ``name`` trains on the SAI annotation (SANN)."""
    return learner(name).requires_sai
