"""Small, strict converters from node JSON values to Python values (shared by both dialects).

Any value of the wrong shape raises :class:`BadResponseError`: the node (or something pretending
to be one) answered, but not with what the protocol says.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

from fisco_drugtrace.errors import BadResponseError
from fisco_drugtrace.rpc.answers import load_json
from fisco_drugtrace.types import Address, Dialect, Log, Receipt, TxHash, status_name

__all__ = [
    "quantity",
    "opt_quantity",
    "hex_bytes",
    "hash32",
    "address",
    "opt_address",
    "json_object",
    "obj",
    "log_filter",
    "receipt_record",
    "log_matches",
    "to_quantity",
    "tx_hash",
    "ZERO_ADDRESS",
    "shape_guard",
    "items",
]

_F = TypeVar("_F", bound=Callable[..., Any])

ZERO_ADDRESS = "0x" + "0" * 40


def _bad(what: str, value: Any) -> BadResponseError:
    text = repr(value)
    return BadResponseError(f"unexpected {what} from the node: {text[:120]}", body_excerpt=text[:200])


def shape_guard(what: str) -> Callable[[_F], _F]:
    """Turn a parser's ``AttributeError``/``TypeError``/``KeyError``/``IndexError`` on an
    unexpected JSON shape into :class:`BadResponseError` (a node answering nonsense is a bad
    response, not a bug in the caller)."""

    def decorate(parse: _F) -> _F:
        @functools.wraps(parse)
        def guarded(value: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return parse(value, *args, **kwargs)
            except (AttributeError, TypeError, KeyError, IndexError) as exc:
                raise _bad(what, value) from exc

        return guarded  # type: ignore[return-value]

    return decorate


#: Longest quantity text accepted: a 256-bit value is 64 hex / 78 decimal digits (plus sign, 0x).
_MAX_QUANTITY_CHARS = 80


def quantity(value: Any, what: str = "quantity") -> int:
    """An int from a JSON int, ``"0x.."`` hex or a decimal string, at most 256 bits wide
    (a node answering a gigabit integer is a bad answer, not a block number)."""
    if isinstance(value, bool):
        raise _bad(what, value)
    if isinstance(value, int):
        if abs(value).bit_length() > 256:
            raise _bad(what, f"<a {abs(value).bit_length()}-bit integer>")
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_QUANTITY_CHARS:
            raise _bad(what, text[:_MAX_QUANTITY_CHARS] + "…")
        try:
            if text.lower().startswith(("0x", "-0x")):
                return int(text, 16)
            return int(text, 10)
        except ValueError:
            pass
    raise _bad(what, value)


def opt_quantity(value: Any, what: str = "quantity") -> int | None:
    return None if value is None or value == "" else quantity(value, what)


def to_quantity(value: int) -> str:
    """``0x`` hex for a non-negative int (2.x params, filter ids)."""
    return hex(int(value))


def hex_bytes(value: Any, what: str = "hex data") -> bytes:
    """Bytes from ``"0x.."`` or bare hex; ``None``/``""``/``"0x"`` are empty."""
    if value is None:
        return b""
    if isinstance(value, list) and all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b < 256
                                       for b in value):  # 3.x extension: a list of byte values
        return bytes(value)
    if not isinstance(value, str):
        raise _bad(what, value)
    text = value[2:] if value[:2].lower() == "0x" else value
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise _bad(what, value) from exc


def hash32(value: Any, what: str = "hash") -> str:
    """``0x`` + 64 lower-case hex; accepts the hash with or without ``0x`` (2.x is inconsistent)."""
    if not isinstance(value, str):
        raise _bad(what, value)
    text = value[2:] if value[:2].lower() == "0x" else value
    if len(text) != 64:
        raise _bad(what, value)
    try:
        bytes.fromhex(text)
    except ValueError as exc:
        raise _bad(what, value) from exc
    return "0x" + text.lower()


def address(value: Any, what: str = "address") -> Address:
    """``0x`` + 40 lower-case hex; accepts no ``0x`` (3.x logEntries) and any case."""
    if not isinstance(value, str):
        raise _bad(what, value)
    text = value[2:] if value[:2].lower() == "0x" else value
    if len(text) != 40:
        raise _bad(what, value)
    try:
        bytes.fromhex(text)
    except ValueError as exc:
        raise _bad(what, value) from exc
    return Address("0x" + text.lower())


def opt_address(value: Any, what: str = "address") -> Address | None:
    """``None`` for absent, empty or the zero address (2.x uses zeros for "no address")."""
    if value is None or value in ("", "0x"):
        return None
    normalized = address(value, what)
    return None if normalized == ZERO_ADDRESS else normalized


def items(value: Any, what: str = "list") -> list[Any]:
    """A JSON array (``null`` counts as empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad(what, value)
    return value


def json_object(value: Any, what: str) -> Any:
    """A value the node sends as a JSON *string* (3.x sync/consensus status, genesis config)."""
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            return load_json(value)  # nesting bounded: a node's string must not crash us either
        except ValueError as exc:
            raise _bad(what, value) from exc
    raise _bad(what, value)


def obj(value: Any, what: str) -> Mapping[str, Any]:
    """The value must be a JSON object."""
    if not isinstance(value, Mapping):
        raise _bad(what, value)
    return value


def tx_hash(value: Any) -> TxHash:
    return TxHash(hash32(value, "transaction hash"))


def _topic_set(spec: Any) -> set[bytes] | None:
    if spec is None:
        return None
    items: Iterable[Any] = spec if isinstance(spec, (list, tuple, set, frozenset)) else [spec]
    return {bytes(t) if isinstance(t, (bytes, bytearray)) else hex_bytes(t, "topic") for t in items}


def log_filter(addresses: Sequence[str] | None, topics: Sequence[Any] | None) -> Callable[[Log], bool]:
    """A predicate with Ethereum filter semantics, normalised once: any listed address; per topic
    position ``None`` = any, a value = exact, a list = any of them."""
    wanted = {address(a) for a in addresses} if addresses else None
    positions = [(i, allowed) for i, allowed in enumerate(_topic_set(spec) for spec in (topics or ()))
                 if allowed is not None]

    def matches(log: Log) -> bool:
        if wanted is not None and log.address not in wanted:
            return False
        for position, allowed in positions:
            if position >= len(log.topics) or log.topics[position] not in allowed:
                return False
        return True

    return matches


def log_matches(log: Log, addresses: Sequence[str] | None, topics: Sequence[Any] | None) -> bool:
    """One-off form of :func:`log_filter`."""
    return log_filter(addresses, topics)(log)



def receipt_record(o: Mapping[str, Any], *, dialect: Dialect, tx: TxHash, number: int, status: int,
                   logs: tuple[Log, ...], message_key: str) -> Receipt:
    """The dialect-neutral :class:`Receipt` from a node's receipt object; the dialect parsers
    decode what differs (status encoding, log shape, the message's key) and pass it in."""
    return Receipt(
        transaction_hash=tx,
        block_number=number,
        status=status,
        status_name=status_name(dialect, status),
        gas_used=quantity(o.get("gasUsed") or 0, "gasUsed"),
        output=hex_bytes(o.get("output"), "receipt output"),
        logs=logs,
        contract_address=opt_address(o.get("contractAddress"), "contractAddress"),
        from_address=opt_address(o.get("from"), "from"),
        to_address=opt_address(o.get("to"), "to"),
        message=str(o.get(message_key) or ""),
        raw=dict(o),
    )
