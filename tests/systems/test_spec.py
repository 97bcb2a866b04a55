"""The true system a stage gets as its ``system`` param (hampipe.systems.system_from_spec)."""

import pytest

from hampipe.systems import SYSTEMS, make_system, system_from_spec
from tests.helpers import DUFFING


@pytest.mark.parametrize("name", sorted(SYSTEMS))
def test_a_built_in_spec_gives_the_configured_system(name):
    default = make_system(name)
    built = system_from_spec({"name": name, "parameters": {}, "definition": {}})
    assert type(built) is type(default) and built.parameters == default.parameters
    # a partial spec: the given parameter, the others their defaults
    key, value = next(iter(default.parameters.items()))
    if isinstance(value, int | float):
        partial = system_from_spec({"name": name, "parameters": {key: value + 1}, "definition": {}})
        assert partial.parameters == {**default.parameters, key: value + 1}


def test_a_user_spec_gives_the_symbolic_system():
    definition = {k: DUFFING[k] for k in ("hamiltonian", "coordinates", "momenta")}
    built = system_from_spec(
        {"name": "duffing", "parameters": DUFFING["parameters"], "definition": definition}
    )
    expected = make_system("duffing", DUFFING["parameters"], definition=definition)
    assert built.name == "duffing" and built.parameters == DUFFING["parameters"]
    assert built.definition_json() == expected.definition_json()


def test_a_bad_spec_names_the_param():
    with pytest.raises(ValueError, match=r"^system: expected a mapping with keys name"):
        system_from_spec("spring")
    with pytest.raises(ValueError, match=r"^system: expected a mapping"):
        system_from_spec({"parameters": {}})
    with pytest.raises(ValueError, match=r"^system: unknown key\(s\) initial_state; valid: name"):
        system_from_spec({"name": "spring", "initial_state": {}})
    with pytest.raises(ValueError, match="unknown parameters q; valid: k, m"):
        system_from_spec({"name": "spring", "parameters": {"q": 1.0}, "definition": {}})
    with pytest.raises(ValueError, match="duffing"):  # not built in, and no definition
        system_from_spec({"name": "duffing", "parameters": {}, "definition": {}})
