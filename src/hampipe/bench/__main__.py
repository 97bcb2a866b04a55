"""``python -m hampipe.bench train``: time each method's training step against its reference.

Examples::

    python -m hampipe.bench train                      # all methods, --scale cpu
    python -m hampipe.bench train --scale tiny --method sann,hnn --json
    python -m hampipe.bench train --scale paper --device cuda --batches 10

Run from the project root (or pass ``--root``): the method settings come from
``config.yaml`` (and ``config.quick.yaml`` for the ``tiny`` and ``cpu`` scales).
Exits with status 1, timing nothing, when a method's loss or gradients differ from the
plain autograd reference.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from hampipe.bench.train import BENCH_METHODS, SCALES, MismatchError, format_table, run


def _methods(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in BENCH_METHODS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {', '.join(unknown)}; valid: {', '.join(BENCH_METHODS)}"
        )
    return names


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    """The command line: ``train`` and its options."""
    top = argparse.ArgumentParser(
        prog="python -m hampipe.bench", description=__doc__.splitlines()[0]
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="{train}")
    train = commands.add_parser(
        "train",
        help="time each method's training step against its plain autograd reference",
        description="Check (float64) that each method's loss and gradients equal the plain "
        "autograd reference's, then time one epoch of training steps of both.",
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
    train.add_argument("--seed", type=int, default=0, help="data, weights and batch order")
    train.add_argument("--workers", type=_positive, default=1, help="processes simulating the data")
    train.add_argument(
        "--root", default=".", help="project directory holding config.yaml (default: .)"
    )
    train.add_argument("--json", action="store_true", help="one JSON object per line and method")
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv``; return the exit status (1: a method failed its check)."""
    args = parser().parse_args(argv)
    methods = [m for group in args.method for m in group] if args.method else list(BENCH_METHODS)
    records = []
    try:
        for record in run(
            list(dict.fromkeys(methods)),
            scale=args.scale,
            device=args.device,
            threads=args.threads,
            repeats=args.repeats,
            batches=args.batches,
            trajectories=args.trajectories,
            seed=args.seed,
            workers=args.workers,
            root=args.root,
        ):
            records.append(record)
            if args.json:
                print(json.dumps(record), flush=True)
            else:
                print(f"timed {record['method']}", file=sys.stderr, flush=True)
    except (MismatchError, FileNotFoundError, ValueError) as error:
        print(f"python -m hampipe.bench train: error: {error}", file=sys.stderr)
        return 1
    if not args.json:
        print(format_table(records))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    sys.exit(main())
