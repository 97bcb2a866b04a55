"""``hampipe.plan.checks``: hostile values and structures refused by key, quickly."""

import time

import pytest
import yaml

from hampipe.core import ConfigError
from hampipe.plan import load_config
from hampipe.plan.checks import MAX_CHAIN
from tests.helpers import DUFFING, ROOT

#: An overlay as a user writes it (YAML: .nan, .inf), and the key its message names.
HOSTILE = {
    "seeds_1e23": ("seeds: 100000000000000000000000\n", "'seeds': 100000000000000000000000 is"),
    "epochs_1e30": (
        "methods: {sann: {epochs: 1000000000000000000000000000000}}\n",
        "'methods.sann.epochs': 1000000000000000000000000000000 is out of range",
    ),
    "epochs_1e30_decimal": (
        "methods: {sann: {epochs: 1.0e+30}}\n",
        "'methods.sann.epochs': 1e+30 is a decimal number, expected an integer",
    ),
    "width_1e10_of_a_variant": (
        "methods: {sann_relu: {width: 10000000000}}\n",
        "'methods.sann_relu.width': 10000000000 is out of range; allowed: 1 <= width <= 65536",
    ),
    "width_1e10_for_one_system": (
        "methods: {hnn: {per_system: {spring: {width: 10000000000}}}}\n",
        "'methods.hnn.per_system.spring.width': 10000000000 is out of range",
    ),
    "trajectories_1e12": (
        "systems: {spring: {trajectories: {train: 1000000000000}}}\n",
        "'systems.spring.trajectories.train': 1000000000000 is out of range",
    ),
    "step_1e-300": (
        "systems: {spring: {evaluation: {step: 1.0e-300}}}\n",
        "'systems.spring.evaluation.step': 1e-300 is too close to 0",
    ),
    "step_1e-12": (
        "systems: {spring: {evaluation: {step: 1.0e-12}}}\n",
        "'systems.spring.evaluation.step': 1e-12 is out of range; allowed: 1e-09 <= step",
    ),
    "dt_nan": ("systems: {spring: {dt: .nan}}\n", "'systems.spring.dt': nan is not a finite"),
    "dt_inf": ("systems: {pendulum: {dt: .inf}}\n", "'systems.pendulum.dt': inf is not a finite"),
    "evaluation_step_nan": (
        "systems: {billiard: {evaluation: {step: .nan}}}\n",
        "'systems.billiard.evaluation.step': nan is not a finite",
    ),
    "validation_nan": (
        "methods: {hnn_exact: {validation: .nan}}\n",
        "'methods.hnn_exact.validation': nan is not a finite",
    ),
    "spring_constant_nan": (
        "systems: {spring: {parameters: {k: .nan}}}\n",
        "'systems.spring.parameters.k': nan is not a finite",
    ),
    "sampling_bound_inf": (
        "systems: {spring: {initial_state: {radius: [10.0, .inf]}}}\n",
        "'systems.spring.initial_state.radius[1]': inf is not a finite",
    ),
    "user_sampling_bound_-inf": (
        "systems: {duffing: {initial_state: {sampler: uniform, low: [-.inf, -1], high: [1, 1]}}}\n",
        "'systems.duffing.initial_state.low[0]': -inf is not a finite",
    ),
    "spring_constant_1e300": (
        "systems: {spring: {parameters: {k: 1.0e+300}}}\n",
        "'systems.spring.parameters.k': 1e+300 is too large for any setting",
    ),
    "seed_past_64_bits": (
        "seed: 18446744073709551616\n",
        "'seed': 18446744073709551616 is out of range",
    ),
    "method_name_with_a_newline": (
        'methods: {"sann_k\\n": {method: sann}}\n',
        "'methods': key 'sann_k\\n' is not a valid name",
    ),
}


@pytest.mark.parametrize(("overlay", "expected"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_value_is_refused_by_its_key(tmp_path, overlay, expected):
    duffing, path = tmp_path / "duffing.yaml", tmp_path / "hostile.yaml"
    duffing.write_text(yaml.safe_dump({"systems": {"duffing": DUFFING}}))
    path.write_text(overlay)
    start = time.perf_counter()
    with pytest.raises(ConfigError) as error:
        load_config("config.yaml", duffing, path, root=ROOT)
    assert time.perf_counter() - start < 10
    assert f"config key {expected}" in str(error.value)


def _chain(n: int) -> dict:
    """``n`` variants, each of the one before it, the first of sann."""
    return {f"v{i}": {"method": f"v{i - 1}" if i else "sann"} for i in range(n)}


def test_a_chain_of_variants_longer_than_the_bound_is_refused_quickly():
    start = time.perf_counter()
    with pytest.raises(ConfigError) as error:
        load_config(overrides={"methods": _chain(2000)}, root=ROOT)
    assert time.perf_counter() - start < 10
    (problem,) = error.value.problems
    assert problem.startswith(
        "config key 'methods.v1999.method': the chain of 'method:' keys from v1999 "
        "(v1999 -> v1998 -> v1997 -> ...) is longer than 32 entries"
    )
    longest = MAX_CHAIN - 1  # the variants of one chain of MAX_CHAIN entries, sann's included
    config = load_config(
        overrides={"methods": _chain(longest), "experiments": {"spring": [f"v{longest - 1}"]}},
        root=ROOT,
    )
    assert config["experiments"]["spring"] == [f"v{longest - 1}"]
    with pytest.raises(ConfigError, match=f"'methods.v{longest}.method': the chain"):
        load_config(overrides={"methods": _chain(longest + 1)}, root=ROOT)


def test_a_long_cycle_of_variants_is_refused_quickly():
    """A cycle of 2000 entries is a chain that never ends; a short one is still named as
    a cycle."""
    long_cycle = {f"v{i}": {"method": f"v{(i + 1) % 2000}"} for i in range(2000)}
    start = time.perf_counter()
    with pytest.raises(ConfigError) as error:
        load_config(overrides={"methods": long_cycle}, root=ROOT)
    assert time.perf_counter() - start < 10
    (problem,) = error.value.problems
    assert problem.startswith("config key 'methods.v0.method': the chain of 'method:' keys")
    with pytest.raises(ConfigError, match=r"variants form a cycle \(a -> b -> a\)"):
        load_config(overrides={"methods": {"a": {"method": "b"}, "b": {"method": "a"}}}, root=ROOT)


def test_a_per_system_block_inside_a_per_system_block_is_refused_by_key():
    nested = {"spring": {"epochs": 5, "per_system": {"spring": {"epochs": 7}}}}
    overrides = {"methods": {"sann": {"per_system": nested}, "sann_x": {"method": "sann"}}}
    with pytest.raises(ConfigError) as error:
        load_config(overrides=overrides, root=ROOT)
    assert error.value.problems == [
        "config key 'methods.sann.per_system.spring.per_system': a per_system block inside "
        "a per_system block; allowed: the entry's settings for spring (a per_system block "
        "holds no other)"
    ]
    variant = {"methods": {"sann_x": {"method": "sann", "per_system": nested}}}
    with pytest.raises(ConfigError, match="'methods.sann_x.per_system.spring.per_system'"):
        load_config(overrides=variant, root=ROOT)
