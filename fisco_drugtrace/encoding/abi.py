"""Solidity ABI over eth-abi: calls, outputs, deploys, events, custom errors and reverts.

:class:`ContractAbi` reads a contract's ABI JSON (list of entries) and offers:

* ``encode_call(fn, args)`` / ``decode_call(data)`` / ``decode_output(fn, data)``;
* ``encode_deploy(bytecode, args)``;
* ``decode_log(log)`` -> :class:`DecodedEvent` (indexed and non-indexed arguments, anonymous events);
* ``decode_error(data)`` -> :class:`DecodedError` for custom errors, ``Error(string)`` and
  ``Panic(uint256)``;
* ``selector(fn)``, ``event_topic(name)``.

``fn`` is a name (``"transfer"``) or a full signature (``"transfer(address,uint256)"``); overloads
are resolved by argument count, then by which overload the values fit.

Python values:

* ``address`` -> ``"0x"`` + 40 lower-case hex (inputs accept any case, or 20 bytes);
* ``bytes``/``bytesN`` -> ``bytes`` (inputs also accept ``"0x.."`` hex);
* arrays -> ``list``; ``intN``/``uintN`` -> ``int``; ``bool``; ``string`` -> ``str``;
* tuples (structs) -> ``dict`` by component name when every component is named, else ``tuple``
  (inputs accept either a mapping or a sequence);
* function results: no outputs -> ``None``, one output -> the value itself, several outputs ->
  a ``tuple`` in declaration order (use :meth:`ContractAbi.decode_output_dict` for names);
* event and error arguments -> ``dict`` by name (unnamed ones are ``arg0``, ``arg1``, ...).
  Indexed arguments of dynamic type (string, bytes, arrays, tuples) are only stored as their
  hash on chain; they decode to the 32-byte topic.

Selectors and topics use Keccak-256 by default; pass ``hasher`` for SM chains (SM3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import eth_abi
from eth_abi.exceptions import DecodingError, EncodingError as EthAbiEncodingError, ParseError as EthAbiParseError

from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.errors import AbiDecodingError, AbiEncodingError, AbiError
from fisco_drugtrace.types import Log
from fisco_drugtrace.jsonsafe import load_json

__all__ = [
    "ContractAbi",
    "AbiParam",
    "AbiFunction",
    "AbiEvent",
    "AbiErrorDef",
    "DecodedEvent",
    "DecodedError",
    "DecodedCall",
    "ERROR_SELECTOR",
    "PANIC_SELECTOR",
    "PANIC_REASONS",
]

Hasher = Callable[[bytes], bytes]

#: ``Error(string)`` (require/revert with a message).
ERROR_SELECTOR = bytes.fromhex("08c379a0")
#: ``Panic(uint256)`` (assert, overflow, division by zero, ...).
PANIC_SELECTOR = bytes.fromhex("4e487b71")

#: Solidity panic codes.
PANIC_REASONS: Mapping[int, str] = {
    0x00: "generic compiler panic",
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "bad storage byte array encoding",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to zero-initialised internal function",
}


# --------------------------------------------------------------------------- params and values
@dataclass(frozen=True)
class AbiParam:
    """One ABI parameter; ``components`` for tuples, ``indexed`` for event inputs."""

    name: str
    type: str
    components: tuple["AbiParam", ...] = ()
    indexed: bool = False

    @classmethod
    def from_json(cls, entry: Mapping[str, Any]) -> "AbiParam":
        try:
            return cls(
                name=str(entry.get("name") or ""),
                type=str(entry["type"]),
                components=tuple(cls.from_json(c) for c in entry.get("components") or ()),
                indexed=bool(entry.get("indexed", False)),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise AbiError(f"malformed ABI parameter {entry!r}") from exc

    @property
    def canonical(self) -> str:
        """The type as it appears in signatures: tuples expanded, e.g. ``(uint256,address)[]``."""
        if self.type.startswith("tuple"):
            return "(" + ",".join(c.canonical for c in self.components) + ")" + self.type[len("tuple"):]
        return self.type

    @property
    def array_suffix(self) -> str | None:
        """``"[]"``/``"[3]"`` of the outermost array dimension, or ``None``."""
        if not self.type.endswith("]"):
            return None
        return self.type[self.type.rindex("["):]

    def element(self) -> "AbiParam":
        """The element parameter of an array parameter."""
        suffix = self.array_suffix
        assert suffix is not None
        return AbiParam(self.name, self.type[: -len(suffix)], self.components)

    @property
    def is_dynamic_for_topic(self) -> bool:
        """Indexed values of these types are stored as their hash."""
        return (self.type in ("string", "bytes") or self.type.endswith("]") or self.type.startswith("tuple"))


def _arg_names(params: Sequence[AbiParam]) -> list[str]:
    return [p.name or f"arg{i}" for i, p in enumerate(params)]


def _to_abi(param: AbiParam, value: Any) -> Any:
    """A Python value -> what eth-abi's strict encoder takes for ``param``."""
    if param.array_suffix is not None:
        if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
            raise AbiEncodingError(f"{param.name or param.type}: expected a list for {param.canonical}, got {value!r}")
        element = param.element()
        return [_to_abi(element, v) for v in value]
    if param.type == "tuple":
        if isinstance(value, Mapping):
            missing = [c.name for c in param.components if c.name not in value]
            if missing or not all(c.name for c in param.components):
                raise AbiEncodingError(f"{param.name or 'tuple'}: struct needs keys {[c.name for c in param.components]}")
            items = [value[c.name] for c in param.components]
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            raise AbiEncodingError(f"{param.name or 'tuple'}: expected a mapping or sequence, got {value!r}")
        if len(items) != len(param.components):
            raise AbiEncodingError(f"{param.name or 'tuple'}: expected {len(param.components)} fields, got {len(items)}")
        return tuple(_to_abi(c, v) for c, v in zip(param.components, items))
    if param.type == "address":
        if isinstance(value, (bytes, bytearray)) and len(value) == 20:
            return "0x" + bytes(value).hex()
        if isinstance(value, str):
            return value.lower() if value[:2] in ("0x", "0X") else "0x" + value.lower()
        return value
    if param.type.startswith("bytes") and isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            return bytes.fromhex(text)
        except ValueError as exc:
            raise AbiEncodingError(f"{param.name or param.type}: {value!r} is not hex") from exc
    if param.type.startswith("bytes") and isinstance(value, bytearray):
        return bytes(value)
    return value


