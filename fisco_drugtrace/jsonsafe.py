"""JSON from untrusted bytes (node answers, key files, reports) with bounded nesting.

Python's ``json`` decoder recurses once per nested array/object and only stops at the
interpreter's recursion limit. py_ecc (imported through eth-keyfile by our keystore module)
raises that limit to 100,000 at import, and 50-70k nested ``[`` then overflow the C stack:
the process dies with SIGSEGV instead of raising. :func:`load_json` therefore measures the
nesting depth first (in C-speed passes: one regex for string literals, one ``translate``, one
``accumulate``) and refuses anything deeper than :data:`MAX_JSON_DEPTH` before ``json`` sees it.
No FISCO BCOS answer nests more than ~10 levels.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "JsonTooDeep", "json_depth", "load_json"]

try:
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is a dependency; without it, the text is measured
    _orjson_loads = None

#: Deepest nesting accepted in an answer (arrays + objects).
MAX_JSON_DEPTH = 256

# a JSON string literal (escapes included); brackets inside strings do not nest
_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
# '[' and '{' -> 1, ']' and '}' -> 255 (-1 after the signed view below), everything else removed
_OPEN, _CLOSE = b"[{", b"]}"
_DELTA = bytes.maketrans(_OPEN + _CLOSE, b"\x01\x01\xff\xff")
_OTHERS = bytes(b for b in range(256) if b not in _OPEN + _CLOSE)


class JsonTooDeep(ValueError):
    """The document nests deeper than allowed (raised before any recursive parsing)."""

    def __init__(self, depth: int, limit: int) -> None:
        super().__init__(f"JSON nests {depth} levels deep (more than {limit})")
        self.depth = depth
        self.limit = limit


def json_depth(data: bytes | str) -> int:
    """The maximum nesting depth of a JSON text (0 for a scalar). Malformed text gives a
    best-effort figure; the parser reports the syntax error afterwards."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if b"[" not in raw and b"{" not in raw:
        return 0
    skeleton = _STRING.sub(b"", raw).translate(_DELTA, _OTHERS)
    if not skeleton:
        return 0
    return max(0, max(accumulate(memoryview(skeleton).cast("b"))))


#: orjson turns an integer past 64 bits into a float, where json keeps the int: a float this
#: large in orjson's value may have been one, and sends the document down the measured path
_BIG = 2.0 ** 63


def _value_depth(value: Any) -> int:
    """The nesting depth of a decoded value, walked without recursion (-1: it holds a float
    of 2^63 or more, which may have been an integer orjson could not keep)."""
    if type(value) is not list and type(value) is not dict:
        return -1 if type(value) is float and not -_BIG < value < _BIG else 0
    deepest, stack = 1, [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > deepest:
            deepest = depth
        for child in (node.values() if type(node) is dict else node):
            kind = type(child)
            if kind is list or kind is dict:
                push((child, depth + 1))
            elif kind is float and not -_BIG < child < _BIG:
                return -1
    return deepest


def load_json(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses documents nesting deeper than ``max_depth``.

    Where orjson is installed (a dependency) it decodes first: it stops by itself at 1,024
    levels with an error, never a crash, so the depth can be measured on the decoded value (a
    walk over its containers) instead of on the text (a regex over every string literal: 4x
    orjson's decoding on a node's ``getLogs`` page). Anything orjson does not read as
    ``json.loads`` would — NaN, UTF-16 bytes, lone surrogates, nesting past its limit — it
    refuses, and a value holding a float of 2^63 or more (maybe an integer past 64 bits, which
    orjson makes a float) is set aside: then the text is measured and ``json.loads`` decodes it, as
    before; so the result is ``json.loads``'s either way.

    :raises JsonTooDeep: too deep (a :class:`ValueError`, like every other decoding failure).
    :raises ValueError: not JSON (``json.JSONDecodeError``, ``UnicodeDecodeError``).
    """
    if _orjson_loads is not None:
        try:
            value = _orjson_loads(data)
        except (ValueError, TypeError):
            pass  # not what orjson reads exactly as json does: the measured path below decides
        else:
            depth = _value_depth(value)
            if depth > max_depth:
                raise JsonTooDeep(depth, max_depth)
            if depth >= 0:
                return value
    depth = json_depth(data)
    if depth > max_depth:
        raise JsonTooDeep(depth, max_depth)
    return json.loads(data)
