"""The library under the generic commands: enum/mask names and hints (contracts.names) and the
signature/value parser (contracts.signature) — table checks against the Solidity sources and the
Python enums, and property tests for the codec."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.contracts.artifacts import ALL_CONTRACTS, load_artifact
from fisco_drugtrace.contracts.names import (
    ENUM_MEMBERS,
    REVERT_HINTS,
    EnumValue,
    MaskValue,
    enum_value,
    mask_value,
    name_values,
)
from fisco_drugtrace.contracts.signature import (
    canonical,
    decode_values,
    encode_values,
    parse_function,
    parse_types,
    parse_value,
    selector,
)
from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.drugtrace import models
from fisco_drugtrace.errors import AbiEncodingError, AbiError

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"


def _solidity_enums() -> dict[str, tuple[str, ...]]:
    found = {}
    for path in CONTRACTS.rglob("*.sol"):
        text = re.sub(r"//[^\n]*", "", path.read_text(encoding="utf-8"))
        for name, body in re.findall(r"\benum\s+(\w+)\s*\{([^}]*)\}", text):
            found[name] = tuple(m.strip() for m in body.split(",") if m.strip())
    return found


def test_the_enum_table_matches_the_solidity_sources() -> None:
    declared = _solidity_enums()
    assert declared, "no enums found under contracts/"
    missing = {k: v for k, v in declared.items() if ENUM_MEMBERS.get(k) != v}
    assert not missing, f"contracts/names.py ENUM_MEMBERS lacks or differs for: {missing}"


def test_the_enum_table_matches_the_python_models() -> None:
    for name, members in ENUM_MEMBERS.items():
        enum = getattr(models, name, None)
        if enum is None:
            continue
        assert tuple(m.name for m in sorted(enum, key=int)) == members, name


def test_every_suite_error_has_a_hint() -> None:
    errors = {e["name"] for c in ALL_CONTRACTS for e in load_artifact(c).abi if e.get("type") == "error"}
    missing = sorted(errors - set(REVERT_HINTS))
    assert not missing, f"add a one-line hint to REVERT_HINTS in contracts/names.py for: {', '.join(missing)}"


def test_every_enum_parameter_of_the_suite_abi_is_named() -> None:
    for contract in ALL_CONTRACTS:
        for entry in load_artifact(contract).abi:
            for param in entry.get("inputs") or ():
                internal = str(param.get("internalType", ""))
                if internal.startswith("enum "):
                    assert internal.split()[-1].rsplit(".", 1)[-1] in ENUM_MEMBERS, (contract, entry["name"], internal)


def test_values_are_named_but_stay_numbers() -> None:
    params = [{"name": "kind", "type": "uint8", "internalType": "enum OrgKind"},
              {"name": "kindMask", "type": "uint256", "internalType": "uint256"},
              {"name": "plain", "type": "uint256", "internalType": "uint256"},
              {"name": "", "type": "uint8", "internalType": "enum LifecycleState"}]
    named = name_values(params, {"kind": 6, "kindMask": (1 << 3) | (1 << 4), "plain": 6, "arg3": 99})
    assert str(named["kind"]) == "PHARMACY" and named["kind"] == 6 == models.OrgKind.PHARMACY
    assert repr(named["kind"]) == "PHARMACY(6)"
    assert str(named["kindMask"]) == "MANUFACTURER|DISTRIBUTOR" and named["kindMask"] == 24
    assert type(named["plain"]) is int and type(named["arg3"]) is int  # 99 is no LifecycleState
    assert str(mask_value("OrgKind", 1 << 12)) == "bit12" and str(mask_value("OrgKind", 0)) == "none"
    assert type(enum_value("NoSuchEnum", 1)) is int


@given(st.sampled_from(sorted(ENUM_MEMBERS)), st.integers(min_value=0, max_value=300))
def test_enum_value_round_trips_through_int(enum: str, value: int) -> None:
    named = enum_value(enum, value)
    assert int(named) == value
    if value < len(ENUM_MEMBERS[enum]):
        assert isinstance(named, EnumValue) and str(named) == ENUM_MEMBERS[enum][value]
    else:
        assert type(named) is int


@given(st.integers(min_value=0, max_value=2**20))
def test_mask_names_are_its_bits(value: int) -> None:
    named = mask_value("OrgKind", value)
    assert isinstance(named, MaskValue) and int(named) == value
    members = ENUM_MEMBERS["OrgKind"]
    expected = [members[i] if i < len(members) else f"bit{i}" for i in range(value.bit_length()) if value >> i & 1]
    assert list(named.names) == expected


# --------------------------------------------------------------------------- signatures
def test_signature_forms() -> None:
    entry = parse_function("function transfer(address to, uint amount) external returns (bool ok)")
    assert canonical(entry["inputs"]) == "address,uint256" and entry["outputs"][0]["name"] == "ok"
    assert selector("transfer(address,uint256)") == keccak256(b"transfer(address,uint256)")[:4]
    nested = parse_types("((uint256,address)[] items, bytes32)")
    assert canonical(nested) == "(uint256,address)[],bytes32" and nested[0]["name"] == "items"
    for bad in ("transfer", "1x(uint256)", "f(uint7)", "f(uint256", "f(address indexed a)", "f()(uint256"):
        with pytest.raises(AbiError):
            parse_function(bad)


@pytest.mark.parametrize("kind, text", [("uint8", "-1"), ("bool", "maybe"), ("bytes4", "0x1234"),
                                        ("address", "0xabc"), ("uint256[]", "1,2"), ("bytes", "0x123")])
def test_bad_values_name_the_problem(kind: str, text: str) -> None:
    with pytest.raises(AbiEncodingError):
        parse_value({"type": kind, "name": "x"}, text)


_TYPES = st.sampled_from(["uint256", "int64", "bool", "address", "bytes32", "bytes", "string", "uint8[]"])


def _text_for(kind: str) -> st.SearchStrategy[tuple[str, object]]:
    if kind == "uint256":
        return st.integers(0, 2**256 - 1).map(lambda v: (hex(v) if v % 2 else str(v), v))
    if kind == "int64":
        return st.integers(-(2**63), 2**63 - 1).map(lambda v: (str(v), v))
    if kind == "bool":
        return st.booleans().map(lambda v: ("true" if v else "false", v))
    if kind == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: ("0x" + b.hex().upper(), "0x" + b.hex()))
    if kind == "bytes32":
        return st.binary(min_size=32, max_size=32).map(lambda b: ("0x" + b.hex(), b))
    if kind == "bytes":
        return st.binary(max_size=40).map(lambda b: ("0x" + b.hex(), b))
    if kind == "string":
        return st.text(alphabet=st.characters(blacklist_characters='"', blacklist_categories=("Cs",)),
                       max_size=20).map(lambda s: (s, s))
    return st.lists(st.integers(0, 255), max_size=5).map(lambda xs: ("[" + ",".join(map(str, xs)) + "]", xs))


def test_strings_are_kept_exactly() -> None:
    assert parse_value({"type": "string"}, "  two spaces ") == "  two spaces "
    assert parse_value({"type": "string"}, '"quoted, with comma"') == "quoted, with comma"
    assert parse_value({"type": "string[]"}, '[a, "b,c" , d]') == ["a", "b,c", "d"]


@settings(max_examples=150, deadline=None)
@given(st.lists(_TYPES, min_size=1, max_size=4).flatmap(
    lambda kinds: st.tuples(st.just(kinds), st.tuples(*[_text_for(k) for k in kinds]))))
def test_encode_then_decode_gives_the_values_back(case: tuple[list[str], tuple[tuple[str, object], ...]]) -> None:
    kinds, pairs = case
    types = "(" + ",".join(kinds) + ")"
    data = encode_values(types, [text for text, _ in pairs])
    assert len(data) % 32 == 0
    assert decode_values(types, data) == [value for _, value in pairs]