def _from_abi(param: AbiParam, value: Any) -> Any:
    """What eth-abi decoded -> the documented Python value."""
    if param.array_suffix is not None:
        element = param.element()
        return [_from_abi(element, v) for v in value]
    if param.type == "tuple":
        items = [_from_abi(c, v) for c, v in zip(param.components, value)]
        if param.components and all(c.name for c in param.components):
            return {c.name: v for c, v in zip(param.components, items)}
        return tuple(items)
    if param.type == "address":
        return str(value).lower()
    return value


def _encode(params: Sequence[AbiParam], values: Sequence[Any], what: str) -> bytes:
    if len(values) != len(params):
        raise AbiError(f"{what} takes {len(params)} argument(s), got {len(values)}")
    prepared = [_to_abi(p, v) for p, v in zip(params, values)]
    try:
        return eth_abi.encode([p.canonical for p in params], prepared)
    except (EthAbiEncodingError, TypeError, ValueError, OverflowError) as exc:
        raise AbiEncodingError(f"{what}: arguments do not fit ({exc})") from exc


def _decode(params: Sequence[AbiParam], data: bytes, what: str) -> list[Any]:
    try:
        values = eth_abi.decode([p.canonical for p in params], bytes(data))
    except (DecodingError, EthAbiParseError, TypeError, ValueError, OverflowError) as exc:
        raise AbiDecodingError(f"{what}: data does not decode ({exc}); 0x{bytes(data)[:64].hex()}...") from exc
    return [_from_abi(p, v) for p, v in zip(params, values)]


