"""Library records -> JSON values for the HTTP API and the pages (bytes as 0x-hex, enums by name
with their number beside them in ``<field>_value``)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Mapping

__all__ = ["to_json"]


def to_json(obj: Any) -> Any:
    """A JSON-ready copy of ``obj``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            if not f.repr or f.name == "raw":
                continue
            value = getattr(obj, f.name)
            out[f.name] = to_json(value)
            if isinstance(value, enum.Enum) and not isinstance(value.value, str):
                out[f.name + "_value"] = int(value.value)
        return out
    if isinstance(obj, enum.Enum):
        return obj.name if not isinstance(obj.value, str) else obj.value
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return "0x" + bytes(obj).hex()
    if isinstance(obj, Mapping):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_json(v) for v in obj]
    if hasattr(obj, "_asdict"):
        return to_json(obj._asdict())
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)
