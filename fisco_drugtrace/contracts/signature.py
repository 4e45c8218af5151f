"""Human-readable signatures and command-line values for any contract, as ``cast`` takes them.

* :func:`parse_function` reads ``"balanceOf(address)(uint256)"``, ``"transfer(address to, uint256
  amount) returns (bool)"`` or ``"f((uint256,address)[],bytes32)"`` into a JSON ABI function entry;
* :func:`parse_types` reads a type list (``"(uint256,string)"`` or ``"uint256,string"``);
* :func:`parse_value` / :func:`parse_values` turn command-line text into the Python values the
  ABI encoder takes: integers in decimal or ``0x`` hex, ``true``/``false``, hex for bytes,
  ``[a,b]`` for arrays, ``(a,b)`` for tuples, strings as given (quotes optional inside lists);
* :func:`encode_values` / :func:`decode_values` (``abi encode`` / ``abi decode``), :func:`selector`,
  :func:`event_topic` and :func:`keccak` (text, or ``0x`` hex as bytes).

Every problem is an :class:`~fisco_drugtrace.errors.AbiEncodingError` /
:class:`~fisco_drugtrace.errors.AbiDecodingError` naming the piece of text at fault.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.encoding.abi import ContractAbi
from fisco_drugtrace.errors import AbiDecodingError, AbiEncodingError, AbiError

__all__ = [
    "parse_function",
    "parse_event",
    "parse_types",
    "parse_value",
    "parse_values",
    "encode_values",
    "decode_values",
    "canonical",
    "selector",
    "event_topic",
    "keccak",
]

_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_ELEMENTARY = re.compile(r"^(address|bool|string|bytes([1-9]|[12][0-9]|3[0-2])?|u?int(8|16|24|32|40|48|56|64|72|80|88|96"
                         r"|104|112|120|128|136|144|152|160|168|176|184|192|200|208|216|224|232|240|248|256)?)$")
_ARRAY = re.compile(r"(\[[0-9]*\])+$")


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside brackets, parentheses and double quotes."""
    parts: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]":
            depth -= 1
            if depth < 0:
                raise AbiEncodingError(f"unbalanced {ch!r} in {text!r}")
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    if depth != 0 or quoted:
        raise AbiEncodingError(f"unbalanced brackets or quotes in {text!r}")
    parts.append("".join(current))
    return parts


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise AbiError(f"unbalanced parentheses in {text!r}")


def _param(text: str, index: int, *, allow_indexed: bool = False) -> dict[str, Any]:
    """One parameter: ``type [indexed] [name]``; tuples as ``(t1,t2)[]``, optionally ``tuple(...)``."""
    text = text.strip()
    if not text:
        raise AbiError("empty parameter type")
    if text.startswith("tuple("):
        text = text[len("tuple"):]
    if text.startswith("("):
        end = _closing(text, 0)
        inner, rest = text[1:end], text[end + 1:]
        match = re.match(r"^((?:\[[0-9]*\])*)\s*(.*)$", rest)
        assert match is not None
        suffix, tail = match.group(1), match.group(2).split()
        components = [_param(p, i) for i, p in enumerate(_split_top(inner))] if inner.strip() else []
        entry: dict[str, Any] = {"type": "tuple" + suffix, "components": components}
    else:
        words = text.split()
        base = words[0]
        tail = words[1:]
        elem = _ARRAY.sub("", base)
        if elem in ("uint", "int"):
            base = base.replace(elem, elem + "256", 1)
            elem += "256"
        if not _ELEMENTARY.match(elem):
            raise AbiError(f"unknown type {base!r}")
        entry = {"type": base}
    tail = [w for w in tail if w not in ("memory", "calldata", "storage", "payable")]
    if tail and tail[0] == "indexed":
        if not allow_indexed:
            raise AbiError(f"'indexed' only in event signatures: {text!r}")
        entry["indexed"] = True
        tail = tail[1:]
    elif allow_indexed:
        entry["indexed"] = False
    if len(tail) > 1 or (tail and not _NAME.match(tail[0])):
        raise AbiError(f"cannot read parameter {text!r}")
    entry["name"] = tail[0] if tail else ""
    return entry


