"""``python -m hampipe.bench``: time the pipeline's stages against their targets.

``train`` times each method's training step against plain references (the plain
separable step for SANN and SRNN, the generic autograd one for all) and against the
machine's measured dense matmul throughput; ``ground_truth`` times a system's
``simulate`` jobs at a config's sizes; ``gpu`` is the prepared run for a borrowed GPU
machine (:mod:`hampipe.bench.gpu`). Examples::

    python -m hampipe.bench train                      # all methods, --scale cpu
    python -m hampipe.bench train --scale tiny --method sann,hnn --json
    python -m hampipe.bench train --scale cpu --threads 2 --method sann,srnn --width 256
    python -m hampipe.bench train --scale paper --device cuda --batches 10
    python -m hampipe.bench ground_truth three_body --workers 2
    PYTHONPATH=src python3 -m hampipe.bench gpu --out "$OUT" --budget 420 --workers 8
    python -m hampipe.bench ground_truth billiard --configfile config.yaml config.quick.yaml

Run from the project root (or pass ``--root``): the settings come from ``config.yaml``
(and ``config.quick.yaml`` for the ``tiny`` and ``cpu`` scales of ``train``), loaded
and checked as the workflow loads them. ``train`` exits with status 1, timing nothing,
when a method's loss or gradients differ from a plain reference.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from hampipe.bench import ensemble as ensemble_run
from hampipe.bench import gpu as gpu_run
from hampipe.bench import ground_truth
from hampipe.bench.equivalence import MismatchError
from hampipe.bench.train import format_table, run
from hampipe.bench.workload import BENCH_METHODS, SCALES


def _methods(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BENCH_METHODS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {', '.join(unknown)}; valid: {', '.join(BENCH_METHODS)}"
        )
    return names


def _chosen(groups: list[list[str]] | None) -> list[str]:
    """The ``--method`` values in order, each once (default: every benchmark method)."""
    return list(dict.fromkeys([m for group in groups for m in group] if groups else BENCH_METHODS))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    """The command line: ``train``, ``ground_truth`` and their options."""
    top = argparse.ArgumentParser(
        prog="python -m hampipe.bench", description=__doc__.splitlines()[0]
    )
    commands = top.add_subparsers(
        dest="command", required=True, metavar="{train,ground_truth,gpu,ensemble}"
    )
    train = commands.add_parser(
        "train",
        help="time each method's training step against its plain references",
        description="Check (float64) that each method's loss and gradients equal its plain "
        "references' (the plain separable step for SANN and SRNN, the generic autograd one "
        "for all), then time one epoch of training steps of each, count their matrix-product "
        "FLOPs and set them against the machine's measured dense matmul throughput.",
    )
    train.add_argument(
        "--method",
        type=_methods,
        action="append",
        help=f"method(s) to time, repeatable or comma-separated; valid: "
        f"{', '.join(BENCH_METHODS)} (default: all)",
    )
    train.add_argument("--scale", choices=list(SCALES), default="cpu", help="default: cpu")
    train.add_argument(
        "--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda, …"
    )
    train.add_argument(
        "--threads", type=_positive, help="torch intra-op threads (default: torch's current)"
    )
    train.add_argument(
        "--repeats",
        type=_positive,
        default=3,
        help="timed epochs per side, median kept (default: 3)",
    )
    train.add_argument(
        "--batches",
        type=_positive,
        help="time only the first N batches of the epoch and extrapolate",
    )
    train.add_argument("--trajectories", type=_positive, help="override the scale's count")
    train.add_argument(
        "--width", type=_positive, help="hidden units per layer (default: the scale's)"
    )
    train.add_argument(
        "--compile",
        choices=("on", "off"),
        help="the methods' compile setting (compiled rational kernels on the CPU; "
        "default: the config's)",
    )
    train.add_argument("--seed", type=int, default=0, help="data, weights and batch order")
    train.add_argument("--workers", type=_positive, default=1, help="processes simulating the data")
    train.add_argument(
        "--root", default=".", help="project directory holding config.yaml (default: .)"
    )
    train.add_argument("--json", action="store_true", help="one JSON object per line and method")
    simulate = commands.add_parser(
        "ground_truth",
        help="time a system's simulate jobs (train and test split) at a config's sizes",
        description="Simulate both splits of SYSTEM as its simulate jobs do (same seeds, "
        "solver and sizes; nothing written) and print one JSON line per split and a total.",
    )
    simulate.add_argument("system", metavar="SYSTEM", help="a system of the config's systems block")
    simulate.add_argument(
        "--configfile",
        nargs="+",
        default=["config.yaml"],
        help="config files merged in order, as Snakemake's --configfile overlays, relative "
        "to --root (default: config.yaml)",
    )
    simulate.add_argument(
        "--workers", type=_positive, default=2, help="processes integrating (default: 2)"
    )
    simulate.add_argument(
        "--root", default=".", help="project directory holding config.yaml (default: .)"
    )
    gpu = commands.add_parser(
        "gpu",
        help="the prepared run for a GPU machine: matmul throughput, the train "
        "benchmark at each scale, the ensemble and a time-boxed slice of the three-body "
        "comparison, every number written to one folder",
        description=gpu_run.__doc__.split("\n\n")[1],
    )
    gpu.add_argument("--out", required=True, help="folder for the results (created)")
    gpu.add_argument(
        "--scale",
        choices=list(SCALES),
        action="append",
        help="scale(s) of the train benchmark, in order, repeatable (default: paper, cpu)",
    )
    gpu.add_argument(
        "--method",
        type=_methods,
        action="append",
        help=f"method(s), repeatable or comma-separated (default: all: {', '.join(BENCH_METHODS)})",
    )
    gpu.add_argument(
        "--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda"
    )
    gpu.add_argument(
        "--repeats", type=_positive, default=3, help="timed epochs per side (default: 3)"
    )
    gpu.add_argument(
        "--batches",
        type=_positive,
        help="time only the first N batches of each epoch and extrapolate",
    )
    gpu.add_argument(
        "--budget",
        type=float,
        help="seconds of the whole run: no benchmark or ensemble method starts after the "
        "budget less --comparison-seconds, and the comparison ends by the budget "
        "(default: none)",
    )
    gpu.add_argument("--workers", type=_positive, default=1, help="processes simulating the data")
    gpu.add_argument(
        "--matmul",
        type=int,
        nargs=3,
        action="append",
        metavar=("M", "K", "N"),
        help="a matrix-product shape to time, repeatable (default: 8192³ and 1024×256×256)",
    )
    gpu.add_argument(
        "--comparison-seconds",
        type=float,
        default=gpu_run.COMPARISON["seconds"],
        help="seconds of the three-body comparison slice, at the first --scale's sizes, "
        "kept for last under --budget; 0 skips it (default: %(default)s)",
    )
    gpu.add_argument(
        "--root", default=".", help="project directory holding config.yaml (default: .)"
    )
    ensemble = commands.add_parser(
        "ensemble",
        help="time N runs as one vectorised ensemble against N separate fits (CPU)",
        description=ensemble_run.__doc__.split("\n\n")[1],
    )
    ensemble.add_argument(
        "--method", type=_methods, action="append", help="method(s) (default: sann, hnn)"
    )
    ensemble.add_argument(
        "--members", type=_positive, nargs="+", default=[1, 3, 9], help="default: 1 3 9"
    )
    ensemble.add_argument("--trajectories", type=_positive, default=16, help="default: 16")
    ensemble.add_argument("--steps", type=_positive, default=40, help="default: 40")
    ensemble.add_argument("--epochs", type=_positive, default=2, help="default: 2")
    ensemble.add_argument("--threads", type=_positive, help="torch intra-op threads")
    ensemble.add_argument(
        "--root", default=".", help="project directory holding config.yaml (default: .)"
    )
    return top


def _error(command: str, error: Exception) -> int:
    """Print ``error`` for ``command``; exit status 1."""
    hint = ": run from the project root or pass it as --root"
    text = f"{error}{hint if isinstance(error, FileNotFoundError) else ''}"
    print(f"python -m hampipe.bench {command}: error: {text}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv``; return the exit status (1: a method failed its
    check, or a config file is missing or invalid)."""
    args = parser().parse_args(argv)
    if args.command == "gpu":
        failures = gpu_run.run(
            args.out,
            scales=args.scale or ("paper", "cpu"),
            methods=_chosen(args.method),
            device=args.device,
            repeats=args.repeats,
            batches=args.batches,
            budget=args.budget,
            workers=args.workers,
            root=args.root,
            matmul_shapes=[tuple(s) for s in args.matmul] if args.matmul else gpu_run.MATMUL_SHAPES,
            comparison={**gpu_run.COMPARISON, "seconds": args.comparison_seconds},
        )
        return 1 if failures else 0
    if args.command == "ensemble":
        try:
            for record in ensemble_run.run(
                _chosen(args.method) if args.method else ("sann", "hnn"),
                args.members,
                args.trajectories,
                args.steps,
                args.epochs,
                args.threads,
                args.root,
            ):
                print(json.dumps(record), flush=True)
        except (FileNotFoundError, ValueError) as error:
            return _error("ensemble", error)
        return 0
    if args.command == "ground_truth":
        try:
            for record in ground_truth.run(args.system, args.configfile, args.workers, args.root):
                print(json.dumps(record), flush=True)
        except (FileNotFoundError, ValueError) as error:
            return _error("ground_truth", error)
        return 0
    records = []
    try:
        for record in run(
            _chosen(args.method),
            scale=args.scale,
            device=args.device,
            threads=args.threads,
            repeats=args.repeats,
            batches=args.batches,
            trajectories=args.trajectories,
            seed=args.seed,
            workers=args.workers,
            root=args.root,
            width=args.width,
            compile=None if args.compile is None else args.compile == "on",
        ):
            records.append(record)
            if args.json:
                print(json.dumps(record), flush=True)
            else:
                print(f"timed {record['method']}", file=sys.stderr, flush=True)
    except (MismatchError, FileNotFoundError, ValueError) as error:
        return _error("train", error)
    if not args.json:
        print(format_table(records))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    sys.exit(main())
