"""User-defined Hamiltonian systems: H(q, p) written as text in the config, handled by sympy.

A config entry such as::

    systems:
      duffing:
        hamiltonian: "p**2/2 + alpha*q**2/2 + beta*q**4/4"
        coordinates: [q]
        momenta: [p]
        parameters: {alpha: 1.0, beta: 0.5}
        initial_state: {sampler: uniform, low: [-1, -1], high: [1, 1]}

becomes a :class:`SymbolicSystem`: sympy differentiates H once (gradient and Hessian) and
``sympy.lambdify`` turns the derivatives into vectorised numpy (and, on request, torch)
functions, so the system integrates Hamilton's equations dq/dt = dH/dp, dp/dt = -dH/dq
(SANN paper, Eq. 1) like any built-in system.

Safe parsing: the text is never evaluated. ``eval``, ``exec``, ``sympy.sympify`` and
``parse_expr`` all run Python code, so the text is parsed with ``ast.parse(text,
mode="eval")`` and the syntax tree is walked against a whitelist (numbers, the declared
names, ``pi``, ``E``, ``+ - * / **``, unary ``+ -`` and calls of a fixed set of functions by
plain name), building the sympy expression node by node. Anything else (attributes,
subscripts, lambdas, strings, keywords, comparisons, unknown names or functions) is a
:class:`~hampipe.core.config.ConfigError` that names the config key.
"""

from __future__ import annotations

import ast
import functools
import json
import keyword
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from hampipe.core.config import ConfigError, key_path
from hampipe.systems.base import HamiltonianSystem

#: Functions a Hamiltonian may call, by name, with their number of arguments and the
#: sympy attribute they map to.
FUNCTIONS: dict[str, tuple[str, int]] = {
    "sin": ("sin", 1),
    "cos": ("cos", 1),
    "tan": ("tan", 1),
    "exp": ("exp", 1),
    "log": ("log", 1),
    "sqrt": ("sqrt", 1),
    "sinh": ("sinh", 1),
    "cosh": ("cosh", 1),
    "tanh": ("tanh", 1),
    "asin": ("asin", 1),
    "acos": ("acos", 1),
    "atan": ("atan", 1),
    "atan2": ("atan2", 2),
    "Abs": ("Abs", 1),
    "abs": ("Abs", 1),
}
#: Named constants a Hamiltonian may use.
CONSTANTS: tuple[str, ...] = ("pi", "E")
#: Sampler names and the options each one needs.
SAMPLERS: dict[str, tuple[str, str]] = {"uniform": ("low", "high"), "normal": ("mean", "std")}
#: The config keys (and constructor arguments) that define a user system.
DEFINITION_KEYS: tuple[str, ...] = ("hamiltonian", "coordinates", "momenta")

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_MAX_TEXT = 4000  # characters of Hamiltonian text
_MAX_EXPONENT = 1000  # largest |n| in x**n
_MAX_BITS = 1100  # largest exact number built from literals (a float ends at 2**1024)
_MAX_DEPTH = 400  # nesting levels of the syntax tree (a sum of n terms nests n deep)
_MAX_CALL_DEPTH = 20  # functions nested in functions: sin(sin(...)) grows the Hessian fast
_MAX_FLOAT = 1.7976931348623157e308  # every constant sub-expression must fit in a float
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def _key(system: str, *parts: Any) -> str:
    return key_path(["systems", system, *parts])


