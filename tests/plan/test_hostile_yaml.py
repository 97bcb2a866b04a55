"""Property: whatever a config file or a merged config holds, the checks accept it or
refuse it with one :class:`ConfigError`, quickly; never another exception or a hang.

Random and hostile values (NaN, infinities, huge and tiny numbers, wrong types, keys
that are no names, deep nesting, shared and self-referencing blocks, alias bombs, raw
YAML no loader should trust) are put at random keys of the real ``config.yaml``, as an
overlay file the workflow would re-read (:func:`~hampipe.plan.screen.read_config_file`)
or as a merged config handed straight to :meth:`~hampipe.plan.Plan.from_config`.
"""

from __future__ import annotations

import copy
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hampipe.core import ConfigError, merge_config
from hampipe.plan import LEARNERS, Plan
from hampipe.plan.config import SCHEMA
from hampipe.plan.screen import read_config_file
from tests.helpers import ROOT

BASE = read_config_file(ROOT / "config.yaml")


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every key path of a config's mappings."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += [(*path, key), *_paths(value, (*path, key))]
    return found


#: Where the values go: every key of config.yaml, every learner setting of an entry
#: and of a per-system block, the system keys left to their defaults, the new keys.
PATHS = sorted(
    {
        *_paths(BASE),
        *(("methods", "sann", key) for key in LEARNERS["sann"].defaults()),
        *(("methods", "hnn", "per_system", "spring", key) for key in LEARNERS["hnn"].defaults()),
        *(("systems", "spring", key) for key in ("parameters", "initial_state", "evaluation")),
        ("methods", "sann", "per_system", "spring", "per_system"),
        ("methods", "v1", "method"),
        ("limits", "allow_huge"),
        ("peers", "comparisons"),
    },
    key=str,
)
NAMES = sorted({str(part) for path in PATHS for part in path})

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(0, 200),
    st.floats(0, 2),
    st.integers(-(10**30), 10**30),
    st.sampled_from([0, 1, -1, 3, 2**63, 10**23, 10**120, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-300, 5e-324, 1e300, -0.0, 1e-9, 0.1, 1e6]),
    st.text(max_size=6),
    st.sampled_from(["sann", "spring", "hnn_exact", "leapfrog", "dopri5", "cpu", "a\n", ""]),
    st.sampled_from(NAMES),
)
#: Values a key may well take, so that many configs get past the schema to the checks
#: across keys and the estimate of the work.
PLAUSIBLE = st.one_of(
    st.integers(1, 60),
    st.sampled_from([0.0, 0.01, 0.1, 0.5, 2.0, 1e-3, 5000, 10**6, 65536]),
    st.sampled_from(["sann", "hnn", "spring", "three_body", "general", "euler", "cpu", "tanh"]),
    st.lists(st.sampled_from(["hnn", "sann", "ode", "sann_exp1"]), max_size=3, unique=True),
)
KEYS = st.one_of(
    st.sampled_from(NAMES),
    st.text(max_size=6),
    st.integers(-5, 5),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)


def _deep(value: Any) -> Any:
    for _ in range(40):
        value = [value]
    return value


def _shared(value: Any) -> Any:
    return [value, value, {"again": value}]


def _recursive(value: Any) -> Any:
    block: dict[str, Any] = {"value": value}
    block["self"] = block
    return block


def _bomb(value: Any) -> Any:
    for _ in range(9):
        value = [value] * 10
    return value


#: What a value may be turned into: mostly itself, else nested 40 deep, used thrice (aliases in a
#: file), holding itself (a recursive alias), or 10⁹ uses of itself (an alias bomb).
FORMS = st.sampled_from([*[lambda v: v] * 6, _deep, _shared, _recursive, _bomb])
#: YAML that no loader should trust, appended to an overlay file.
RAW = st.sampled_from(
    [
        *[""] * 10,
        "seeds: 1\nseeds: 2\n",
        "methods: {sann: {epochs: 10, epochs: 20}}\n",
        "x: !!python/object/apply:os.system [ls]\n",
        "? [a, b]\n: 1\n",
        "figures: &f {trajectory: 0, again: *f}\n",
        "a: &a [l, l, l, l, l, l, l, l, l, l]\n"
        + "".join(
            f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "deep: " + "[" * 200 + "]" * 200 + "\n",
        "seed: " + "7" * 5000 + "\n",
        "\tseeds: 1\n",
        "seeds: *nowhere\n",
    ]
)


def _put(config: dict, path: tuple, value: Any) -> None:
    """Set ``value`` at ``path`` of ``config``, making mappings on the way."""
    block = config
    for key in path[:-1]:
        if not isinstance(block.get(key), dict):
            block[key] = {}
        block = block[key]
    block[path[-1]] = value


@st.composite
def overlays(draw) -> dict:
    overlay: dict = {}
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        value = draw(st.one_of(PLAUSIBLE, VALUES))
        _put(overlay, path, draw(FORMS)(value))
    return overlay


def _check(config: dict, files: list[Path]) -> None:
    """Plan ``config`` as the workflow does; a ConfigError is a refusal, and fine."""
    try:
        Plan.from_config(config, ROOT / SCHEMA, files=files)
    except ConfigError as error:
        assert str(error).strip()


@settings(
    max_examples=60,
    deadline=timedelta(seconds=10),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(overlay=overlays(), raw=RAW, as_file=st.booleans())
def test_any_config_is_accepted_or_refused_with_one_config_error(overlay, raw, as_file):
    if not as_file:  # a merged config as Snakemake hands it over, aliases as shared objects
        _check(merge_config(copy.deepcopy(BASE), overlay), [])
        return
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "overlay.yaml"
        path.write_text(yaml.safe_dump(overlay) + raw)
        try:
            config = merge_config(copy.deepcopy(BASE), read_config_file(path))
        except ConfigError as error:
            assert f"config file {path}: " in str(error)
            return
        _check(config, [ROOT / "config.yaml", path])
