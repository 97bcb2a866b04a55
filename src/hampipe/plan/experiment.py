"""The experiment plan: what the workflow runs, compares, draws and tabulates.

:class:`Plan` is built once from the checked config (:meth:`Plan.from_config`) and
answers every policy question the Snakefile's input and params functions ask: which
entries a figure compares (:meth:`Plan.selection`), which figures and tables a system
gets (:meth:`Plan.figures_of`, from the specs of :mod:`hampipe.plan.outputs` and their
capabilities, never a system's name), what a job of each stage receives as params, and
every file ``all`` makes (:meth:`Plan.final_outputs`). It is torch-free and tested in
``tests/plan/``; ``workflow/rules/common.smk`` only adapts wildcards to it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from hampipe.core import derive_seed
from hampipe.core.methods import resolve_method
from hampipe.plan.checks import checked_systems
from hampipe.plan.families import learner_families, setting_family
from hampipe.plan.feasible import check_feasible
from hampipe.plan.learners import JOB_SETTINGS, LEARNERS, requires_sai
from hampipe.plan.peers import peer_entries
from hampipe.plan.screen import screen_files, unlisted_systems, warn_unlisted
from hampipe.plan.styles import presentation
from hampipe.systems import (
    HamiltonianSystem,
    builtin_of,
    split_initial_state,
    system_definition,
)

#: Method selections a collected dataset holds: ``results/collected/{system}/{selection}.nc``.
SELECTIONS = (
    "learners",
    "activation",
    "replication",
    "noise",
    "epochs",
    "ablation",
    "inseparable",
    "peers",
    "all",
)
#: What a selection's figures need, said when it is empty for a system.
_EMPTY = {
    "activation": "at least two SANN entries that differ only in 'activation'",
    "replication": "at least two SANN entries that differ only in 'replication'",
}


class Plan:
    """The plan of one checked config.

    Parameters
    ----------
    config
        The workflow's config, validated and with the schema's defaults filled in
        (:func:`hampipe.plan.check_config`).
    systems
        Every configured system, built (system name -> :class:`HamiltonianSystem`): the
        figures a system gets depend on what it offers (its degrees of freedom, a
        potential worth mapping, a linear vector field).
    """

    def __init__(self, config: Mapping[str, Any], systems: Mapping[str, HamiltonianSystem]):
        self.config = config
        self.systems = dict(systems)
        self._entries: dict[tuple[str, str | None], tuple[str, dict[str, Any]]] = {}
        self._shared: dict[str, dict[str, str]] = {}

    @classmethod
    def from_config(
        cls,
        config: dict,
        schema: str | os.PathLike,
        warn: bool = False,
        files: Iterable[str | os.PathLike] = (),
    ) -> Plan:
        """Check ``config`` in place (every problem in one :class:`ConfigError`) and plan it;
        with ``warn``, then warn about the systems no ``experiments`` entry names
        (:func:`~hampipe.plan.checks.warn_unlisted`; the workflow asks, on its one check
        of the merged config).

        ``files`` are the config files ``config`` was merged from (the workflow passes
        Snakemake's ``workflow.configfiles``): each is first re-read strictly
        (:func:`~hampipe.plan.screen.screen_files`: a repeated key, an alias bomb, a
        recursive alias). Once the config passes its checks, a plan whose estimated
        work no machine could finish is refused (:func:`~hampipe.plan.feasible.check_feasible`)
        unless ``limits.allow_huge`` is set.
        """
        screen_files(files)
        unlisted = unlisted_systems(config)
        plan = cls(config, checked_systems(config, schema))
        check_feasible(plan)
        if warn:
            warn_unlisted(unlisted)
        return plan

    # ------------------------------------------------------------------ entries
    @property
    def seeds(self) -> int:
        return int(self.config["seeds"])

    def entry(self, method: str, system: str | None = None) -> tuple[str, dict[str, Any]]:
        """(learner, resolved settings) of methods entry ``method`` for ``system``."""
        key = (method, system)
        if key not in self._entries:
            self._entries[key] = resolve_method(self.config["methods"], method, system)
        return self._entries[key]

    def setting(self, method: str, system: str | None, key: str) -> Any:
        """Setting ``key`` of entry ``method`` for ``system``: as resolved from the config,
        else its learner's declared default (:data:`hampipe.plan.learners.LEARNERS`)."""
        learner, settings = self.entry(method, system)
        if key in settings:
            return settings[key]
        try:
            return LEARNERS[learner].defaults()[key]
        except KeyError:
            raise KeyError(f"methods.{method}: no setting {key!r} and no default for it") from None

    def learner(self, method: str, system: str | None = None) -> str:
        """The learning method (a ``METHODS`` name) that entry ``method`` runs."""
        return self.entry(method, system)[0]

    def hyperparameters(self, method: str, system: str) -> dict[str, Any]:
        """The entry's training settings for the system, without its ``prediction``
        block (which reaches ``evaluate`` alone: changing it reruns no training) and its
        job settings (:data:`~hampipe.plan.learners.JOB_SETTINGS`: ``ensemble`` picks the
        rule that trains, :meth:`method_constraint`)."""
        settings = self.entry(method, system)[1]
        return {k: v for k, v in settings.items() if k not in ("prediction", *JOB_SETTINGS)}

    def ensemble(self, method: str, system: str) -> bool:
        """Whether entry ``method``'s seeds on ``system`` train together, in one
        ``train_ensemble`` job (its ``ensemble`` setting), rather than one ``train`` job
        each."""
        return bool(self.setting(method, system, "ensemble"))

    def trained_as(self, method: str, system: str) -> str:
        """The entry whose training jobs make entry ``method``'s models on ``system``.

        Identical runs train once: entries with the same learner and the same training
        settings (declared defaults filled in, ``prediction`` left out) share one
        training job per seed, named after the first of them in the config's order
        (in ``config.yaml``, ``sann_exp5`` trains as ``sann``). Each entry is still
        evaluated and listed under its own name. ``ensemble`` counts as a training
        setting here: an entry trained in an ensemble ends elsewhere in its last bits,
        so it shares no model with an entry trained alone.
        """
        return self._trained_as(system).get(method, method)

    def _trained_as(self, system: str) -> dict[str, str]:
        if system not in self._shared:
            first: dict[str, str] = {}
            shared = {}
            for name in self.config["methods"]:
                learner, settings = self.entry(name, system)
                if learner not in LEARNERS:
                    continue
                filled = {**LEARNERS[learner].defaults(), **settings}
                filled.pop("prediction", None)
                key = json.dumps([learner, filled], sort_keys=True, default=str)
                shared[name] = first.setdefault(key, name)
            self._shared[system] = shared
        return self._shared[system]

    def prediction(self, method: str, system: str) -> dict[str, Any]:
        """The entry's prediction block (integrator and its options) for the system."""
        return self.entry(method, system)[1]["prediction"]

    def listed(self, system: str) -> list[str]:
        """The entries ``experiments`` lists for ``system`` (none for another system)."""
        return list(self.config["experiments"].get(system, []))

    def learners_of(self, methods: list[str], system: str) -> dict[str, str]:
        return {m: self.learner(m, system) for m in methods}

    def settings_of(self, methods: list[str], system: str) -> dict[str, dict[str, Any]]:
        return {m: self.entry(m, system)[1] for m in methods}

    def _resolved(self, system: str) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        listed = self.listed(system)
        return self.learners_of(listed, system), self.settings_of(listed, system)

    # --------------------------------------------------------------- selections
    def shown(self, system: str) -> list[str]:
        """The entries the per-system figures compare: the learners themselves (entries
        that are not variants) or, if a system lists only variants, all of them."""
        listed = self.listed(system)
        methods = self.config["methods"]
        return [m for m in listed if "method" not in methods[m]] or listed

    def family(self, system: str, key: str) -> list[str]:
        """SANN entries of the system's experiments that differ only in ``key``."""
        return setting_family(*self._resolved(system), key)

    def sann_entries(self, system: str) -> list[str]:
        """The system's experiments entries that train with SANN (stiffness-aware)."""
        return [m for m in self.listed(system) if self.learner(m, system) == "sann"]

    def selection(self, system: str, name: str) -> list[str]:
        """The entries of selection ``name`` (one of :data:`SELECTIONS`) for ``system``.

        learners: the entries the per-system figures compare; activation, replication:
        SANN entries differing only in that setting; noise, epochs: each learner's
        entries differing only in that setting (epochs: beside SANN's own run);
        ablation, inseparable: the entries of the ``tables`` block; peers: the entries of
        the ``peers`` comparisons on the system; all: every entry of ``experiments``.
        """
        if name == "learners":
            return self.shown(system)
        if name in ("activation", "replication"):
            return self.family(system, name)
        if name == "noise":
            return learner_families(*self._resolved(system), "noise")
        if name == "epochs":
            longer = [
                m
                for m in learner_families(*self._resolved(system), "epochs")
                if self.learner(m, system) != "sann"
            ]
            sann = [m for m in self.shown(system) if self.learner(m, system) == "sann"]
            return longer + sann if longer else []
        if name == "peers":
            return peer_entries(self.config, system)
        if name in ("ablation", "inseparable"):
            block = self.config["tables"].get(name)  # None: the table is left out
            return list(block["methods"]) if block else []
        if name == "all":
            return self.listed(system)
        raise ValueError(f"unknown selection {name!r}; valid: {', '.join(SELECTIONS)}")

    def collected(self, system: str, selection: str) -> str:
        """Path of the system's collected dataset of ``selection`` (which must hold entries)."""
        if not self.selection(system, selection):
            need = _EMPTY.get(selection, "an entry of experiments." + system + " that fits")
            raise ValueError(
                f"experiments.{system}: no methods for the {selection!r} figures or tables ({need})"
            )
        return f"results/collected/{system}/{selection}.nc"

    def evaluations(self, system: str, selection: str) -> dict[str, list[str]]:
        """Entry -> evaluation files of its seeds, for the selection's entries."""
        return {
            m: [f"results/eval/{system}/{m}/seed{i}.nc" for i in range(self.seeds)]
            for m in self.selection(system, selection)
        }

    @cached_property
    def _styles(self) -> dict[str, dict[str, str]]:
        methods = list(self.config["methods"])
        learners = {m: self.learner(m) for m in methods}
        return presentation(
            methods, learners, self.config.get("presentation"), self.config["methods"]
        )

    def styles(self, methods: list[str]) -> dict[str, dict[str, str]]:
        """Label and colour of ``methods`` (colours follow the order of every ``methods``
        entry, so an entry has one colour in every figure)."""
        return {m: self._styles[m] for m in methods}

    # ---------------------------------------------------------- stiffness, probes
    def stiffness(self, system: str) -> dict[str, Any]:
        """gamma and ranking of the system's first SANN entry: what the SAI figures mark."""
        entries = self.sann_entries(system)
        if not entries:
            raise ValueError(
                f"experiments.{system}: the SAI figures mark SANN's stiff intervals and need "
                "an entry that trains with sann"
            )
        return {key: self.setting(entries[0], system, key) for key in ("gamma", "ranking")}

    def probed(self, system: str, kind: str) -> list[str]:
        """Entries whose seed-0 models a probe figure shows.

        ``potential``: the compared separable models of a system with a potential worth
        mapping in the plane (``potential_extent``; SANN Fig. 9); ``field``: the
        HNN-trained models of a 1-dof system with a linear vector field (the spring
        study's meshgrid, Figs. 5, 8-9).
        """
        offers = self.systems.get(system)
        if kind == "potential":
            if offers is None or offers.dof != 2 or offers.potential_extent() is None:
                return []
            shown = self.shown(system)
            return [m for m in shown if self.setting(m, system, "model") == "separable"]
        if kind == "field":
            if offers is None or offers.dof != 1 or not offers.linear:
                return []
            return [m for m in self.listed(system) if self.learner(m, system) == "hnn"]
        raise ValueError(f"unknown probe {kind!r}; valid: potential, field")

    def probes(self, system: str, kind: str) -> dict[str, str]:
        """Entry -> its seed-0 probe file of ``kind``, for the probed entries."""
        methods = self.probed(system, kind)
        if not methods:
            raise ValueError(
                f"experiments.{system}: no method to probe for this figure "
                f"({'a separable model' if kind == 'potential' else 'an hnn entry'})"
            )
        return {m: f"results/probe/{system}/{m}/{kind}/seed0.nc" for m in methods}

    def probe_options(self, kind: str) -> dict[str, Any]:
        """Grid of a probe: the ``figures`` block's meshgrid (field) or points (potential)."""
        block = self.config["figures"]
        if kind == "field":
            return {"extent": list(block["meshgrid_extent"]), "points": block["meshgrid_points"]}
        return {"points": block["potential_points"]}

    def search_grid(self, system: str, method: str) -> dict[str, Any]:
        """The partition grid and epochs of ``tables.partition_search`` for (system, method)."""
        block = self.config["tables"].get("partition_search")
        if not block or (block["system"], block["method"]) != (system, method):
            raise ValueError(
                f"results/search/{system}/{method}.nc: the config block "
                "'tables.partition_search' names another system or method (or is missing)"
            )
        return {k: block[k] for k in ("nonstiff", "stiff", "epochs")}

    # -------------------------------------------------------------- stage params
    def system_spec(self, system: str) -> dict[str, Any]:
        """What defines the true system: ``name`` (the built-in one for a named variant,
        :func:`~hampipe.systems.builtin_of`), the config's ``parameters`` and, for a
        user-written one, its ``definition`` (Hamiltonian, coordinates, momenta).

        Every stage that needs the true system gets this as params and checks its input
        files' attributes against it.
        """
        spec = self.config["systems"][system]
        return {
            "name": builtin_of(system, spec) or system,
            "parameters": dict(spec["parameters"]),
            "definition": system_definition(spec),
        }

    def initial_state(self, system: str, split: str) -> dict[str, Any]:
        """The initial-state recipe of one split (:func:`~hampipe.systems.split_initial_state`:
        the test split's ``test_initial_state`` merged over ``initial_state``)."""
        return split_initial_state(self.config["systems"][system], split)

    def seed(self, stage: str, *keys: Any) -> int:
        """The seed of a stage's job, derived from the config's root ``seed``."""
        return derive_seed(self.config["seed"], stage, *keys)

    def train_input(self, system: str, method: str) -> dict[str, str]:
        """The training split, plus its SAI annotation for learners that use it."""
        inputs = {"train": f"results/data/{system}/train.nc"}
        if requires_sai(self.learner(method, system)):
            inputs["sai"] = f"results/sai/{system}.nc"
        return inputs

    def model_file(self, system: str, method: str, seed: int | str) -> str:
        """The model file that entry ``method``'s seed-``seed`` run on ``system`` uses:
        its own, or that of the entry it trains as (:meth:`trained_as`)."""
        return f"results/models/{system}/{self.trained_as(method, system)}/seed{seed}.pt"

    def train_seeds(self, system: str) -> list[int]:
        """Every run's seed on ``system``, run 0 first: a ``train_ensemble`` job's."""
        return [self.seed("train", system, i) for i in range(self.seeds)]

    def method_constraint(self, rule: str) -> str:
        """The ``{method}`` wildcard's constraint in the model-file output of ``rule``.

        ``train_ensemble`` makes the model files of the entries whose ``ensemble`` is
        true on a system, ``train`` those of the others, so that each file has one
        producing rule. The entries differ per system (``per_system``), so the pattern
        pairs them with the system directory before the method: per system, a
        lookbehind ``(?<=/<system>/)`` and its entries; it matches nothing (``(?!)``)
        where no (system, entry) pair is the rule's.
        """
        if rule not in ("train", "train_ensemble"):
            raise ValueError(f"no model files from rule {rule!r}; valid: train, train_ensemble")
        together = rule == "train_ensemble"
        parts = []
        for system in self.config["systems"]:
            entries = [m for m in self.config["methods"] if self.ensemble(m, system) == together]
            if entries:
                names = "|".join(re.escape(m) for m in entries)
                parts.append(f"(?<=/{re.escape(system)}/)(?:{names})")
        return f"(?:{'|'.join(parts)})" if parts else "(?!)"

    def checkpoint(self, system: str, method: str, seed: int | str | None) -> dict[str, Any]:
        """Where a training job keeps its resumable checkpoints, and how often it saves one
        (outside the declared outputs, so a failed or killed job leaves them): run
        ``seed``'s, or with ``seed`` ``None`` the ``train_ensemble`` job's
        (``.../{method}/ensemble``)."""
        run = "ensemble" if seed is None else f"seed{seed}"
        return {
            "directory": f"results/checkpoints/{system}/{method}/{run}",
            "every": self.config["checkpoint_every"],
        }

    # ------------------------------------------------------------------ outputs
    def figures_of(self, system: str) -> list[str]:
        """The per-system figures (spec names) ``all`` draws for ``system``."""
        from hampipe.plan.outputs import FIGURES

        return [s.name for s in FIGURES.values() if s.per_system and s.drawn_for(self, system)]

    def tables(self) -> list[str]:
        """The tables ``all`` writes (spec names)."""
        from hampipe.plan.outputs import TABLES

        return [s.name for s in TABLES.values() if s.applies(self)]

    def final_outputs(self) -> list[str]:
        """Every file ``all`` makes: evaluations, SAI annotations, figures, animations,
        tables."""
        from hampipe.plan.outputs import FIGURES

        outputs = []
        for system in self.config["systems"]:
            if system in self.config["experiments"]:
                outputs.append(f"results/sai/{system}.nc")
                outputs += [
                    f"results/eval/{system}/{m}/seed{i}.nc"
                    for m in self.listed(system)
                    for i in range(self.seeds)
                ]
            outputs += [FIGURES[name].path(system) for name in self.figures_of(system)]
        outputs += [
            s.path() for s in FIGURES.values() if not s.per_system and s.applies(self, None)
        ]
        outputs += [f"results/tables/{name}.csv" for name in self.tables()]
        return outputs

    def peer_outputs(self) -> list[str]:
        """What the target ``peers`` makes: the peers table (CSV and Markdown) and its
        figure; none without ``peers.comparisons``."""
        from hampipe.plan.outputs import FIGURES

        if "peers" not in self.tables():
            return []
        return ["results/tables/peers.csv", "results/tables/peers.md", FIGURES["peers"].path()]
