"""Every figure and table of the workflow, declared once as a spec.

A spec names its output, what it reads (its inputs, from the :class:`~hampipe.plan.Plan`),
the options its drawing function receives, and the capability a system needs for ``all``
to draw it (a SANN entry was trained, a 1-dof linear system, a potential worth mapping),
never a system's name. ``workflow/rules/figures.smk`` and ``tables.smk`` define one rule
per spec (``figure_<name>``, ``table_<name>``) in a loop; the drawing functions are the
:data:`hampipe.plotting.FIGURES` and :data:`hampipe.plotting.TABLES` entries of the same
name (``draw``), and the report caption is ``workflow/report/<caption>.rst``.

Adding a figure: a drawing function in :mod:`hampipe.plotting`, a spec here, a caption.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hampipe.plan.experiment import Plan
from hampipe.plan.peers import peer_systems

Inputs = Mapping[str, Any]


def _always(plan: Plan, system: str) -> bool:
    return True


def _experiment_systems(plan: Plan) -> list[str]:
    return list(plan.config["experiments"])


@dataclass(frozen=True)
class FigureSpec:
    """One figure (or animation) of the workflow.

    Attributes
    ----------
    name
        The rule is ``figure_<name>``; the output ``results/figs/<stem>.<ext>`` with
        ``stem`` = ``{system}_<file or name>`` per system, ``<file or name>`` otherwise.
    inputs
        ``(plan, system) -> {input name: path or paths}`` (``system`` is None for a
        figure of all systems).
    options
        ``(plan, system) -> options`` of the drawing function.
    draw
        The ``FIGURES`` entry that draws it (default: ``name``).
    applies
        ``(plan, system) -> bool``: the capability; ``all`` draws the figure for the
        systems of ``systems`` where it holds.
    systems
        ``plan -> candidate systems`` (default: those of ``experiments``).
    per_system
        False for one figure over all systems (no ``{system}`` wildcard).
    file
        The output's stem after ``{system}_`` when it differs from ``name``.
    animation
        A GIF drawn by the animation script instead of a PDF with PNG and CSV beside it.
    caption
        ``workflow/report/<caption>.rst`` (default: ``name``).
    """

    name: str
    inputs: Callable[[Plan, str | None], Inputs]
    options: Callable[[Plan, str | None], dict[str, Any]]
    draw: str = ""
    applies: Callable[[Plan, str], bool] = _always
    systems: Callable[[Plan], list[str]] = _experiment_systems
    per_system: bool = True
    file: str = ""
    animation: bool = False
    caption: str = ""

    @property
    def function(self) -> str:
        """The ``FIGURES`` entry (or animation) that draws this figure."""
        return self.draw or self.name

    @property
    def stem(self) -> str:
        """The output path without extension, ``{system}`` left as a wildcard."""
        base = self.file or self.name
        return f"results/figs/{{system}}_{base}" if self.per_system else f"results/figs/{base}"

    @property
    def log(self) -> str:
        """The rule's log file (``{system}`` left as a wildcard)."""
        where = "/{system}" if self.per_system else ""
        return f"logs/figure_{self.name}{where}.log"

    @property
    def benchmark(self) -> str:
        """The rule's benchmark file (``{system}`` left as a wildcard)."""
        where = "/{system}" if self.per_system else ""
        return f"results/benchmarks/figure_{self.name}{where}.tsv"

    def path(self, system: str | None = None) -> str:
        """The figure's PDF (or GIF) for ``system``."""
        stem = self.stem.replace("{system}", system) if system else self.stem
        return stem + (".gif" if self.animation else ".pdf")

    def drawn_for(self, plan: Plan, system: str) -> bool:
        """Whether ``all`` draws this figure for ``system``."""
        return system in self.systems(plan) and self.applies(plan, system)


@dataclass(frozen=True)
class TableSpec:
    """One table: ``results/tables/<name>.csv`` with a Markdown copy, rule ``table_<name>``.

    ``inputs(plan)`` and ``options(plan)`` give the ``TABLES`` entry's input files and
    options; ``applies(plan)`` whether ``all`` writes it (a configured ``tables`` block).
    """

    name: str
    inputs: Callable[[Plan], Inputs]
    options: Callable[[Plan], dict[str, Any]]
    applies: Callable[[Plan], bool]


FIGURES: dict[str, FigureSpec] = {}
TABLES: dict[str, TableSpec] = {}


def figure(spec: FigureSpec) -> FigureSpec:
    """Declare a figure (once per name)."""
    if spec.name in FIGURES:
        raise ValueError(f"figure {spec.name!r} is declared twice")
    FIGURES[spec.name] = spec
    return spec