# --------------------------------------------------------------------------- entries
@dataclass(frozen=True)
class AbiFunction:
    name: str
    inputs: tuple[AbiParam, ...]
    outputs: tuple[AbiParam, ...]
    state_mutability: str
    selector: bytes

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(p.canonical for p in self.inputs)})"

    @property
    def is_read_only(self) -> bool:
        return self.state_mutability in ("view", "pure")

    def encode_call(self, args: Sequence[Any]) -> bytes:
        return self.selector + _encode(self.inputs, args, self.signature)

    def decode_input(self, data: bytes) -> list[Any]:
        """Arguments of calldata (without checking the selector)."""
        return _decode(self.inputs, bytes(data)[4:], self.signature)

    def decode_output(self, data: bytes) -> Any:
        """``None`` / the single value / a tuple (see the module docs)."""
        values = _decode(self.outputs, data, f"{self.signature} result")
        if not self.outputs:
            return None
        return values[0] if len(values) == 1 else tuple(values)

    def decode_output_dict(self, data: bytes) -> dict[str, Any]:
        return dict(zip(_arg_names(self.outputs), _decode(self.outputs, data, f"{self.signature} result")))


@dataclass(frozen=True)
class AbiEvent:
    name: str
    inputs: tuple[AbiParam, ...]
    anonymous: bool
    topic: bytes

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(p.canonical for p in self.inputs)})"

    @property
    def indexed(self) -> tuple[AbiParam, ...]:
        return tuple(p for p in self.inputs if p.indexed)


@dataclass(frozen=True)
class AbiErrorDef:
    name: str
    inputs: tuple[AbiParam, ...]
    selector: bytes

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(p.canonical for p in self.inputs)})"


@dataclass(frozen=True)
class DecodedEvent:
    """An event decoded from a :class:`~fisco_drugtrace.types.Log`; ``args`` by name."""

    name: str
    args: dict[str, Any]
    log: Log = field(repr=False)


@dataclass(frozen=True)
class DecodedError:
    """Revert data decoded: ``"Error"`` (``message``), ``"Panic"`` (``code``) or a custom error."""

    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class DecodedCall:
    """Calldata decoded: which function and its arguments by name."""

    function: AbiFunction
    args: dict[str, Any]


_BUILTIN_ERRORS = (
    AbiErrorDef("Error", (AbiParam("message", "string"),), ERROR_SELECTOR),
    AbiErrorDef("Panic", (AbiParam("code", "uint256"),), PANIC_SELECTOR),
)