def parse_types(text: str, *, allow_indexed: bool = False) -> list[dict[str, Any]]:
    """``"(uint256,address)"`` or ``"uint256,address"`` (names allowed) -> JSON ABI parameters.

    :raises AbiError: a type is unknown or the text does not parse.
    """
    text = text.strip()
    if text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1]
    if not text.strip():
        return []
    try:
        pieces = _split_top(text)
    except AbiEncodingError as exc:
        raise AbiError(str(exc)) from None
    return [_param(p, i, allow_indexed=allow_indexed) for i, p in enumerate(pieces)]


def parse_function(text: str) -> dict[str, Any]:
    """``"name(types)(returns)"`` or ``"name(types) returns (types)"`` -> a JSON ABI function entry.

    The entry's ``stateMutability`` is ``"view"`` when return types are given, else ``"nonpayable"``
    (``call`` works either way; it only decides nothing on chain).
    """
    text = text.strip()
    if text.startswith("function "):
        text = text[len("function "):].strip()
    paren = text.find("(")
    name = text[:paren].strip() if paren > 0 else ""
    if not _NAME.match(name):
        raise AbiError(f"not a function signature: {text!r} (expected e.g. 'balanceOf(address)(uint256)')")
    end = _closing(text, paren)
    inputs = parse_types(text[paren:end + 1])
    rest = text[end + 1:].strip()
    for word in ("external", "public", "view", "pure", "payable", "nonpayable"):
        rest = re.sub(rf"^{word}\b", "", rest).strip()
    if rest.startswith("returns"):
        rest = rest[len("returns"):].strip()
    outputs: list[dict[str, Any]] = []
    if rest:
        if not rest.startswith("(") or _closing(rest, 0) != len(rest) - 1:
            raise AbiError(f"cannot read the return types {rest!r} of {text!r}")
        outputs = parse_types(rest)
    return {"type": "function", "name": name, "inputs": inputs, "outputs": outputs,
            "stateMutability": "view" if outputs else "nonpayable"}


def parse_event(text: str) -> dict[str, Any]:
    """``"Transfer(address indexed from, address indexed to, uint256 value)"`` -> a JSON ABI event entry."""
    text = text.strip()
    if text.startswith("event "):
        text = text[len("event "):].strip()
    paren = text.find("(")
    name = text[:paren].strip() if paren > 0 else ""
    if not _NAME.match(name) or not text.endswith(")"):
        raise AbiError(f"not an event signature: {text!r}")
    return {"type": "event", "name": name, "inputs": parse_types(text[paren:], allow_indexed=True),
            "anonymous": False}


def canonical(params: Sequence[Mapping[str, Any]]) -> str:
    """The types as they appear in a canonical signature: ``uint256,(address,bool)[]``."""
    out = []
    for p in params:
        kind = str(p["type"])
        if kind.startswith("tuple"):
            out.append("(" + canonical(p.get("components") or ()) + ")" + kind[len("tuple"):])
        else:
            out.append(kind)
    return ",".join(out)


