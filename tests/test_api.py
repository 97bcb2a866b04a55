"""The short public API re-exported by ``hampipe``."""

import subprocess
import sys

import pytest

import hampipe


def test_public_api():
    assert hampipe.__version__
    assert {"spring", "three_body"} <= set(hampipe.SYSTEMS)
    assert {"hnn", "srnn", "sann", "hinn", "ode"} <= set(hampipe.METHODS)
    assert {"separable", "general", "resnet", "vector_field"} <= set(hampipe.MODELS)
    assert "leapfrog" in hampipe.INTEGRATORS
    assert callable(hampipe.load_data) and callable(hampipe.load_model)
    assert callable(hampipe.rollout)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        hampipe.nope  # noqa: B018


def test_import_is_light():
    code = "import sys, hampipe; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_schema_names_match_registries():
    """Config keys = wildcards = registry keys (STYLE): the schema lists exactly them."""
    from hampipe.plan import load_schema
    from tests.helpers import ROOT

    schema = load_schema(ROOT / "workflow/schemas/config.schema.yaml")
    assert set(schema["properties"]["systems"]["properties"]) == set(hampipe.SYSTEMS)
    assert set(schema["properties"]["methods"]["properties"]) == set(hampipe.METHODS)


def test_settings_command_lists_what_the_config_accepts(capsys):
    from hampipe.__main__ import main
    from hampipe.plan import LEARNERS

    assert main(["settings"]) == 0
    assert "hnn, srnn, sann, hinn, ode" in capsys.readouterr().out
    assert main(["settings", "sann"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("methods.sann (SANN")
    assert (
        "  replication: 8  [>= 1, <= 10000]  K: each stiff interval appears K times per epoch"
        in out
    )
    assert any(
        line.startswith("  prediction.integrator: leapfrog  [one of: dopri5") for line in out
    )
    assert len(out) == 1 + sum(
        len(f.block) if f.kind == "block" else 1 for f in LEARNERS["sann"].settings.values()
    )
    assert main(["settings", "spring"]) == 0
    assert "  parameters.k: 2.0  [> 0]  spring constant" in capsys.readouterr().out
    assert main(["settings", "leapfrog"]) == 0
    assert "(no options)" in capsys.readouterr().out
    assert main(["settings", "sprng"]) == 2
    assert "no learner, built-in system or integrator 'sprng'" in capsys.readouterr().err


def test_targets_command_lists_what_all_makes(capsys, monkeypatch):
    from hampipe.__main__ import main
    from tests.helpers import ROOT

    monkeypatch.chdir(ROOT)
    assert main(["targets", "billiard", "--configfile", "config.quick.yaml"]) == 0
    billiard = capsys.readouterr().out.splitlines()
    assert "results/figs/billiard_energy.pdf" in billiard
    assert "results/figs/billiard_orbits.gif" in billiard
    assert all(line.startswith("results/figs/billiard_") for line in billiard)
    assert main(["targets", "--configfile", "config.quick.yaml"]) == 0
    every = capsys.readouterr().out.splitlines()
    assert set(billiard) < set(every) and "results/tables/summary.csv" in every
    assert main(["targets", "biliard"]) == 2
    assert "did you mean 'billiard'?" in capsys.readouterr().err