def table(spec: TableSpec) -> TableSpec:
    """Declare a table (once per name)."""
    if spec.name in TABLES:
        raise ValueError(f"table {spec.name!r} is declared twice")
    TABLES[spec.name] = spec
    return spec


# ------------------------------------------------------------------ inputs, options
def _collected(selection: str) -> Callable[[Plan, str | None], Inputs]:
    def inputs(plan: Plan, system: str | None) -> Inputs:
        return {"collected": plan.collected(system, selection)}

    return inputs


def _sai(plan: Plan, system: str | None) -> Inputs:
    return {"sai": f"results/sai/{system}.nc"}


def _train(plan: Plan, system: str | None) -> Inputs:
    return {"data": f"results/data/{system}/train.nc"}


def _nothing(plan: Plan, system: str | None) -> Inputs:
    return {}


def _methods_of(selection: str) -> Callable[[Plan, str | None], dict[str, Any]]:
    def options(plan: Plan, system: str | None) -> dict[str, Any]:
        return {"methods": plan.selection(system, selection)}

    return options


def _probes(kind: str) -> Callable[[Plan, str | None], Inputs]:
    def inputs(plan: Plan, system: str | None) -> Inputs:
        return plan.probes(system, kind)

    return inputs


def _no_options(plan: Plan, system: str | None) -> dict[str, Any]:
    return {}


def _has_selection(selection: str) -> Callable[[Plan, str], bool]:
    def applies(plan: Plan, system: str) -> bool:
        return bool(plan.selection(system, selection))

    return applies


def _trains_sann(plan: Plan, system: str) -> bool:
    return bool(plan.sann_entries(system))


def _probed(kind: str) -> Callable[[Plan, str], bool]:
    def applies(plan: Plan, system: str) -> bool:
        return bool(plan.probed(system, kind))

    return applies


def _trajectory(plan: Plan) -> int:
    return plan.config["figures"]["trajectory"]


# ------------------------------------------------------------------------ figures
figure(
    FigureSpec(
        "potential",
        inputs=_nothing,
        options=lambda plan, system: {"system": plan.system_spec(system)},
        draw="billiard_potential",
        applies=lambda plan, system: plan.systems[system].potential_extent() is not None,
    )
)
figure(
    FigureSpec(
        "energy",
        _collected("learners"),
        lambda plan, system: {
            "methods": plan.selection(system, "learners"),
            **(plan.stiffness(system) if _trains_sann(plan, system) else {}),
        },
    )
)
figure(FigureSpec("mse", _collected("learners"), _methods_of("learners")))
figure(
    FigureSpec(
        "activations",
        _collected("activation"),
        _methods_of("activation"),
        applies=_has_selection("activation"),
    )
)
figure(
    FigureSpec(
        "resampling",
        _collected("replication"),
        _methods_of("replication"),
        applies=_has_selection("replication"),
    )
)
figure(
    FigureSpec("noise", _collected("noise"), _methods_of("noise"), applies=_has_selection("noise"))
)
figure(
    FigureSpec(
        "epochs", _collected("epochs"), _methods_of("epochs"), applies=_has_selection("epochs")
    )
)
figure(
    FigureSpec(
        "sai_si",
        _sai,
        lambda plan, system: {**plan.stiffness(system), "trajectory": "strongest"},
        applies=_trains_sann,
    )
)
figure(FigureSpec("sai_percentiles", _sai, _no_options, applies=_trains_sann))
figure(
    FigureSpec(
        "sai_translation",
        _train,
        lambda plan, system: {
            "gamma": plan.stiffness(system)["gamma"],
            "shifts": plan.config["figures"]["sai_shifts"],
            "trajectory": _trajectory(plan),
            "seed": plan.seed("sai_translation", system),
        },
        applies=_trains_sann,
    )
)
figure(
    FigureSpec(
        "learned_potential",
        _probes("potential"),
        lambda plan, system: {"styles": plan.styles(plan.probed(system, "potential"))},
        applies=_probed("potential"),
    )
)
figure(
    FigureSpec(
        "meshgrid_error",
        _probes("field"),
        lambda plan, system: {
            "styles": plan.styles(plan.probed(system, "field")),
            "tolerances": plan.config["figures"]["meshgrid_tolerances"],
        },
        applies=_probed("field"),
    )
)
figure(
    FigureSpec(
        "orbits",
        _collected("learners"),
        lambda plan, system: {
            "methods": plan.shown(system),
            "trajectory": _trajectory(plan),
            "outlines": plan.systems[system].outlines(),
        },
    )
)
figure(
    FigureSpec(
        "energy_heatmap",
        _collected("learners"),
        lambda plan, system: {"method": plan.shown(system)[0]},
    )
)
figure(
    FigureSpec(
        "animation",
        _collected("learners"),
        lambda plan, system: {
            "methods": plan.shown(system),
            "trajectory": _trajectory(plan),
            "frames": plan.config["figures"]["animation_frames"],
            "outlines": plan.systems[system].outlines(),
        },
        systems=lambda plan: [
            s for s in plan.config["figures"]["animations"] if s in plan.config["experiments"]
        ],
        file="orbits",
        animation=True,
    )
)
figure(
    FigureSpec(
        "error_by_stiffness",
        _collected("learners"),
        lambda plan, system: {"methods": plan.shown(system), **plan.stiffness(system)},
        applies=_trains_sann,
    )
)
figure(
    FigureSpec(
        "integrator_drift",
        lambda plan, system: {"drift": f"results/drift/{system}.nc"},
        _no_options,
        systems=lambda plan: list(plan.config["integrator_drift"]),
    )
)
figure(
    FigureSpec(
        "valid_prediction_time",
        lambda plan, system: {
            s: f"results/collected/{s}/learners.nc" for s in plan.config["experiments"]
        },
        lambda plan, system: {
            "threshold": plan.config["figures"]["valid_prediction_threshold"],
            "methods": {s: plan.shown(s) for s in plan.config["experiments"]},
        },
        per_system=False,
    )
)


