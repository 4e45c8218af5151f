"""The Tars writer/reader (heads, minimal ints, strings, SimpleList, List, structs, errors) and the
hex helpers every codec uses."""

from __future__ import annotations

import pytest

from fisco_drugtrace.encoding import hexutil, tars
from fisco_drugtrace.errors import HexError, TarsError


def _int(tag: int, value: int) -> bytes:
    buf = bytearray()
    tars.put_int(buf, tag, value)
    return bytes(buf)


@pytest.mark.parametrize(
    ("tag", "value", "wire"),
    [
        (1, 0, "1c"),
        (1, 1, "1001"),
        (4, -1, "40ff"),
        (4, 127, "407f"),
        (4, 128, "410080"),
        (4, 522, "41020a"),
        (4, -32769, "42ffff7fff"),
        (4, 2**31, "430000000080000000"),
        (15, 1, "f00f01"),
        (200, 0, "fcc8"),
    ],
)
def test_ints_use_the_smallest_width(tag: int, value: int, wire: str) -> None:
    assert _int(tag, value).hex() == wire
    assert tars.get_int(tars.read_struct(bytes.fromhex(wire)), tag) == value


def test_int_out_of_range() -> None:
    with pytest.raises(TarsError):
        _int(1, 2**63)
    with pytest.raises(TarsError):
        tars.put_head(bytearray(), 256, tars.CHAR)


def test_string1_and_string4() -> None:
    buf = bytearray()
    tars.put_string(buf, 2, b"chain0")
    assert buf.hex() == "2606" + b"chain0".hex()
    long = b"x" * 300
    buf = bytearray()
    tars.put_string(buf, 8, long)
    assert buf[:5].hex() == "870000012c"
    assert tars.get_string(tars.read_struct(bytes(buf)), 8) == "x" * 300


def test_simple_list_layout() -> None:
    buf = bytearray()
    tars.put_bytes(buf, 2, b"\xaa" * 32)
    assert buf[:4].hex() == "2d000020"
    buf = bytearray()
    tars.put_bytes(buf, 3, b"\x01" * 128)
    assert buf[:5].hex() == "3d00010080"  # the 128-byte SM2 signature header of V-3
    assert tars.get_bytes(tars.read_struct(bytes(buf)), 3) == b"\x01" * 128


def test_list_map_struct_and_skipping_unknown_tags() -> None:
    buf = bytearray()
    tars.put_int(buf, 0, 7)
    tars.put_list(buf, 1, [b"a", b"bc"], tars.put_bytes)
    tars.put_struct_begin(buf, 2)
    tars.put_string(buf, 0, b"inner")
    tars.put_struct_begin(buf, 1)
    tars.put_int(buf, 0, 5)
    tars.put_struct_end(buf)
    tars.put_struct_end(buf)
    buf += bytes.fromhex("3400000000")  # tag 3 Float 0.0
    buf += bytes.fromhex("48" + "00" + "01")  # tag 4 Map of 1 pair
    buf += bytes.fromhex("0c") + bytes.fromhex("1601") + b"v"  # key 0, value "v"
    fields = tars.read_struct(bytes(buf))
    assert tars.get_int(fields, 0) == 7
    assert [v.value for v in tars.get_list(fields, 1)] == [b"a", b"bc"]
    inner = tars.get_struct(fields, 2)
    assert inner is not None and tars.get_string(inner, 0) == "inner"
    nested = tars.get_struct(inner, 1)
    assert nested is not None and tars.get_int(nested, 0) == 5
    assert fields[3].value == 0.0 and fields[4].value[0][1].value == b"v"
    assert tars.get_int(fields, 9, default=-1) == -1 and tars.get_string(fields, 9) == ""


def test_list_of_chars_reads_as_bytes() -> None:
    buf = bytearray()
    tars.put_list(buf, 14, [1, 2, 0], tars.put_int)
    assert tars.get_bytes(tars.read_struct(bytes(buf)), 14) == b"\x01\x02\x00"


@pytest.mark.parametrize(
    "wire",
    [
        "26",  # String1 without its length
        "2610616263",  # String1 says 16 bytes, has 3
        "2d0020",  # SimpleList: element head then missing length byte content
        "2d000002aa",  # SimpleList: 2 bytes promised, 1 given
        "1a1001",  # struct without StructEnd
        "0b",  # StructEnd at top level
        "1e",  # type 14 does not exist
        "2d01",  # SimpleList element head is not Char
        "2d00" + "00ff",  # negative length
        "1203",  # Int32 with 1 byte
    ],
)
def test_truncated_or_malformed_input(wire: str) -> None:
    with pytest.raises(TarsError):
        tars.read_struct(bytes.fromhex(wire))


def test_wrong_types_are_reported() -> None:
    fields = tars.read_struct(bytes.fromhex("1001" + "2606" + b"chain0".hex()))
    with pytest.raises(TarsError):
        tars.get_string(fields, 1)
    with pytest.raises(TarsError):
        tars.get_int(fields, 2)
    with pytest.raises(TarsError):
        tars.get_bytes(fields, 1)
    with pytest.raises(TarsError):
        tars.get_struct(fields, 1)
    with pytest.raises(TarsError):
        tars.get_list(fields, 1)
    bad_utf8 = tars.read_struct(bytes.fromhex("2602ff00"))
    with pytest.raises(TarsError):
        tars.get_string(bad_utf8, 2)


def test_deep_nesting_is_refused() -> None:
    wire = bytes.fromhex("0a") * 40 + bytes.fromhex("0b") * 40
    with pytest.raises(TarsError):
        tars.read_struct(wire)


# --------------------------------------------------------------------------- hex helpers shared by the codecs
def test_hex_helpers() -> None:
    assert hexutil.to_bytes(" 0xAbCd ") == b"\xab\xcd" and hexutil.to_bytes("") == b""
    assert hexutil.to_bytes(bytearray(b"\x01")) == b"\x01"
    assert hexutil.to_hex(b"\x00\xff") == "0x00ff" and hexutil.to_hex(b"\x01", prefix=False) == "01"
    assert hexutil.is_hex("0x") and hexutil.is_hex("aB") and not hexutil.is_hex("abc") and not hexutil.is_hex("zz")
    assert hexutil.normalize_address("0x2C7536E3605D9C16A7A3D7B1898E529396A65C23") == \
        "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23"
    assert hexutil.normalize_address(b"\x11" * 20) == "0x" + "11" * 20


@pytest.mark.parametrize("bad", ["0x123", "0xgg", "12 34", 12])
def test_hex_garbage(bad: object) -> None:
    with pytest.raises(HexError):
        hexutil.to_bytes(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["0x1234", "0x" + "11" * 21, "nothex"])
def test_bad_addresses(bad: str) -> None:
    with pytest.raises(HexError):
        hexutil.normalize_address(bad)
