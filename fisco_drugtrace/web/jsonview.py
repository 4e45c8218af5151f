"""Library records -> JSON values for the HTTP API and the pages (bytes as 0x-hex, enums by name
with their number beside them in ``<field>_value``).

Served verification renders one record per scan, so the walk is planned once per type: a
dataclass's shown fields are listed the first time the type is met (``dataclasses.fields`` and
the ``is_dataclass``/ABC checks cost more than the conversion itself), and values are dispatched
on their exact type through a small table before the general checks run.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Callable, Mapping

__all__ = ["to_json"]

_Convert = Callable[[Any], Any]

#: exact type -> converter; filled as types are met (a dataclass, an enum, a plain value)
_PLANS: dict[type, _Convert] = {}


def _same(obj: Any) -> Any:
    return obj


def _hex(obj: Any) -> str:
    return "0x" + bytes(obj).hex()


def _sequence(obj: Any) -> list[Any]:
    return [to_json(v) for v in obj]


def _mapping(obj: Any) -> dict[str, Any]:
    return {str(k): to_json(v) for k, v in obj.items()}


def _enum(obj: Any) -> Any:
    return obj.name if not isinstance(obj.value, str) else obj.value


def _dataclass_plan(cls: type) -> _Convert:
    names = tuple(f.name for f in dataclasses.fields(cls) if f.repr and f.name != "raw")

    def convert(obj: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            value = getattr(obj, name)
            plan = _PLANS.get(type(value))
            out[name] = plan(value) if plan is not None else to_json(value)
            if isinstance(value, enum.Enum) and not isinstance(value.value, str):
                out[name + "_value"] = int(value.value)
        return out

    return convert


def _plan_for(cls: type) -> _Convert | None:
    """The converter for every instance of ``cls`` (``None``: decide per object)."""
    if dataclasses.is_dataclass(cls):
        return _dataclass_plan(cls)
    if issubclass(cls, enum.Enum):
        return _enum
    if issubclass(cls, (bytes, bytearray, memoryview)):
        return _hex
    if issubclass(cls, Mapping):
        return _mapping
    if issubclass(cls, (list, tuple, set, frozenset)):  # a named tuple too: a list, as before
        return _sequence
    if hasattr(cls, "_asdict"):
        return lambda obj: to_json(obj._asdict())
    if cls in (str, int, float, bool, type(None)):
        return _same
    return None


def to_json(obj: Any) -> Any:
    """A JSON-ready copy of ``obj``."""
    cls = type(obj)
    plan = _PLANS.get(cls)
    if plan is None:
        if cls not in _PLANS:
            found = _plan_for(cls)
            if found is not None:
                _PLANS[cls] = plan = found
        if plan is None:
            if isinstance(obj, (str, int, float, bool)) or obj is None:
                return obj
            return str(obj)
    return plan(obj)
