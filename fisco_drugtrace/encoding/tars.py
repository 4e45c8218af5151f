"""A small Tars (TUP) binary writer and reader — what FISCO BCOS 3.x transactions need.

Wire format (TarsCpp ``Tars.h``): every field starts with a head — one byte ``tag << 4 | type``
for tags below 15, else ``0xF0 | type`` and a tag byte. Integers use the smallest width that
holds them (0 is the head alone, type ``ZERO``); strings up to 255 bytes are ``STRING1`` with a
1-byte length, longer ones ``STRING4``; ``vector<byte>`` is a ``SIMPLE_LIST`` (head, a ``0x00``
element head, the length as an int with tag 0, the bytes); other vectors are ``LIST``; a nested
struct sits between ``STRUCT_BEGIN`` and a ``STRUCT_END`` head.

The writer is a set of functions appending to a ``bytearray`` (fast enough for signing loops);
the reader parses a struct into ``{tag: TarsValue}`` and skips what the caller does not ask for.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from fisco_drugtrace.errors import TarsError

__all__ = [
    "CHAR", "SHORT", "INT32", "INT64", "FLOAT", "DOUBLE", "STRING1", "STRING4", "MAP", "LIST",
    "STRUCT_BEGIN", "STRUCT_END", "ZERO", "SIMPLE_LIST",
    "put_head", "put_int", "put_string", "put_bytes", "put_list", "put_struct_begin", "put_struct_end",
    "TarsValue", "TarsReader", "read_struct",
    "get_int", "get_string", "get_bytes", "get_struct", "get_list",
]

CHAR, SHORT, INT32, INT64, FLOAT, DOUBLE, STRING1, STRING4 = 0, 1, 2, 3, 4, 5, 6, 7
MAP, LIST, STRUCT_BEGIN, STRUCT_END, ZERO, SIMPLE_LIST = 8, 9, 10, 11, 12, 13

_INT_TYPES = (CHAR, SHORT, INT32, INT64, ZERO)
_TYPE_NAMES = {
    CHAR: "Char", SHORT: "Short", INT32: "Int32", INT64: "Int64", FLOAT: "Float", DOUBLE: "Double",
    STRING1: "String1", STRING4: "String4", MAP: "Map", LIST: "List", STRUCT_BEGIN: "StructBegin",
    STRUCT_END: "StructEnd", ZERO: "ZeroTag", SIMPLE_LIST: "SimpleList",
}

_pack_h = struct.Struct(">h").pack
_pack_i = struct.Struct(">i").pack
_pack_q = struct.Struct(">q").pack
_pack_I = struct.Struct(">I").pack


# --------------------------------------------------------------------------- writer
def put_head(buf: bytearray, tag: int, type_: int) -> None:
    """Append a field head."""
    if tag < 15:
        buf.append((tag << 4) | type_)
    elif tag < 256:
        buf.append(0xF0 | type_)
        buf.append(tag)
    else:
        raise TarsError(f"tag {tag} does not fit in a head (max 255)")


def put_int(buf: bytearray, tag: int, value: int) -> None:
    """Append an integer field (any of char/short/int/long) in its smallest encoding."""
    head = (tag << 4) if tag < 15 else None
    if value == 0:
        if head is not None:
            buf.append(head | ZERO)
        else:
            put_head(buf, tag, ZERO)
        return
    if -128 <= value <= 127:
        type_, body = CHAR, (value & 0xFF).to_bytes(1, "big")
    elif -32768 <= value <= 32767:
        type_, body = SHORT, _pack_h(value)
    elif -2147483648 <= value <= 2147483647:
        type_, body = INT32, _pack_i(value)
    elif -(1 << 63) <= value < (1 << 63):
        type_, body = INT64, _pack_q(value)
    else:
        raise TarsError(f"integer {value} does not fit in 64 bits")
    if head is not None:
        buf.append(head | type_)
    else:
        put_head(buf, tag, type_)
    buf += body


def put_string(buf: bytearray, tag: int, value: bytes) -> None:
    """Append a string field (the raw bytes; encode ``str`` as UTF-8 first)."""
    size = len(value)
    if size <= 255:
        put_head(buf, tag, STRING1)
        buf.append(size)
    elif size <= 0xFFFFFFFF:
        put_head(buf, tag, STRING4)
        buf += _pack_I(size)
    else:  # pragma: no cover - 4 GiB
        raise TarsError("string longer than 4 GiB")
    buf += value


def put_bytes(buf: bytearray, tag: int, value: bytes) -> None:
    """Append a ``vector<byte>`` field (SimpleList)."""
    put_head(buf, tag, SIMPLE_LIST)
    buf.append(0)  # element head: Char, tag 0
    put_int(buf, 0, len(value))
    buf += value


def put_list(buf: bytearray, tag: int, items: Iterable[Any], put_item: Callable[[bytearray, int, Any], None]) -> None:
    """Append a ``vector<T>`` field (List); ``put_item(buf, 0, item)`` writes one element."""
    elements = list(items)
    put_head(buf, tag, LIST)
    put_int(buf, 0, len(elements))
    for item in elements:
        put_item(buf, 0, item)


def put_struct_begin(buf: bytearray, tag: int) -> None:
    put_head(buf, tag, STRUCT_BEGIN)


def put_struct_end(buf: bytearray) -> None:
    buf.append(STRUCT_END)


# --------------------------------------------------------------------------- reader
@dataclass(frozen=True)
class TarsValue:
    """One decoded field: its wire ``type`` and the Python value.

    Ints are ``int``, Float/Double ``float``, strings and SimpleLists ``bytes``, a List a
    ``list[TarsValue]``, a Map a ``list[tuple[TarsValue, TarsValue]]``, a struct a
    ``dict[int, TarsValue]``.
    """

    type: int
    value: Any


class TarsReader:
    """Reads Tars fields from ``data`` starting at ``offset``; every overrun is a :class:`TarsError`."""

    __slots__ = ("data", "pos", "_depth")

    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data = bytes(data)
        self.pos = offset
        self._depth = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.data)

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise TarsError(f"truncated Tars data: need {n} bytes at offset {self.pos}, have {len(self.data) - self.pos}")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def read_head(self) -> tuple[int, int]:
        """``(tag, type)`` of the next field."""
        first = self._take(1)[0]
        type_, tag = first & 0x0F, first >> 4
        if tag == 15:
            tag = self._take(1)[0]
        if type_ > SIMPLE_LIST:
            raise TarsError(f"unknown Tars type {type_} at offset {self.pos - 1}")
        return tag, type_

    def read_int_body(self, type_: int) -> int:
        if type_ == ZERO:
            return 0
        if type_ == CHAR:
            return int.from_bytes(self._take(1), "big", signed=True)
        if type_ == SHORT:
            return int.from_bytes(self._take(2), "big", signed=True)
        if type_ == INT32:
            return int.from_bytes(self._take(4), "big", signed=True)
        if type_ == INT64:
            return int.from_bytes(self._take(8), "big", signed=True)
        raise TarsError(f"expected an integer, found {_TYPE_NAMES[type_]} at offset {self.pos}")

    def read_length(self) -> int:
        """A length: an int field with tag 0, non-negative."""
        tag, type_ = self.read_head()
        if tag != 0 or type_ not in _INT_TYPES:
            raise TarsError(f"expected a length (int, tag 0), found tag {tag} {_TYPE_NAMES[type_]}")
        size = self.read_int_body(type_)
        if size < 0:
            raise TarsError(f"negative length {size}")
        return size

    def read_value(self, type_: int) -> TarsValue:
        """The value of a field whose head has been read."""
        if type_ in _INT_TYPES:
            return TarsValue(type_, self.read_int_body(type_))
        if type_ == STRING1:
            return TarsValue(type_, self._take(self._take(1)[0]))
        if type_ == STRING4:
            return TarsValue(type_, self._take(int.from_bytes(self._take(4), "big")))
        if type_ == SIMPLE_LIST:
            tag, elem = self.read_head()
            if tag != 0 or elem != CHAR:
                raise TarsError(f"SimpleList element head must be Char tag 0, got tag {tag} {_TYPE_NAMES[elem]}")
            return TarsValue(type_, self._take(self.read_length()))
        if type_ == LIST:
            size = self.read_length()
            items = []
            for _ in range(size):
                _, item_type = self.read_head()
                items.append(self.read_value(item_type))
            return TarsValue(type_, items)
        if type_ == MAP:
            size = self.read_length()
            pairs = []
            for _ in range(size):
                _, kt = self.read_head()
                key = self.read_value(kt)
                _, vt = self.read_head()
                pairs.append((key, self.read_value(vt)))
            return TarsValue(type_, pairs)
        if type_ == STRUCT_BEGIN:
            self._depth += 1
            if self._depth > 32:
                raise TarsError("Tars structs nested too deeply")
            fields = self.read_fields(nested=True)
            self._depth -= 1
            return TarsValue(type_, fields)
        if type_ == FLOAT:
            return TarsValue(type_, struct.unpack(">f", self._take(4))[0])
        if type_ == DOUBLE:
            return TarsValue(type_, struct.unpack(">d", self._take(8))[0])
        raise TarsError(f"unexpected {_TYPE_NAMES.get(type_, type_)} at offset {self.pos}")

    def read_fields(self, *, nested: bool) -> dict[int, TarsValue]:
        """Fields until ``STRUCT_END`` (nested) or the end of the data (top level)."""
        fields: dict[int, TarsValue] = {}
        while True:
            if self.at_end():
                if nested:
                    raise TarsError("truncated Tars data: struct without StructEnd")
                return fields
            tag, type_ = self.read_head()
            if type_ == STRUCT_END:
                if not nested:
                    raise TarsError(f"StructEnd outside a struct at offset {self.pos - 1}")
                return fields
            fields[tag] = self.read_value(type_)


def read_struct(data: bytes) -> dict[int, TarsValue]:
    """All fields of a top-level struct (written without begin/end), consuming all of ``data``."""
    return TarsReader(data).read_fields(nested=False)


# --------------------------------------------------------------------------- typed getters
def get_int(fields: dict[int, TarsValue], tag: int, default: int = 0) -> int:
    """Integer field ``tag`` (absent -> ``default``)."""
    item = fields.get(tag)
    if item is None:
        return default
    if item.type not in _INT_TYPES:
        raise TarsError(f"tag {tag}: expected an integer, found {_TYPE_NAMES[item.type]}")
    return item.value


def get_string(fields: dict[int, TarsValue], tag: int) -> str:
    """String field ``tag`` decoded as UTF-8 (absent -> ``""``)."""
    item = fields.get(tag)
    if item is None:
        return ""
    if item.type not in (STRING1, STRING4):
        raise TarsError(f"tag {tag}: expected a string, found {_TYPE_NAMES[item.type]}")
    try:
        return item.value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TarsError(f"tag {tag}: string is not UTF-8") from exc


def get_bytes(fields: dict[int, TarsValue], tag: int) -> bytes:
    """``vector<byte>`` field ``tag`` (absent -> ``b""``). A List of Char is accepted too."""
    item = fields.get(tag)
    if item is None:
        return b""
    if item.type == SIMPLE_LIST:
        return item.value
    if item.type == LIST and all(v.type in (CHAR, ZERO) for v in item.value):
        return bytes(v.value & 0xFF for v in item.value)
    raise TarsError(f"tag {tag}: expected vector<byte>, found {_TYPE_NAMES[item.type]}")


def get_struct(fields: dict[int, TarsValue], tag: int) -> dict[int, TarsValue] | None:
    """Nested struct field ``tag`` (absent -> ``None``)."""
    item = fields.get(tag)
    if item is None:
        return None
    if item.type != STRUCT_BEGIN:
        raise TarsError(f"tag {tag}: expected a struct, found {_TYPE_NAMES[item.type]}")
    return item.value


def get_list(fields: dict[int, TarsValue], tag: int) -> list[TarsValue]:
    """List field ``tag`` (absent -> ``[]``)."""
    item = fields.get(tag)
    if item is None:
        return []
    if item.type != LIST:
        raise TarsError(f"tag {tag}: expected a list, found {_TYPE_NAMES[item.type]}")
    return item.value