# ------------------------------------------------------------------------- parsing
class _Parser:
    """Build a sympy expression from a whitelisted Python syntax tree (no evaluation)."""

    def __init__(self, where: str, symbols: Mapping[str, Any]) -> None:
        import sympy

        self.sympy = sympy
        self.where = where
        self.names = {**symbols, "pi": sympy.pi, "E": sympy.E}
        self.used: set[str] = set()
        self.depth = 0
        self.call_depth = 0

    def fail(self, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: {message}")

    def parse(self, text: str):
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as error:
            column = f" at column {error.offset}" if error.offset else ""
            raise self.fail(f"invalid syntax{column}: {error.msg} in {text!r}") from None
        except (ValueError, RecursionError, MemoryError) as error:
            raise self.fail(
                f"cannot parse the expression ({type(error).__name__}: {error})"
            ) from None
        try:
            return self.visit(tree.body, text)
        except RecursionError:
            raise self.fail("expression is nested too deeply") from None

    def visit(self, node: ast.AST, text: str):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.fail(f"expression is nested too deeply (more than {_MAX_DEPTH} levels)")
        try:
            return self.fits_a_float(self._visit(node, text), node, text)
        finally:
            self.depth -= 1

    def fits_a_float(self, value, node: ast.AST, text: str):
        """Refuse constants beyond the float range: they would overflow in numpy."""
        if getattr(value, "is_Number", False) and abs(value) > _MAX_FLOAT:
            segment = ast.get_source_segment(text, node) or "a constant"
            raise self.fail(f"{segment!r} is larger than the largest float")
        return value

    def _visit(self, node: ast.AST, text: str):
        sympy = self.sympy
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.fail(f"unsupported constant {value!r}; only real numbers are allowed")
            if isinstance(value, int):
                return sympy.Integer(value)
            if not math.isfinite(value):
                raise self.fail(f"non-finite number {value!r}")
            # The shortest decimal that round-trips: exact, so no digits are lost in lambdify.
            return sympy.Rational(repr(value))
        if isinstance(node, ast.Name):
            if node.id in self.names:
                self.used.add(node.id)
                return self.names[node.id]
            if node.id in FUNCTIONS:
                raise self.fail(f"function {node.id!r} used without arguments")
            known = ", ".join(self.names)
            raise self.fail(f"undefined symbol {node.id!r} (known: {known})")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
            operand = self.visit(node.operand, text)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.visit(node.left, text), self.visit(node.right, text)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
            return self.power(left, right)
        if isinstance(node, ast.Call):
            return self.call(node, text)
        segment = ast.get_source_segment(text, node) or type(node).__name__
        raise self.fail(
            f"unsupported syntax {segment!r} ({type(node).__name__}); allowed: numbers, "
            f"names, + - * / **, and calls of {', '.join(FUNCTIONS)}"
        )

    def power(self, base, exponent):
        sympy = self.sympy
        if exponent.is_Number and abs(exponent) > _MAX_EXPONENT:
            raise self.fail(f"exponent {exponent} is larger than {_MAX_EXPONENT} in magnitude")
        if base.is_Rational and exponent.is_Integer:
            bits = max(abs(int(base.p)).bit_length(), int(base.q).bit_length()) - 1
            bits *= abs(int(exponent))
            if bits > _MAX_BITS:
                raise self.fail(f"the number {base}**{exponent} is too large")
        result = sympy.Pow(base, exponent)
        if result.is_Pow and result.exp.is_Number and abs(result.exp) > _MAX_EXPONENT:
            raise self.fail(f"exponent {result.exp} is larger than {_MAX_EXPONENT} in magnitude")
        return result

    def call(self, node: ast.Call, text: str):
        segment = ast.get_source_segment(text, node) or "call"
        if not isinstance(node.func, ast.Name):
            raise self.fail(
                f"unsupported call {segment!r}: only functions called by plain name are "
                f"allowed ({', '.join(FUNCTIONS)})"
            )
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.fail(f"unknown function {name!r} (allowed: {', '.join(FUNCTIONS)})")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise self.fail(f"{segment!r}: functions take positional arguments only")
        attribute, arity = FUNCTIONS[name]
        if len(node.args) != arity:
            raise self.fail(f"{segment!r}: {name} takes {arity} argument(s)")
        self.call_depth += 1
        if self.call_depth > _MAX_CALL_DEPTH:
            raise self.fail(f"functions are nested more than {_MAX_CALL_DEPTH} deep")
        try:
            args = [self.visit(arg, text) for arg in node.args]
        finally:
            self.call_depth -= 1
        function = getattr(self.sympy, attribute)
        if not any(arg.free_symbols for arg in args):
            # A constant call: bound its value numerically before sympy evaluates it
            # exactly (exp(10**30*log(2)) would otherwise become the integer 2**(10**30)).
            value = self.sympy.N(function(*args, evaluate=False), 20)
            if not value.is_finite or (value.is_real and abs(value) > _MAX_FLOAT):
                raise self.fail(f"{segment!r} is not a finite float")
        return function(*args)


# ---------------------------------------------------------------------- validation
def _names(system: str, what: str, names: Any) -> list[str]:
    where = _key(system, what)
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) == 0:
        raise ConfigError(f"{where}: expected a non-empty list of names, got {names!r}")
    out: list[str] = []
    for i, name in enumerate(names):
        _check_name(_key(system, what, i), name)
        if name in out:
            raise ConfigError(f"{where}: duplicate name {name!r}")
        out.append(name)
    return out


