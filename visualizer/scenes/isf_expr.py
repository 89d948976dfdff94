"""ISF buffer sizes: the WIDTH and HEIGHT expressions of a pass, evaluated
safely (data only, no GL).

An ISF pass may size its buffer with an expression such as
``"floor($WIDTH/4.0)"``, ``"$WIDTH/16.0"``, ``"1"`` or ``"max($HEIGHT *
$scale, 1.0)"``: ``$WIDTH`` and ``$HEIGHT`` are the render size, ``$NAME``
an input's current value. ISF's reference host evaluates them with exprtk
after dropping every ``$``; here the text is parsed by Python's :mod:`ast`
(never ``eval``) and only this is allowed: numbers, ``+ - * / % **``,
exprtk's ``^`` (a power, not a bit operation), unary ``-`` and ``+``,
comparisons (1 or 0), ``c ? a : b``, and the functions in ``FUNCTIONS``.

A size is evaluated every frame (microseconds; a texture is only made again
when the size it gives changes): NaN gives 1, as in ISF's reference host,
and every side is kept within 1..``MAX_SIDE`` pixels.
"""

import ast
import math
import re
from functools import lru_cache

MAX_SIDE = 8192
"""The largest buffer side an expression can ask for (a GL 3.3 texture is only sure up to this)."""
MAX_CHARS = 256
"""A longer size expression is a mistake."""
SIZE_NAMES = ("WIDTH", "HEIGHT")


def _round(x: float) -> float:     # exprtk's round: half away from zero
    return math.copysign(math.floor(abs(x) + 0.5), x)


FUNCTIONS = {
    "max": (max, 2, 8), "min": (min, 2, 8), "pow": (math.pow, 2, 2),
    "floor": (math.floor, 1, 1), "ceil": (math.ceil, 1, 1), "round": (_round, 1, 1),
    "abs": (abs, 1, 1), "sqrt": (math.sqrt, 1, 1),
}
"""name -> (function, fewest arguments, most arguments)."""

_CHARS = re.compile(r"[0-9A-Za-z_$.+\-*/%^()<>=!?:, \t]*")
_BINARY = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Mod: math.fmod, ast.Pow: math.pow, ast.BitXor: math.pow,
}
_COMPARE = {
    ast.Lt: lambda a, b: a < b, ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b, ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b,
}


class ExpressionError(ValueError):
    """Why a size expression cannot be used (the caller names file and pass)."""


def size_expression(value) -> str:
    """A header's WIDTH or HEIGHT value as expression text: a string as it
    is, a number as its digits (ISF allows both); ExpressionError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ExpressionError("expected an expression such as \"$WIDTH/2.0\" or a number")
    return value.strip() if isinstance(value, str) else repr(value)


def check(text: str, names) -> None:
    """Raise ExpressionError if ``text`` does not parse, or reads a name
    that is neither WIDTH, HEIGHT nor one of ``names`` (the inputs with a
    number for a value)."""
    _compiled(text)   # raises on a syntax error
    unknown = sorted(_names(text) - set(SIZE_NAMES) - set(names))
    if unknown:
        raise ExpressionError(f"${unknown[0]} is neither $WIDTH, $HEIGHT nor an input "
                              "with a number for a value")


def evaluate(text: str, values: dict) -> float:
    """The value of expression ``text`` with ``values`` ({name: number},
    WIDTH and HEIGHT among them; a name missing counts 0); NaN where the
    arithmetic fails (a division by zero, the square root of -1)."""
    try:
        return float(_compiled(text)(values))
    except (ArithmeticError, ValueError, TypeError):
        return math.nan


def side(text: str, default: int, values: dict) -> int:
    """One side of a buffer in pixels: ``default`` (the render size) for an
    empty expression, else the expression's value made a whole number of
    pixels in 1..MAX_SIDE (NaN gives 1, as in ISF's reference host)."""
    if not text:
        return default
    v = evaluate(text, values)
    if math.isnan(v):
        return 1
    return int(min(max(v, 1.0), float(MAX_SIDE)))


def buffer_size(width: str, height: str, size: tuple[int, int], values: dict) -> tuple[int, int]:
    """The (w, h) in pixels of a buffer whose pass has WIDTH ``width`` and
    HEIGHT ``height`` ("" = the render size) at render ``size``, with the
    inputs' current ``values`` ({name: value}; those that are not numbers,
    such as colours, are not readable by an expression)."""
    if not width and not height:
        return (int(size[0]), int(size[1]))
    env = {k: v for k, v in values.items() if isinstance(v, (int, float))}
    env["WIDTH"], env["HEIGHT"] = float(size[0]), float(size[1])
    return side(width, int(size[0]), env), side(height, int(size[1]), env)


def _names(text: str) -> set[str]:
    """The variables ``text`` reads (not the functions it calls)."""
    tree = ast.parse(_python(text), mode="eval")
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


@lru_cache(maxsize=256)
def _compiled(text: str):
    """``text`` as a function of a {name: number} dict; ExpressionError if
    it is not an allowed expression."""
    if not text:
        raise ExpressionError("empty expression")
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"over {MAX_CHARS} characters")
    if not _CHARS.fullmatch(text):
        bad = next(c for c in text if not _CHARS.fullmatch(c))
        raise ExpressionError(f"{bad!r} is not allowed in a size expression")
    try:
        tree = ast.parse(_python(text), mode="eval")
    except ExpressionError:
        raise
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise ExpressionError("not an expression (numbers, + - * / % ^, comparisons, "
                              f"c ? a : b and {', '.join(FUNCTIONS)} are allowed)") from None
    return _node(tree.body)


