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