# ------------------------------------------------------------------------- tables
def _configured(name: str) -> Callable[[Plan], bool]:
    def applies(plan: Plan) -> bool:
        return name in plan.config["tables"]

    return applies


def _block(plan: Plan, name: str) -> dict[str, Any]:
    if name not in plan.config["tables"]:
        raise ValueError(
            f"results/tables/{name}.csv needs the config block 'tables.{name}' (see config.yaml)"
        )
    return dict(plan.config["tables"][name])


def _table_of_selection(name: str) -> Callable[[Plan], Inputs]:
    def inputs(plan: Plan) -> Inputs:
        options = _block(plan, name)
        systems = options.get("systems", [options.get("system")])
        return {s: plan.collected(s, name) for s in systems}

    return inputs


table(
    TableSpec(
        "summary",
        inputs=lambda plan: {s: plan.collected(s, "all") for s in plan.config["experiments"]},
        options=lambda plan: {
            "methods": dict(plan.config["experiments"]),
            "seed": plan.seed("summary"),
        },
        applies=lambda plan: True,
    )
)


def _sann_systems(plan: Plan) -> list[str]:
    return [s for s in plan.config["experiments"] if plan.sann_entries(s)]


table(
    TableSpec(
        "stiffness",
        inputs=lambda plan: {s: plan.collected(s, "learners") for s in _sann_systems(plan)},
        options=lambda plan: {
            "methods": {s: plan.shown(s) for s in _sann_systems(plan)},
            "stiffness": {s: plan.stiffness(s) for s in _sann_systems(plan)},
            "seed": plan.seed("stiffness"),
        },
        applies=lambda plan: bool(_sann_systems(plan)),
    )
)
for _name in ("ablation", "inseparable"):
    table(
        TableSpec(
            _name,
            inputs=_table_of_selection(_name),
            options=lambda plan, name=_name: _block(plan, name),
            applies=_configured(_name),
        )
    )


def _search(plan: Plan) -> Inputs:
    block = _block(plan, "partition_search")
    return {"search": f"results/search/{block['system']}/{block['method']}.nc"}


table(
    TableSpec(
        "partition_search",
        inputs=_search,
        options=lambda plan: {},
        applies=_configured("partition_search"),
    )
)


# ------------------------------------------------------------------------- peers
def _compares(plan: Plan, system: str | None = None) -> bool:
    return bool(plan.config["peers"]["comparisons"])


def _peer_inputs(plan: Plan) -> Inputs:
    block = plan.config["peers"]
    return {
        **{s: plan.collected(s, "peers") for s in peer_systems(plan.config)},
        "published": block["published"],
    }


table(
    TableSpec(
        "peers",
        inputs=_peer_inputs,
        options=lambda plan: {
            "comparisons": dict(plan.config["peers"]["comparisons"]),
            "bands": dict(plan.config["peers"]["bands"]),
        },
        applies=_compares,
    )
)
figure(
    FigureSpec(
        "peers",
        lambda plan, system: {"table": "results/tables/peers.csv"},
        _no_options,
        applies=_compares,
        per_system=False,
    )
)