class ContractAbi:
    """A contract's ABI: functions (with overloads), constructor, events and errors.

    :param abi: the ABI as a list of entries (or its JSON text).
    :param hasher: 32-byte hash for selectors/topics (Keccak-256; SM3 on SM chains).
    """

    def __init__(self, abi: Sequence[Mapping[str, Any]] | str, *, hasher: Hasher = keccak256) -> None:
        if isinstance(abi, str):
            try:
                abi = load_json(abi)
            except ValueError as exc:
                raise AbiError(f"ABI is not JSON: {exc}") from exc
        if not isinstance(abi, Sequence) or not all(isinstance(e, Mapping) for e in abi):
            raise AbiError("ABI must be a list of JSON objects")
        self.entries: tuple[Mapping[str, Any], ...] = tuple(abi)
        self._hasher = hasher
        self.functions: dict[str, list[AbiFunction]] = {}
        self.events: dict[str, list[AbiEvent]] = {}
        self.errors: dict[bytes, AbiErrorDef] = {e.selector: e for e in _BUILTIN_ERRORS}
        self.constructor_inputs: tuple[AbiParam, ...] = ()
        self._by_selector: dict[bytes, AbiFunction] = {}
        self._by_topic: dict[bytes, AbiEvent] = {}
        for entry in self.entries:
            self._add(entry)

    def _hash(self, text: str) -> bytes:
        return self._hasher(text.encode())

    def _add(self, entry: Mapping[str, Any]) -> None:
        kind = entry.get("type", "function")
        inputs = tuple(AbiParam.from_json(p) for p in entry.get("inputs") or ())
        name = str(entry.get("name") or "")
        signature = f"{name}({','.join(p.canonical for p in inputs)})"
        if kind == "function":
            outputs = tuple(AbiParam.from_json(p) for p in entry.get("outputs") or ())
            mutability = str(entry.get("stateMutability") or ("view" if entry.get("constant") else "nonpayable"))
            fn = AbiFunction(name, inputs, outputs, mutability, self._hash(signature)[:4])
            self.functions.setdefault(name, []).append(fn)
            self._by_selector[fn.selector] = fn
        elif kind == "constructor":
            self.constructor_inputs = inputs
        elif kind == "event":
            event = AbiEvent(name, inputs, bool(entry.get("anonymous", False)), self._hash(signature))
            self.events.setdefault(name, []).append(event)
            if not event.anonymous:
                self._by_topic[event.topic] = event
        elif kind == "error":
            error = AbiErrorDef(name, inputs, self._hash(signature)[:4])
            self.errors[error.selector] = error
        # fallback / receive carry nothing to encode

    # -- functions --------------------------------------------------------------------------
    def function(self, fn: str, args: Sequence[Any] | None = None) -> AbiFunction:
        """The function called ``fn`` (name or signature); overloads resolved by ``args``."""
        if "(" in fn:
            for candidate in self.functions.get(fn.split("(", 1)[0], ()):
                if candidate.signature == fn.replace(" ", ""):
                    return candidate
            raise AbiError(f"the ABI has no function {fn}")
        candidates = self.functions.get(fn)
        if not candidates:
            known = ", ".join(sorted(self.functions)) or "none"
            raise AbiError(f"the ABI has no function {fn!r} (functions: {known})")
        if len(candidates) == 1:
            return candidates[0]
        if args is None:
            raise AbiError(f"{fn} is overloaded ({', '.join(c.signature for c in candidates)}); give the signature")
        by_count = [c for c in candidates if len(c.inputs) == len(args)]
        fitting = []
        for candidate in by_count:
            try:
                candidate.encode_call(args)
            except (AbiEncodingError, AbiError):
                continue
            fitting.append(candidate)
        if len(fitting) == 1:
            return fitting[0]
        if not fitting:
            raise AbiError(f"no overload of {fn} takes {len(args)} argument(s) of these types: "
                           + ", ".join(c.signature for c in candidates))
        raise AbiError(f"arguments fit several overloads of {fn} ({', '.join(c.signature for c in fitting)}); "
                       "give the signature")

    def selector(self, fn: str) -> bytes:
        """The 4-byte selector of a function (name of a non-overloaded function, or signature)."""
        return self.function(fn).selector

    def encode_call(self, fn: str, args: Sequence[Any] = ()) -> bytes:
        """Calldata: selector + ABI-encoded arguments."""
        return self.function(fn, args).encode_call(args)

    def decode_call(self, data: bytes) -> DecodedCall:
        """Which function calldata calls, and with what."""
        fn = self._by_selector.get(bytes(data[:4]))
        if fn is None:
            raise AbiDecodingError(f"no function with selector 0x{bytes(data[:4]).hex()} in the ABI")
        return DecodedCall(fn, dict(zip(_arg_names(fn.inputs), fn.decode_input(data))))

    def decode_output(self, fn: str, data: bytes) -> Any:
        """A function's return data (``None`` / value / tuple)."""
        return self._output_function(fn).decode_output(data)

    def decode_output_dict(self, fn: str, data: bytes) -> dict[str, Any]:
        """A function's return data by output name (``arg0``... when unnamed)."""
        return self._output_function(fn).decode_output_dict(data)

    def _output_function(self, fn: str) -> AbiFunction:
        if "(" not in fn and len(self.functions.get(fn, ())) > 1:
            outputs = {c.outputs for c in self.functions[fn]}
            if len(outputs) == 1:
                return self.functions[fn][0]
        return self.function(fn)

    # -- deploy -----------------------------------------------------------------------------
    def encode_deploy(self, bytecode: bytes | str, args: Sequence[Any] = ()) -> bytes:
        """Init code + ABI-encoded constructor arguments."""
        if isinstance(bytecode, str):
            text = bytecode[2:] if bytecode[:2] in ("0x", "0X") else bytecode
            try:
                bytecode = bytes.fromhex(text)
            except ValueError as exc:
                raise AbiEncodingError(f"bytecode is not hex (unlinked libraries?): {exc}") from exc
        if not bytecode:
            raise AbiEncodingError("empty bytecode: the contract is abstract or an interface")
        return bytes(bytecode) + _encode(self.constructor_inputs, args, "constructor")

    # -- events -----------------------------------------------------------------------------
    def event(self, name: str) -> AbiEvent:
        if "(" in name:
            for candidate in self.events.get(name.split("(", 1)[0], ()):
                if candidate.signature == name.replace(" ", ""):
                    return candidate
            raise AbiError(f"the ABI has no event {name}")
        candidates = self.events.get(name)
        if not candidates:
            raise AbiError(f"the ABI has no event {name!r} (events: {', '.join(sorted(self.events)) or 'none'})")
        if len(candidates) > 1:
            raise AbiError(f"event {name} is overloaded; give the signature")
        return candidates[0]

    def event_topic(self, name: str) -> bytes:
        """topic0 of an event (name or signature)."""
        return self.event(name).topic

    def decode_log(self, log: Log) -> DecodedEvent | None:
        """The event a log carries, or ``None`` when no event of this ABI matches it.

        :raises AbiDecodingError: topic0 names one of our events but the data does not decode.
        """
        if log.topics and bytes(log.topics[0]) in self._by_topic:
            event = self._by_topic[bytes(log.topics[0])]
            if len(log.topics) - 1 != len(event.indexed):
                raise AbiDecodingError(f"{event.signature}: expected {len(event.indexed)} indexed topics, "
                                       f"got {len(log.topics) - 1}")
            return DecodedEvent(event.name, self._event_args(event, log.topics[1:], log.data), log)
        for events in self.events.values():
            for event in events:
                if not event.anonymous or len(event.indexed) != len(log.topics):
                    continue
                try:
                    return DecodedEvent(event.name, self._event_args(event, log.topics, log.data), log)
                except AbiDecodingError:
                    continue
        return None

    def _event_args(self, event: AbiEvent, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
        names = _arg_names(event.inputs)
        plain = [p for p in event.inputs if not p.indexed]
        plain_values = iter(_decode(plain, data, event.signature))
        topic_values = iter(topics)
        args: dict[str, Any] = {}
        for name, param in zip(names, event.inputs):
            if not param.indexed:
                args[name] = next(plain_values)
                continue
            topic = bytes(next(topic_values))
            args[name] = topic if param.is_dynamic_for_topic else _decode([param], topic, event.signature)[0]
        return args

    # -- errors -----------------------------------------------------------------------------
    def decode_error(self, data: bytes) -> DecodedError | None:
        """Revert data -> the error it names (custom, ``Error`` or ``Panic``), or ``None``."""
        data = bytes(data)
        definition = self.errors.get(data[:4]) if len(data) >= 4 else None
        if definition is None:
            return None
        try:
            values = _decode(definition.inputs, data[4:], definition.signature)
        except AbiDecodingError:
            return None
        return DecodedError(definition.name, dict(zip(_arg_names(definition.inputs), values)))
