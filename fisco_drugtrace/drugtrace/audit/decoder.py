"""Suite logs -> :class:`IndexedEvent` records, with JSON-able arguments.

Indexing must keep up with a busy chain (>= 20,000 events/s), and general ABI decoding costs
~70 µs a log. Events whose parameters are all static words (bytes32, uintN/intN, address, bool:
every event of the suite but the few carrying strings) are decoded here by slicing 32-byte words,
straight into JSON values; any other event goes through ``ContractAbi.decode_log``. Both paths
give identical arguments (tests/audit/test_audit_decoder.py checks them against each other).

Each such event gets one generated Python function (built from the ABI once per decoder, from
fixed expression templates and ``repr``-quoted names, never from log data) that slices the
words, reads every argument, writes the args' JSON and the events row's key columns in one go.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

from fisco_drugtrace.drugtrace.audit.index import static_key_plan
from fisco_drugtrace.drugtrace.audit.records import IndexedEvent
from fisco_drugtrace.types import Log

__all__ = ["EventDecoder", "jsonable"]


def jsonable(value: Any) -> Any:
    """Decoded ABI values -> JSON values (bytes as 0x-hex, addresses lower-case, enums as ints)."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") and len(value) == 42 else value
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


_Word = Callable[[bytes], Any]
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").fullmatch
#: what the generated decoders see besides their arguments
_ENV: dict[str, Any] = {"_Z": bytes(32), "_ib": int.from_bytes, "__builtins__": {"len": len}}


def _read_expr(kind: str) -> str | None:
    """The JSON value of one ABI word ``{w}`` of a static elementary type, as a Python
    expression; ``None`` for any other type."""
    if kind == "bytes32":
        return '"0x" + {w}.hex()'
    if kind == "address":
        return '"0x" + {w}[12:].hex()'
    if kind == "bool":
        return "{w}[31] == 1"
    if kind.startswith("uint") and kind[4:].isdigit():
        return '_ib({w}, "big")'
    if kind.startswith("int") and kind[3:].isdigit():
        return '_ib({w}, "big", signed=True)'
    if kind.startswith("bytes") and kind[5:].isdigit():
        return f'"0x" + {{w}}[:{int(kind[5:])}].hex()'
    return None


def _word_reader(kind: str) -> _Word | None:
    """A reader of one ABI word of a static elementary type, giving the JSON value; else None."""
    expr = _read_expr(kind)
    return None if expr is None else eval("lambda w: " + expr.format(w="w"), dict(_ENV))  # noqa: S307


class _StaticEvent:
    """A compiled decoder for one event whose inputs are all static single words.

    ``plan`` lists, in ABI order, each argument's name, its word's position in
    ``topics[1:] + data words`` and its reader. ``read`` is one generated function doing what
    the plan says — slice the words, read each argument, write the JSON text and the events
    row's key columns — with no per-argument calls: it runs for every log of a sync.
    """

    def __init__(self, name: str, inputs: Sequence[Any]) -> None:
        self.name = name
        indexed = [p for p in inputs if p.indexed]
        plain = [p for p in inputs if not p.indexed]
        self.n_topics = len(indexed) + 1
        self.data_size = 32 * len(plain)
        plan: list[tuple[str, int, _Word]] = []
        exprs: list[str] = []
        next_topic, next_word = 0, len(indexed)
        for p in inputs:
            expr = _read_expr(p.type)
            reader = _word_reader(p.type)
            if expr is None or reader is None:
                raise ValueError(p.type)
            if p.indexed:
                slot, next_topic = next_topic, next_topic + 1
            else:
                slot, next_word = next_word, next_word + 1
            plan.append((p.name, slot, reader))
            exprs.append(expr.format(w=f"w{slot}"))
        self.plan = tuple(plan)
        # the events row's key columns, read from the same words (index.static_key_plan)
        keys = static_key_plan(name, [(p.name, p.type) for p in inputs])
        self.has_keys = keys is not None
        # '{"a":"%s","b":%d}' for words read as hex strings and ints: the args' JSON in one
        # formatting call. Not for bools (JSON true/false) or names that would need escaping.
        self.json_template: str | None = None
        if all(_PLAIN_NAME(p.name) and p.type != "bool" for p in inputs):
            parts = [f'"{p.name}":' + ("%d" if "int" in p.type else '"%s"') for p in inputs]
            self.json_template = "{" + ",".join(parts) + "}"
        self.read = self._generate(len(indexed), exprs, keys)

    def _generate(self, n_indexed: int, exprs: Sequence[str],
                  keys: Sequence[tuple[int, int, str]] | None) -> Callable[[Sequence[bytes], bytes], Any]:
        """``read(topics, data) -> (args, args JSON or None, row keys or None)``, or ``None``
        when the log does not have this event's shape."""
        n = len(exprs)
        lines = [f"def read(topics, data):",
                 f"    if len(topics) != {self.n_topics} or len(data) != {self.data_size}:",
                 "        return None"]
        for slot in range(n):
            source = f"topics[{slot + 1}]" if slot < n_indexed else \
                f"data[{32 * (slot - n_indexed)}:{32 * (slot - n_indexed + 1)}]"
            lines.append(f"    w{slot} = {source}")
        lines += [f"    v{i} = {expr}" for i, expr in enumerate(exprs)]
        values = "".join(f"v{i}, " for i in range(n))
        lines.append("    args = {" + ", ".join(f"{p[0]!r}: v{i}" for i, p in enumerate(self.plan)) + "}")
        text = "None" if self.json_template is None else f"{self.json_template!r} % ({values})"
        if keys is None:
            row = "None"
        else:
            columns = ["None"] * 8
            for pos, column, expr in keys:
                columns[column] = expr.format(w=f"w{self.plan[pos][1]}")
            row = "(" + ", ".join(columns) + ")"
        lines.append(f"    return args, {text}, {row}")
        env = dict(_ENV)
        exec(compile("\n".join(lines), f"<decoder {self.name}>", "exec"), env)  # noqa: S102
        return env["read"]

    def decode(self, topics: Sequence[bytes], data: bytes) -> dict[str, Any] | None:
        out = self.read(topics, data)
        return None if out is None else out[0]


