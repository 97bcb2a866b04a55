#!/usr/bin/env bash
# Snakemake runs this once after creating the conda env, from the workflow's working
# directory (the project root): install hampipe itself; the env provides its dependencies.
set -euo pipefail
python -m pip install --no-deps --no-build-isolation --quiet -e .