def _check_name(where: str, name: Any) -> None:
    if not isinstance(name, str) or not _NAME.match(name) or keyword.iskeyword(name):
        raise ConfigError(
            f"{where}: {name!r} is not a valid name (a letter, then letters, digits or _)"
        )
    if name in FUNCTIONS or name in CONSTANTS:
        raise ConfigError(f"{where}: {name!r} is reserved for a function or constant")


def _parameters(system: str, parameters: Mapping | None, taken: set[str]) -> dict[str, float]:
    where = _key(system, "parameters")
    if parameters is None:
        return {}
    if not isinstance(parameters, Mapping):
        raise ConfigError(f"{where}: expected a mapping of name to number, got {parameters!r}")
    out: dict[str, float] = {}
    for name, value in parameters.items():
        _check_name(_key(system, "parameters", name), name)
        if name in taken:
            raise ConfigError(f"{where}: {name!r} is already a coordinate or momentum name")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(
                f"{_key(system, 'parameters', name)}: expected a number, got {value!r}"
            )
        if not math.isfinite(float(value)):
            raise ConfigError(f"{_key(system, 'parameters', name)}: non-finite value {value!r}")
        out[name] = float(value)
    return out


def _vector(where: str, values: Any, length: int) -> list[float]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ConfigError(f"{where}: expected a list of {length} numbers, got {values!r}")
    if len(values) != length:
        raise ConfigError(
            f"{where}: expected {length} numbers (coordinates then momenta), got {len(values)}"
        )
    out = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(f"{where}: expected numbers, got {value!r}")
        if not math.isfinite(float(value)):
            raise ConfigError(f"{where}: non-finite value {value!r}")
        out.append(float(value))
    return out


def _initial_state(system: str, initial_state: Mapping | None, dof: int) -> dict[str, Any]:
    where = _key(system, "initial_state")
    if initial_state is None:
        return {"sampler": "uniform", "low": [-1.0] * (2 * dof), "high": [1.0] * (2 * dof)}
    if not isinstance(initial_state, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {initial_state!r}")
    sampler = initial_state.get("sampler")
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ConfigError(
            f"{where}.sampler: {sampler!r} is not a sampler (allowed: {', '.join(SAMPLERS)})"
        )
    first, second = SAMPLERS[sampler]
    unknown = sorted(set(initial_state) - {"sampler", first, second}, key=str)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(map(repr, unknown))} for sampler "
            f"{sampler!r} (allowed: sampler, {first}, {second})"
        )
    for option in (first, second):
        if option not in initial_state:
            raise ConfigError(f"{where}.{option}: required by sampler {sampler!r}")
    a = _vector(f"{where}.{first}", initial_state[first], 2 * dof)
    b = _vector(f"{where}.{second}", initial_state[second], 2 * dof)
    if sampler == "uniform" and not all(lo < hi for lo, hi in zip(a, b, strict=True)):
        raise ConfigError(f"{where}: need low < high in every component, got {a} and {b}")
    if sampler == "normal" and not all(s > 0 for s in b):
        raise ConfigError(f"{where}.std: every component must be > 0, got {b}")
    return {"sampler": sampler, first: a, second: b}


# --------------------------------------------------------------------- compilation
class TorchFunctions(NamedTuple):
    """H and its gradients on torch tensors ``q``, ``p`` of shape ``(batch, dof)``.

    ``hamiltonian(q, p)`` has shape ``(batch,)``, ``dH_dq(q, p)`` and ``dH_dp(q, p)``
    ``(batch, dof)``; results keep the inputs' dtype and device and support autograd.
    """

    hamiltonian: Callable
    dH_dq: Callable
    dH_dp: Callable


