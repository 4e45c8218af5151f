"""Reading untrusted answer bytes safely: bounded nesting, short excerpts for error messages.

The nesting guard itself lives in :mod:`fisco_drugtrace.jsonsafe` (a leaf module, so the
keystore reader below this layer uses it too); it is re-exported here for the transport.
"""

from __future__ import annotations

from fisco_drugtrace.jsonsafe import MAX_JSON_DEPTH, JsonTooDeep, json_depth, load_json

__all__ = ["MAX_JSON_DEPTH", "JsonTooDeep", "json_depth", "load_json", "body_excerpt"]

#: How many characters of an unusable body are kept in error messages.
_EXCERPT_CHARS = 200


def body_excerpt(body: bytes | str) -> str:
    """The first characters of a body, for error messages (never the whole thing)."""
    head = body[: _EXCERPT_CHARS * 4 + 8]
    text = head.decode("utf-8", errors="replace") if isinstance(head, (bytes, bytearray)) else head
    text = text.strip()
    longer = len(text) > _EXCERPT_CHARS or len(body) > len(head)
    return text[:_EXCERPT_CHARS] + ("…" if longer else "")
