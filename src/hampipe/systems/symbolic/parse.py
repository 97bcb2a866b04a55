"""Safe parsing of a user-written Hamiltonian: text to a sympy expression, never evaluated.

``eval``, ``exec``, ``sympy.sympify`` and ``parse_expr`` all run Python code, so the text
is parsed with ``ast.parse(text, mode="eval")`` and the syntax tree is walked against a
whitelist (numbers, the declared names, ``pi``, ``E``, ``+ - * / **``, unary ``+ -`` and
calls of a fixed set of functions by plain name), building the sympy expression node by
node. Anything else (attributes, subscripts, lambdas, strings, keywords, comparisons,
unknown names or functions) is a :class:`~hampipe.core.config.ConfigError` that names the
config key.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from typing import Any

from hampipe.core.config import ConfigError

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

_MAX_EXPONENT = 1000  # largest |n| in x**n
_MAX_BITS = 1100  # largest exact number built from literals (a float ends at 2**1024)
_MAX_DEPTH = 400  # nesting levels of the syntax tree (a sum of n terms nests n deep)
_MAX_CALL_DEPTH = 20  # functions nested in functions: sin(sin(...)) grows the Hessian fast
_MAX_FLOAT = 1.7976931348623157e308  # every constant sub-expression must fit in a float
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


class Parser:
    """Build a sympy expression from a whitelisted Python syntax tree (no evaluation).

    Parameters
    ----------
    where
        The config key path that prefixes every error message.
    symbols
        The declared names (coordinates, momenta, parameters) and their sympy symbols;
        ``pi`` and ``E`` are added. After :meth:`parse`, ``used`` holds the names met.
    """

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


__all__ = ["CONSTANTS", "FUNCTIONS", "Parser"]