# --------------------------------------------------------------------------- values from text
def _unquote(text: str) -> str:
    """A string value: ``"quoted"`` loses its quotes; anything else is kept exactly as given."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
        return stripped[1:-1]
    return text


def parse_value(param: Mapping[str, Any], text: Any) -> Any:
    """Command-line ``text`` -> the Python value for ``param`` (a JSON ABI parameter).

    :raises AbiEncodingError: the text is not a value of that type (the message says which).
    """
    if not isinstance(text, str):
        return text
    kind = str(param["type"])
    label = f"{param.get('name') or kind}"
    array = _ARRAY.search(kind)
    if array:
        inner_kind = kind[: kind.rindex("[")]
        body = text.strip()
        if not (body.startswith("[") and body.endswith("]")):
            raise AbiEncodingError(f"{label}: expected a list like [a,b] for {kind}, got {text!r}")
        items = [] if not body[1:-1].strip() else _split_top(body[1:-1])
        element = {**param, "type": inner_kind}
        return [parse_value(element, item.strip()) for item in items]
    if kind == "tuple":
        body = text.strip()
        if not (body.startswith("(") and body.endswith(")")):
            raise AbiEncodingError(f"{label}: expected a tuple like (a,b), got {text!r}")
        items = [] if not body[1:-1].strip() else _split_top(body[1:-1])
        components = list(param.get("components") or ())
        if len(items) != len(components):
            raise AbiEncodingError(f"{label}: expected {len(components)} fields, got {len(items)} in {text!r}")
        return tuple(parse_value(c, item.strip()) for c, item in zip(components, items))
    value = _unquote(text) if kind == "string" else _unquote(text).strip()
    if kind.startswith(("uint", "int")):
        try:
            number = int(value.replace("_", ""), 0)
        except ValueError:
            raise AbiEncodingError(f"{label}: {value!r} is not an integer (decimal or 0x hex)") from None
        if kind.startswith("uint") and number < 0:
            raise AbiEncodingError(f"{label}: {kind} cannot be negative ({value})")
        return number
    if kind == "bool":
        lowered = value.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise AbiEncodingError(f"{label}: {value!r} is not a bool (true or false)")
    if kind == "address":
        body = value[2:] if value[:2] in ("0x", "0X") else value
        if len(body) != 40 or not re.fullmatch(r"[0-9a-fA-F]{40}", body):
            raise AbiEncodingError(f"{label}: {value!r} is not an address (0x + 40 hex digits)")
        return "0x" + body.lower()
    if kind.startswith("bytes"):
        body = value[2:] if value[:2] in ("0x", "0X") else value
        if len(body) % 2 or not re.fullmatch(r"[0-9a-fA-F]*", body):
            raise AbiEncodingError(f"{label}: {value!r} is not hex bytes (0x...)")
        data = bytes.fromhex(body)
        if kind != "bytes" and len(data) != int(kind[5:]):
            raise AbiEncodingError(f"{label}: {kind} needs {kind[5:]} bytes, got {len(data)}")
        return data
    return value  # string


def parse_values(params: Sequence[Mapping[str, Any]], texts: Sequence[Any], what: str = "arguments") -> list[Any]:
    """Every argument parsed for its parameter (the counts must match)."""
    if len(texts) != len(params):
        raise AbiEncodingError(f"{what}: expected {len(params)} value(s) ({canonical(params)}), got {len(texts)}")
    return [parse_value(p, t) for p, t in zip(params, texts)]


def _codec(params: Sequence[Mapping[str, Any]]) -> ContractAbi:
    return ContractAbi([{"type": "function", "name": "values", "inputs": list(params), "outputs": list(params)}])


def encode_values(types: str, texts: Sequence[Any]) -> bytes:
    """``abi encode "(uint256,string)" 1 hi``: the ABI encoding of the values (no selector)."""
    params = parse_types(types)
    values = parse_values(params, texts)
    return _codec(params).encode_call("values", values)[4:]


def decode_values(types: str, data: bytes) -> list[Any]:
    """``abi decode "(uint256,string)" 0x...``: the values the data encodes.

    :raises AbiDecodingError: the data does not hold values of these types.
    """
    params = parse_types(types)
    if not params:
        if data:
            raise AbiDecodingError(f"no types given but {len(data)} byte(s) of data")
        return []
    result = _codec(params).functions["values"][0].decode_output(bytes(data))
    return [result] if len(params) == 1 else list(result)


def selector(text: str, hasher: Any = keccak256) -> bytes:
    """The 4-byte selector of a function signature (names and return types are ignored)."""
    entry = parse_function(text)
    return hasher(f"{entry['name']}({canonical(entry['inputs'])})".encode())[:4]


def event_topic(text: str, hasher: Any = keccak256) -> bytes:
    """topic0 of an event signature."""
    entry = parse_event(text)
    return hasher(f"{entry['name']}({canonical(entry['inputs'])})".encode())


def keccak(text: str) -> bytes:
    """Keccak-256 of ``text``: ``0x``-prefixed hex is hashed as the bytes it spells, anything else
    as UTF-8 (as ``cast keccak`` does)."""
    if text[:2] in ("0x", "0X") and re.fullmatch(r"(?:[0-9a-fA-F]{2})*", text[2:]):
        return keccak256(bytes.fromhex(text[2:]))
    return keccak256(text.encode("utf-8"))