def _node(node):
    """A closure computing ``node`` (a whitelisted AST node) from the values."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        try:
            v = float(node.value)
        except OverflowError:
            raise ExpressionError("a number too large") from None
        return lambda env: v
    if isinstance(node, ast.Name):
        name = node.id
        return lambda env: float(env.get(name, 0.0))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        a, sign = _node(node.operand), -1.0 if isinstance(node.op, ast.USub) else 1.0
        return lambda env: sign * a(env)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        op, a, b = _BINARY[type(node.op)], _node(node.left), _node(node.right)
        return lambda env: op(a(env), b(env))
    if isinstance(node, ast.Compare) and all(type(o) in _COMPARE for o in node.ops):
        terms = [_node(node.left)] + [_node(c) for c in node.comparators]
        ops = [_COMPARE[type(o)] for o in node.ops]
        return lambda env: _chain(ops, [t(env) for t in terms])
    if isinstance(node, ast.IfExp):
        test, yes, no = _node(node.test), _node(node.body), _node(node.orelse)
        return lambda env: yes(env) if test(env) else no(env)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id not in FUNCTIONS:
            raise ExpressionError(f"{node.func.id}() is not one of {', '.join(FUNCTIONS)}")
        fn, fewest, most = FUNCTIONS[node.func.id]
        if not fewest <= len(node.args) <= most:
            raise ExpressionError(f"{node.func.id}() takes {fewest}"
                                  + (f" to {most}" if most > fewest else "") + " arguments")
        args = [_node(a) for a in node.args]
        return lambda env: float(fn(*[a(env) for a in args]))
    raise ExpressionError(f"{type(node).__name__} is not allowed in a size expression")


def _chain(ops, values) -> float:
    return float(all(op(a, b) for op, a, b in zip(ops, values, values[1:])))


def _python(text: str) -> str:
    """exprtk's text as Python's: ``$`` dropped (as ISF's host does),
    ``c ? a : b`` as ``(a if c else b)`` at every level of parentheses."""
    text = text.replace("$", "")
    if "?" not in text:
        return text
    out, i = [], 0
    while i < len(text):
        if text[i] == "(":
            j = _closing(text, i)
            out.append("(" + _python(text[i + 1:j]) + ")")
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return ", ".join(_ternary(part) for part in _split(''.join(out), ","))


def _ternary(text: str) -> str:
    parts = _split(text, "?", 1)
    if len(parts) == 1:
        return text
    test, rest = parts
    depth = 0   # the ':' that closes this '?' (a nested one: c ? (d ? e : f) : g)
    for k, ch in enumerate(rest):
        depth += (ch == "?") - (ch == ":") if ch in "?:" and _level(rest, k) == 0 else 0
        if depth < 0:
            return f"(({rest[:k]}) if ({test}) else ({_ternary(rest[k + 1:])}))"
    raise ExpressionError("'?' without ':'")


def _level(text: str, k: int) -> int:
    """How deep in parentheses position ``k`` of ``text`` is."""
    return text[:k].count("(") - text[:k].count(")")


def _split(text: str, sep: str, most: int = -1) -> list[str]:
    """``text`` split at ``sep`` outside parentheses."""
    parts, start = [], 0
    for k, ch in enumerate(text):
        if ch == sep and _level(text, k) == 0 and (most < 0 or len(parts) < most):
            parts.append(text[start:k])
            start = k + 1
    return parts + [text[start:]]


def _closing(text: str, i: int) -> int:
    depth = 0
    for j in range(i, len(text)):
        depth += (text[j] == "(") - (text[j] == ")")
        if depth == 0:
            return j
    raise ExpressionError("unbalanced parentheses")
