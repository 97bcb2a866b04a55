"""Time the ``simulate`` stage for one system at the sizes of a config file.

Runs what the two ``simulate`` jobs of a system do (train and test split, same seeds as
the workflow) in this process and prints one JSON line per split and a total::

    python benchmarks/ground_truth.py three_body --workers 2
    python benchmarks/ground_truth.py billiard --configfile config.yaml config.quick.yaml

Issue 4's target: the paper-size three-body set (1000 + 300 trajectories) in at most two
minutes on 2 cores. Nothing is written to ``results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import yaml

from hampipe.core import check_consistency, derive_seed, merge_config, validate_config
from hampipe.data import GroundTruthSolver, simulate
from hampipe.systems import make_system

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def merged_config(paths: list[str]) -> dict:
    """Merge YAML config files the way Snakemake merges --configfile overlays."""
    config: dict = {}
    for path in paths:
        with open(path) as handle:
            config = merge_config(config, yaml.safe_load(handle) or {})
    validate_config(config, os.path.join(ROOT, "workflow/schemas/config.schema.yaml"))
    return check_consistency(config)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("system")
    parser.add_argument("--configfile", nargs="+", default=[os.path.join(ROOT, "config.yaml")])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    config = merged_config(args.configfile)
    spec = config["systems"][args.system]
    system = make_system(
        args.system,
        parameters=spec.get("parameters"),
        initial_state=spec.get("initial_state"),
    )
    total = 0.0
    for split in ("train", "test"):
        start = time.perf_counter()
        ds = simulate(
            system,
            spec["trajectories"][split],
            spec["steps"][split],
            spec["dt"],
            derive_seed(config["seed"], "simulate", args.system, split),
            GroundTruthSolver(**spec["ground_truth"]),
            workers=args.workers,
        )
        seconds = time.perf_counter() - start
        total += seconds
        record = {
            "system": args.system,
            "split": split,
            "trajectories": ds.sizes["trajectory"],
            "time_points": ds.sizes["time"],
            "workers": args.workers,
            "seconds": round(seconds, 2),
            "n_resampled": ds.attrs["n_resampled"],
            "max_relative_energy_drift": ds.attrs["max_relative_energy_drift"],
        }
        print(json.dumps(record))
    print(json.dumps({"system": args.system, "total_seconds": round(total, 2)}))


if __name__ == "__main__":
    main()
