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


def load_json(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses documents nesting deeper than ``max_depth``.

    :raises JsonTooDeep: too deep (a :class:`ValueError`, like every other decoding failure).
    :raises ValueError: not JSON (``json.JSONDecodeError``, ``UnicodeDecodeError``).
    """
    depth = json_depth(data)
    if depth > max_depth:
        raise JsonTooDeep(depth, max_depth)
    return json.loads(data)