def _fill_numpy(values: Sequence, batch: int) -> np.ndarray:
    """Stack lambdified results (arrays of shape (batch,) or scalars) as (batch, len)."""
    out = np.empty((batch, len(values)))
    for i, value in enumerate(values):
        out[:, i] = value
    return out


def _fill_torch(template, values: Sequence):
    """Torch version of :func:`_fill_numpy`, without importing torch (tensor methods only)."""
    out = template.new_empty((template.shape[0], len(values)))
    for i, value in enumerate(values):
        out[:, i] = value
    return out


class _Compiled:
    """Sympy expressions of H, its gradient and Hessian (parameters substituted), compiled."""

    def __init__(self, name, hamiltonian, coordinates, momenta, parameters) -> None:
        try:
            self._build(name, hamiltonian, coordinates, momenta, parameters)
        except ConfigError:
            raise
        except (RecursionError, ValueError, OverflowError, MemoryError, TypeError) as error:
            # sympy's differentiation or code printing gave up on the expression.
            raise ConfigError(
                f"{_key(name, 'hamiltonian')}: cannot differentiate and compile "
                f"{hamiltonian!r} ({type(error).__name__}: {error})"
            ) from None

    def _build(self, name, hamiltonian, coordinates, momenta, parameters) -> None:
        import sympy

        where = _key(name, "hamiltonian")
        q = [sympy.Symbol(s, real=True) for s in coordinates]
        p = [sympy.Symbol(s, real=True) for s in momenta]
        theta = {s: sympy.Symbol(s, real=True) for s in parameters}
        parser = _Parser(
            where,
            {
                **dict(zip(coordinates, q, strict=True)),
                **dict(zip(momenta, p, strict=True)),
                **theta,
            },
        )
        H = parser.parse(hamiltonian)
        if not isinstance(H, sympy.Expr):
            raise ConfigError(f"{where}: {hamiltonian!r} is not a scalar expression")
        self._check_value(H, where, "")
        if not H.free_symbols & set(p):
            raise ConfigError(
                f"{where}: H = {hamiltonian} does not depend on any momentum ({', '.join(momenta)})"
            )
        unused = [s for s in parameters if s not in parser.used]
        if unused:
            raise ConfigError(
                f"{_key(name, 'parameters')}: {', '.join(map(repr, unused))} not used in H"
            )
        values = {theta[s]: sympy.Rational(repr(v)) for s, v in parameters.items()}
        H = H.xreplace(values)
        self._check_value(H, _key(name, "parameters"), " with these parameter values")
        if not H.free_symbols & set(p):
            raise ConfigError(
                f"{_key(name, 'parameters')}: with these values H no longer depends on "
                f"any momentum ({', '.join(momenta)})"
            )
        u = q + p
        n = len(q)
        gradient = [self._clean(sympy.diff(H, x)) for x in u]
        hessian = [[self._clean(sympy.diff(g, x)) for x in u] for g in gradient]
        self.dof = n
        self.H = H
        self.gradient = gradient
        self.hessian = hessian
        self.symbols = u
        upper = [(i, j) for i in range(2 * n) for j in range(i, 2 * n)]
        self.upper = upper
        self.numpy_H = self._lambdify([H], "numpy")
        self.numpy_dH_dq = self._lambdify(gradient[:n], "numpy")
        self.numpy_dH_dp = self._lambdify(gradient[n:], "numpy")
        self.numpy_hessian = self._lambdify([hessian[i][j] for i, j in upper], "numpy")
        self.separable = self._mixed_block_vanishes()
        self._torch: TorchFunctions | None = None

    def _mixed_block_vanishes(self) -> bool:
        """Whether ∂²H/∂q_i∂p_j = 0 for all i, j, i.e. H = T(p) + V(q).

        True when every mixed entry is 0 after differentiation, or when all of them are
        numerically zero (relative to the Hessian's size) at 16 random states: each entry
        is analytic, and an analytic function that is not identically zero vanishes at
        random points with probability zero. Never calls ``simplify``, which can take
        minutes. Non-finite values at the test states count as inseparable.
        """
        n = self.dof
        mixed = [k for k, (i, j) in enumerate(self.upper) if i < n <= j]
        if all(self.hessian[self.upper[k][0]][self.upper[k][1]] == 0 for k in mixed):
            return True
        states = np.random.default_rng(0).uniform(-2.0, 2.0, size=(16, 2 * n))
        with np.errstate(all="ignore"):
            values = _fill_numpy(self.numpy_hessian(*states.T), len(states))
        if not np.all(np.isfinite(values)):
            return False
        scale = max(1.0, float(np.abs(values).max()))
        return bool(np.abs(values[:, mixed]).max() <= 1e-9 * scale)

    @staticmethod
    def _check_value(H, where: str, suffix: str) -> None:
        import sympy

        if H.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise ConfigError(f"{where}: H is infinite or undefined{suffix} ({H})")
        if H.has(sympy.I):
            raise ConfigError(f"{where}: H has an imaginary part{suffix} ({H})")

    @staticmethod
    def _clean(expression):
        """Drop DiracDelta terms (from differentiating Abs twice): zero almost everywhere."""
        import sympy

        return expression.replace(sympy.DiracDelta, lambda *args: sympy.S.Zero)

    def _lambdify(self, expressions: list, module: str):
        import sympy

        return sympy.lambdify(self.symbols, expressions, modules=module, cse=True, dummify=True)

    def torch_functions(self) -> TorchFunctions:
        if self._torch is None:
            n = self.dof
            f_H = self._lambdify([self.H], "torch")
            f_dq = self._lambdify(self.gradient[:n], "torch")
            f_dp = self._lambdify(self.gradient[n:], "torch")

            def hamiltonian(q, p):
                return _fill_torch(q, f_H(*q.unbind(1), *p.unbind(1)))[:, 0]

            def dH_dq(q, p):
                return _fill_torch(q, f_dq(*q.unbind(1), *p.unbind(1)))

            def dH_dp(q, p):
                return _fill_torch(q, f_dp(*q.unbind(1), *p.unbind(1)))

            self._torch = TorchFunctions(hamiltonian, dH_dq, dH_dp)
        return self._torch