def _compile(abi: Any) -> dict[bytes, _StaticEvent]:
    out: dict[bytes, _StaticEvent] = {}
    for events in getattr(abi, "events", {}).values():
        for event in events:
            if event.anonymous or not all(p.name for p in event.inputs):
                continue
            try:
                out[bytes(event.topic)] = _StaticEvent(event.name, event.inputs)
            except ValueError:
                continue  # a dynamic or composite parameter: the general decoder handles it
    return out


class EventDecoder:
    """Decodes logs of the suite's contracts by address.

    :param contracts: address -> (contract name, ``ContractAbi``) for every suite contract.
    """

    def __init__(self, contracts: Mapping[str, tuple[str, Any]]) -> None:
        self._by_address = {addr.lower(): (name, abi) for addr, (name, abi) in contracts.items()}
        self._fast = {addr: _compile(abi) for addr, (_name, abi) in self._by_address.items()}

    @property
    def addresses(self) -> list[str]:
        return sorted(self._by_address)

    def contract_name(self, address: str) -> str | None:
        found = self._by_address.get(address.lower())
        return found[0] if found else None

    def decode_args(self, log: Log) -> tuple[str, str, dict[str, Any]] | None:
        """``(contract, event name, JSON-able args)`` or ``None`` for a foreign/unknown log."""
        address = str(log.address).lower()
        found = self._by_address.get(address)
        if found is None:
            return None
        name, abi = found
        if log.topics:
            fast = self._fast[address].get(bytes(log.topics[0]))
            if fast is not None:
                args = fast.decode(log.topics, log.data)
                if args is not None:
                    return name, fast.name, args
        return self.decode_args_slow(log)

    def decode_args_slow(self, log: Log) -> tuple[str, str, dict[str, Any]] | None:
        """The general path (``ContractAbi.decode_log``), used for events with dynamic fields."""
        found = self._by_address.get(str(log.address).lower())
        if found is None:
            return None
        name, abi = found
        decoded = abi.decode_log(log)
        if decoded is None:
            return None
        return name, decoded.name, {k: jsonable(v) for k, v in decoded.args.items()}

    def decode(self, log: Log, *, position: int = 0, ts_ms: int | None = None) -> IndexedEvent | None:
        """One log as an index record (``None`` for a log this suite did not emit)."""
        address = str(log.address).lower()
        found = self._by_address.get(address)
        if found is None:
            return None
        args_json = row_keys = None
        fast = self._fast[address].get(bytes(log.topics[0])) if log.topics else None
        read = fast.read(log.topics, log.data) if fast is not None else None
        if read is not None:
            contract, name = found[0], fast.name
            args, args_json, row_keys = read
        else:
            out = self.decode_args_slow(log)
            if out is None:
                return None
            contract, name, args = out
        # IndexedEvent(...) with every field given: the frozen dataclass's __init__ sets them one
        # object.__setattr__ at a time; filling __dict__ at once is the same record, ~2x faster
        # (tests/audit/test_audit_decoder.py checks it against the constructor's)
        event = _new(IndexedEvent)
        event.__dict__.update(
            block_number=int(log.block_number or 0),
            tx_hash=str(log.transaction_hash or "").lower(),
            log_index=int(log.log_index if log.log_index is not None else position),
            contract=contract,
            address=address,
            name=name,
            args=args,
            ts_ms=ts_ms,
            position=position,
            block_hash=log.block_hash,
            args_json=args_json,
            row_keys=row_keys,
        )
        return event


_new = object.__new__
