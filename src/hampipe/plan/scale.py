"""The scale a result was made at, in one line for every figure and table.

A figure of a quick run looks like a figure of the paper's run. So every figure (a
footer) and every table (a header line in its Markdown copy) states its scale: seeds,
training trajectories and their length, network width, the training budget (epochs, or
convergence with its patience and cap), and "not the paper's scale" when those sizes
differ from ``config.yaml``'s own.

The line is a param of the figure and table rules, so it holds only what the output
depends on: a figure is redrawn when its scale changes, and not when an overlay that
changes nothing it draws is added. The config files' names are therefore not in it
(adding ``my.yaml`` with one learning rate would redraw every figure); they are in the
report and in :meth:`Scale.files_line`.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hampipe.core import ConfigError
from hampipe.plan.config import load_config
from hampipe.plan.experiment import Plan
from hampipe.plan.resources import training_estimate


def _span(values: Sequence[int]) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"{low}–{high}"


def _number(value: str) -> str:
    """A number of a CSV cell to 3 significant digits ('' when empty or NaN)."""
    try:
        x = float(value)
    except ValueError:
        return value
    return "" if x != x else f"{x:.3g}"


def summary_rows(path: str | os.PathLike) -> dict[str, list[list[str]]]:
    """Per system, the front page's rows of ``summary.csv`` (none if it does not exist):
    method label, mean |energy error| ± std, last-step MSE ± std, mean epochs run,
    seeds stopped by convergence of all."""
    if not os.path.exists(path):
        return {}
    rows: dict[str, list[list[str]]] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):

            def spread(key: str, row: dict[str, str] = row) -> str:
                std = _number(row.get(f"{key}_std", ""))
                return _number(row[key]) + (f" ± {std}" if std else "")

            cells = [
                row["label"],
                spread("energy_error"),
                spread("last_step_mse"),
                _number(row.get("epochs_run", "")),
                f"{row.get('converged', '')} of {row['seeds']}",
            ]
            rows.setdefault(row["system"], []).append([cell or "–" for cell in cells])
    return rows


def _duration(seconds: float) -> str:
    """``seconds`` in the largest unit that keeps it readable."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class Scale:
    """The scale of a run: its plan, its config files, and the paper's plan to compare.

    ``paper`` is the plan of ``config.yaml`` alone (``None``: nothing to compare with).
    """

    plan: Plan
    files: tuple[str, ...]
    paper: Plan | None = None

    @classmethod
    def of_run(cls, plan: Plan, workflow: Any, schema: str | os.PathLike) -> Scale:
        """The scale of a Snakemake run: ``workflow.configfiles`` are all its config
        files, ``workflow.overwrite_configfiles`` those of ``--configfile`` (merged last,
        in order), ``workflow.basedir`` the project holding ``config.yaml`` (the paper's
        sizes; none to compare with when it cannot be read)."""
        given_paths = [os.path.relpath(path) for path in workflow.overwrite_configfiles or ()]
        own = [os.path.relpath(path) for path in workflow.configfiles]
        files = tuple([path for path in own if path not in given_paths] + given_paths)
        try:
            paper: Plan | None = Plan.from_config(load_config(root=workflow.basedir), schema)
        except (ConfigError, FileNotFoundError):
            paper = None
        return cls(plan, files, paper)

    def sizes(self, plan: Plan, system: str) -> dict[str, Any]:
        """What makes a run of ``system`` bigger or smaller: seeds, data and the shown
        entries' networks and budgets."""
        config = plan.config
        block = config["systems"][system]
        return {
            "seeds": config["seeds"],
            "trajectories": dict(block["trajectories"]),
            "steps": dict(block["steps"]),
            "methods": {
                m: {k: plan.setting(m, system, k) for k in ("width", "depth", "epochs", "patience")}
                for m in plan.shown(system)
            },
        }

    def paper_scale(self, system: str) -> bool | None:
        """Whether ``system`` runs at ``config.yaml``'s sizes (None: not a system there)."""
        if self.paper is None or system not in self.paper.config["experiments"]:
            return None
        if set(self.plan.shown(system)) != set(self.paper.shown(system)):
            return False
        return self.sizes(self.plan, system) == self.sizes(self.paper, system)

    def budget(self, system: str) -> str:
        """The shown entries' training budget: fixed epochs, or early stopping with its
        patience within the epoch cap (whether each run converged or reached the cap is
        in its evaluation file and the tables)."""
        settings = self.sizes(self.plan, system)["methods"].values()
        epochs = [s["epochs"] for s in settings]
        patience = [s["patience"] for s in settings]
        if all(patience):
            return f"early stopping (patience {_span(patience)}) within {_span(epochs)} epochs"
        if any(patience):
            return f"{_span(epochs)} epochs, some with early stopping"
        return f"{_span(epochs)} epochs"

    def files_line(self) -> str:
        """The config files in the order they were merged."""
        return " + ".join(self.files) or "config.yaml"

    def front_page(self, root: str | os.PathLike = ".") -> dict[str, Any]:
        """What the report's front page states (``workflow/report/workflow.rst``): the
        config files in the order they were merged, the run's scale line, and per
        system its scale line, the methods it compares (labels) and, once the run has
        written ``results/tables/summary.csv`` under ``root`` (the report is built after
        the run), the summary's rows."""
        systems = self.plan.config["experiments"]
        rows = summary_rows(os.path.join(root, "results/tables/summary.csv"))
        return {
            "files": self.files_line(),
            "scale": self.note(),
            "systems": {system: self.note(system) for system in systems},
            "methods": {
                system: [style["label"] for style in self.plan.styles(list(listed)).values()]
                for system, listed in systems.items()
            },
            "summary": {system: rows[system] for system in systems if system in rows},
        }

    def note(self, system: str | None = None) -> str:
        """One line: for ``system`` (or every system of ``experiments``), seeds, data,
        width, budget, and whether it is the paper's scale."""
        systems = [system] if system else list(self.plan.config["experiments"])
        seeds = self.plan.config["seeds"]
        parts = [f"{seeds} seed{'s' if seeds != 1 else ''}"]
        if system:
            size = self.sizes(self.plan, system)
            widths = [s["width"] for s in size["methods"].values()]
            parts += [
                f"{size['trajectories']['train']} training trajectories × "
                f"{size['steps']['train']} points",
                f"width {_span(widths)}" if widths else "",
                self.budget(system) if widths else "",
            ]
        verdicts = [self.paper_scale(s) for s in systems]
        if any(v is False for v in verdicts):
            parts.append("not the paper's scale")
        elif verdicts and all(v is True for v in verdicts):
            parts.append("the paper's scale")
        return " · ".join(p for p in parts if p)

    def finished(
        self, given: Sequence[str | os.PathLike] = (), root: str | os.PathLike = "."
    ) -> str:
        """What a successful run leaves and where (printed by the Snakefile's
        ``onsuccess``): the figures and tables of the plan that exist under ``root``, and
        the report command with the ``--configfile`` overlays ``given``."""
        outputs = [p for p in self.plan.final_outputs() if os.path.exists(os.path.join(root, p))]
        figures = [p for p in outputs if p.startswith("results/figs/")]
        tables = sorted(
            os.path.basename(p)[: -len(".csv")]
            for p in outputs
            if p.startswith("results/tables/") and p.endswith(".csv")
        )
        overlays = "".join(f" {os.path.relpath(path)}" for path in given)
        lines = [f"hampipe: finished ({self.files_line()}: {self.note()})."]
        if figures:
            animations = sum(p.endswith(".gif") for p in figures)
            lines.append(
                f"  figures  results/figs/: {_count(len(figures) - animations, 'figure')} "
                "(PDF, with a PNG and the plotted numbers as CSV beside each)"
                + (f", {_count(animations, 'animation')} (GIF)" if animations else "")
            )
        if tables:
            lines.append(
                f"  tables   results/tables/: {', '.join(tables)} (CSV, Markdown and HTML)"
            )
        lines.append(
            "  report   snakemake --report results/report.html"
            + (f" --configfile{overlays}" if overlays else "")
        )
        return "\n".join(lines)

    def cost(self, root: str | os.PathLike = ".") -> str:
        """What the run's training will cost, printed before its first job (the
        Snakefile's ``onstart``): the trainings of ``all`` whose model file is not yet
        under ``root``, their estimated total on the CPU and on one GPU
        (:func:`~hampipe.plan.resources.training_estimate`), and a warning when a
        system at the paper's scale is about to train for more than a day on the CPU."""
        plan, cpu, gpu, todo, total, paper = self.plan, 0.0, 0.0, 0, 0, []
        for system in plan.config["experiments"]:
            for entry in dict.fromkeys(plan.trained_as(m, system) for m in plan.listed(system)):
                for seed in range(plan.seeds):
                    total += 1
                    if os.path.exists(os.path.join(root, plan.model_file(system, entry, seed))):
                        continue
                    estimate = training_estimate(plan.config, system, entry)
                    todo, cpu, gpu = todo + 1, cpu + estimate["cpu"], gpu + estimate["gpu"]
            if self.paper_scale(system):
                paper.append(system)
        device = plan.config["device"]
        capped = any(
            plan.setting(m, s, "patience")
            for s in plan.config["experiments"]
            for m in plan.listed(s)
        )
        line = (
            f"hampipe: {todo} of {total} trainings to run, estimated "
            + ("at most " if capped else "")
            + f"{_duration(cpu)} of training on the CPU, {_duration(gpu)} on one GPU "
            f"(device: {device})"
            + ("; early stopping ends runs before their epoch caps." if capped else ".")
        )
        if paper and device != "cuda" and cpu > 86400:
            line += (
                f"\nhampipe: warning: {', '.join(paper)} at the paper's scale would train "
                f"for about {_duration(cpu)} on the CPU. For the quick run add "
                "--configfile config.quick.yaml; on a GPU machine set device: cuda "
                "(stop now with Ctrl-C; finished jobs are kept)."
            )
        return line