@functools.lru_cache(maxsize=64)
def _compile(
    name: str,
    hamiltonian: str,
    coordinates: tuple[str, ...],
    momenta: tuple[str, ...],
    parameters: tuple[tuple[str, float], ...],
) -> _Compiled:
    """Parse and differentiate once per process and spec (unpickled copies reuse it)."""
    return _Compiled(name, hamiltonian, coordinates, momenta, dict(parameters))


# -------------------------------------------------------------------------- system
class SymbolicSystem(HamiltonianSystem):
    """A Hamiltonian system whose H(q, p) is written as text in the config.

    Implements Hamilton's equations dq/dt = dH/dp, dp/dt = -dH/dq (SANN paper, Eq. 1) for
    a user-written H: sympy computes dH/dq, dH/dp and the Hessian in the (q, p) ordering
    once, with the parameters substituted as exact numbers, and ``sympy.lambdify``
    compiles them to numpy functions vectorised over a batch of shape ``(batch, dof)``.
    The text is parsed safely (see the module docstring): it is never evaluated.

    Not registered in ``SYSTEMS``: it is the fallback for config names that are not built
    in. Unlike the registered systems, every instance carries its own ``name``,
    ``parameters`` (exactly the given ones, as floats; all must appear in H),
    ``separable`` (detected: the mixed Hessian block ∂²H/∂q_i∂p_j is identically zero,
    i.e. H = T(p) + V(q)) and ``hamiltonian_text`` (``"H = "`` plus the user's text as
    written, stripped of surrounding white space). ``dof_names`` are the coordinate names;
    units are all ``"1"``.

    Parameters
    ----------
    name
        The config name; error messages name keys ``systems.<name>.<key>``.
    hamiltonian
        H as text, e.g. ``"p**2/2 + alpha*q**2/2 + beta*q**4/4"``. Allowed: int and float
        literals, the names below, ``pi``, ``E``, ``+ - * / **``, unary ``+ -`` and calls of
        ``sin cos tan exp log sqrt sinh cosh tanh asin acos atan atan2 Abs abs``.
    coordinates, momenta
        Names of q_1..q_n and of their conjugate momenta p_1..p_n (same length n ≥ 1).
    parameters
        Named constants of H, e.g. ``{"alpha": 1.0, "beta": 0.5}``.
    initial_state
        ``{"sampler": "uniform", "low": [...], "high": [...]}`` or ``{"sampler": "normal",
        "mean": [...], "std": [...]}``, each list of length 2n over (coordinates...,
        momenta...). Default: uniform on [-1, 1]^(2n).

    Raises
    ------
    ConfigError
        Naming the key path of any invalid value.

    Notes
    -----
    Instances pickle by their spec (for ``ProcessPoolExecutor``); compiled functions are
    cached per process, so unpickling does not repeat the symbolic work.
    """

    units = {"q": "1", "p": "1", "energy": "1"}

    def __init__(
        self,
        name: str,
        hamiltonian: str,
        coordinates: Sequence[str],
        momenta: Sequence[str],
        parameters: Mapping[str, float] | None = None,
        initial_state: Mapping[str, Any] | None = None,
    ) -> None:
        where = _key(name, "hamiltonian")
        if not isinstance(hamiltonian, str) or not hamiltonian.strip():
            raise ConfigError(f"{where}: expected the Hamiltonian as text, got {hamiltonian!r}")
        text = hamiltonian.strip()
        if len(text) > _MAX_TEXT:
            raise ConfigError(f"{where}: longer than {_MAX_TEXT} characters")
        q_names = _names(name, "coordinates", coordinates)
        p_names = _names(name, "momenta", momenta)
        if len(q_names) != len(p_names):
            raise ConfigError(
                f"{_key(name, 'momenta')}: {len(p_names)} momenta for {len(q_names)} "
                f"coordinates; each coordinate needs one conjugate momentum"
            )
        shared = [s for s in p_names if s in q_names]
        if shared:
            raise ConfigError(
                f"{_key(name, 'momenta')}: {', '.join(map(repr, shared))} also a coordinate"
            )
        self.name = name
        self.parameters = _parameters(name, parameters, set(q_names) | set(p_names))
        self.initial_state = _initial_state(name, initial_state, len(q_names))
        self._hamiltonian_source = text
        self._coordinates = q_names
        self._momenta = p_names
        self._compiled = _compile(
            name, text, tuple(q_names), tuple(p_names), tuple(self.parameters.items())
        )
        self.separable = self._compiled.separable
        self.hamiltonian_text = f"H = {text}"

    # ---------------------------------------------------------------- spec, pickle
    def _spec(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "hamiltonian": self._hamiltonian_source,
            "coordinates": list(self._coordinates),
            "momenta": list(self._momenta),
            "parameters": dict(self.parameters),
            "initial_state": json.loads(json.dumps(self.initial_state)),
        }

    def __getstate__(self) -> dict[str, Any]:
        return self._spec()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def __repr__(self) -> str:
        return (
            f"SymbolicSystem({self.name!r}, {self._hamiltonian_source!r}, "
            f"coordinates={self._coordinates}, momenta={self._momenta}, "
            f"parameters={self.parameters})"
        )

    def definition_json(self) -> str:
        """H, coordinates and momenta as JSON text (sorted keys), for the NetCDF attrs.

        With ``parameters`` and ``initial_state`` (stored separately) this rebuilds the
        system through :meth:`from_definition`.
        """
        spec = self._spec()
        return json.dumps({k: spec[k] for k in DEFINITION_KEYS}, sort_keys=True)

    @classmethod
    def from_definition(
        cls,
        name: str,
        definition_json: str,
        parameters: Mapping[str, float] | str | None,
        initial_state: Mapping[str, Any] | str | None = None,
    ) -> SymbolicSystem:
        """Rebuild a system from :meth:`definition_json` plus its parameters.

        ``parameters`` and ``initial_state`` may be mappings or JSON text (as stored by
        ``parameters_json`` and the ground-truth ``initial_state`` attr).
        """
        try:
            definition = json.loads(definition_json)
            if isinstance(parameters, str):
                parameters = json.loads(parameters)
            if isinstance(initial_state, str):
                initial_state = json.loads(initial_state)
        except json.JSONDecodeError as error:
            raise ValueError(f"system {name!r}: invalid JSON in its definition: {error}") from None
        if not isinstance(definition, Mapping):
            raise ValueError(f"system {name!r}: definition is not a JSON object")
        missing = sorted(set(DEFINITION_KEYS) - set(definition))
        if missing:
            raise ValueError(f"system {name!r}: definition lacks {', '.join(missing)}")
        return cls.from_mapping(name, definition, parameters, initial_state)

    @classmethod
    def from_mapping(
        cls,
        name: str,
        definition: Mapping[str, Any],
        parameters: Mapping[str, float] | None = None,
        initial_state: Mapping[str, Any] | None = None,
    ) -> SymbolicSystem:
        """Build a system from a mapping holding the :data:`DEFINITION_KEYS`."""
        return cls(
            name,
            **{key: definition[key] for key in DEFINITION_KEYS},
            parameters=parameters,
            initial_state=initial_state,
        )

    # ----------------------------------------------------------------------- maths
    @property
    def dof_names(self) -> list[str]:
        return list(self._coordinates)

    @property
    def momentum_names(self) -> list[str]:
        """Names of the conjugate momenta p_1..p_n, as written in the config."""
        return list(self._momenta)

    def _hamiltonian(self, q, p):
        out = np.empty(q.shape[0])
        out[:] = self._compiled.numpy_H(*q.T, *p.T)[0]
        return out

    def _dH_dq(self, q, p):
        return _fill_numpy(self._compiled.numpy_dH_dq(*q.T, *p.T), q.shape[0])

    def _dH_dp(self, q, p):
        return _fill_numpy(self._compiled.numpy_dH_dp(*q.T, *p.T), q.shape[0])

    def _hessian(self, q, p):
        values = self._compiled.numpy_hessian(*q.T, *p.T)
        hess = np.empty((q.shape[0], 2 * self.dof, 2 * self.dof))
        for (i, j), value in zip(self._compiled.upper, values, strict=True):
            hess[:, i, j] = value
            hess[:, j, i] = value
        return hess

    def torch_functions(self) -> TorchFunctions:
        """H, dH/dq and dH/dp as functions of torch tensors of shape ``(batch, dof)``.

        Compiled with ``sympy.lambdify(..., modules="torch")`` on first use (torch is
        imported by sympy then, not by hampipe.systems); used by evaluation to compute
        the true energy of predicted trajectories.
        """
        return self._compiled.torch_functions()

    def _sample_initial_states(self, rng, n):
        state = self.initial_state
        size = (n, 2 * self.dof)
        if state["sampler"] == "uniform":
            u = rng.uniform(state["low"], state["high"], size=size)
        else:
            u = rng.normal(state["mean"], state["std"], size=size)
        return u[:, : self.dof], u[:, self.dof :]


def check_user_system(name: str, spec: Mapping) -> SymbolicSystem:
    """Validate a user-defined ``systems.<name>`` config entry and build its system.

    Reads ``hamiltonian``, ``coordinates``, ``momenta`` (required), ``parameters`` and
    ``initial_state``; other keys (``dt``, ``steps``, ``trajectories``, ``ground_truth``,
    ``evaluation``, ...) are left to the schema. Called before any job runs.

    Raises
    ------
    ConfigError
        Naming the key path, e.g. ``systems.duffing.hamiltonian: undefined symbol 'gamma'``.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{_key(name)}: expected a mapping, got {spec!r}")
    for required in DEFINITION_KEYS:
        if required not in spec:
            raise ConfigError(
                f"{_key(name, required)}: required for a system that is not built in "
                "(hamiltonian, coordinates and momenta define it)"
            )
    return SymbolicSystem.from_mapping(
        name, spec, parameters=spec.get("parameters"), initial_state=spec.get("initial_state")
    )


__all__ = ["DEFINITION_KEYS", "SymbolicSystem", "TorchFunctions", "check_user_system"]
