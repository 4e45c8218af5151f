"""The push frames: boostssl ``WsMessage`` (3.x) and ``ChannelPack`` (2.x) — byte-exact vectors
taken from the node's own tests and sources, hypothesis round trips, and malformed input."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fisco_drugtrace.encoding.channelpack import (
    HEADER_LENGTH,
    HEARTBEAT,
    REGISTER_EVENT_LOG,
    ChannelPack,
    decode_channel_pack,
    encode_channel_pack,
    pack_topic,
    split_channel_stream,
    unpack_topic,
)
from fisco_drugtrace.encoding.wsmessage import (
    EVENT_SUBSCRIBE,
    EXT_RESPONSE,
    MESSAGE_MIN_LENGTH,
    WsMessage,
    decode_ws_message,
    encode_ws_message,
)
from fisco_drugtrace.errors import FrameError


# -- WsMessage -------------------------------------------------------------------------------------
def test_ws_empty_message_is_the_ten_byte_minimum() -> None:
    # bcos-boostssl/test/unittests/websocket/WsMessageTest.cpp test_WsMessage: a default message
    # encodes to exactly MESSAGE_MIN_LENGTH (10) bytes, all fields zero.
    assert MESSAGE_MIN_LENGTH == 10
    assert encode_ws_message(WsMessage(0, b"")) == bytes(10)
    assert decode_ws_message(bytes(10)) == WsMessage(0, b"", b"", 0, 0, 0)


def test_ws_vector_from_the_node_test_status_111_type_222() -> None:
    # WsMessageTest.cpp test_buildMessage: status 111, type 222, payload "HelloWorld." -> 10 + 11 bytes
    # laid out as WsMessage::encode writes them (version, type, status, seqLength, seq, ext, payload).
    raw = bytes.fromhex("0000" "00de" "006f" "0000" "0000") + b"HelloWorld."
    msg = WsMessage(222, b"", b"HelloWorld.", status=111)
    assert encode_ws_message(msg) == raw
    assert len(raw) == MESSAGE_MIN_LENGTH + 11
    assert decode_ws_message(raw) == msg


def test_ws_vector_with_seq_and_response_flag() -> None:
    seq = b"0123456789abcdef0123456789abcdef"
    msg = WsMessage(EVENT_SUBSCRIBE, seq, b'{"id":"1","status":0}', status=-1, ext=EXT_RESPONSE, version=1)
    raw = encode_ws_message(msg)
    assert raw[:8] == bytes.fromhex("0001" "0120" "ffff" "0020")
    assert raw[8:40] == seq and raw[40:42] == b"\x00\x01" and raw[42:] == msg.payload
    assert decode_ws_message(raw).is_response


def test_ws_response_keeps_type_seq_and_sets_the_flag() -> None:
    request = WsMessage(0x102, b"a" * 32, b"{}", ext=0x10)
    answer = request.response(b"[]")
    assert (answer.type, answer.seq, answer.payload) == (0x102, b"a" * 32, b"[]")
    assert answer.ext == 0x11 and answer.is_response and not request.is_response


@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF), st.integers(-0x8000, 0x7FFF), st.binary(max_size=300),
       st.integers(0, 0xFFFF), st.binary(max_size=2000))
def test_ws_round_trip(version: int, ptype: int, status: int, seq: bytes, ext: int, payload: bytes) -> None:
    msg = WsMessage(ptype, seq, payload, status, ext, version)
    assert decode_ws_message(encode_ws_message(msg)) == msg


@given(st.binary(max_size=9))
def test_ws_too_short_is_a_frame_error(data: bytes) -> None:
    with pytest.raises(FrameError):
        decode_ws_message(data)


def test_ws_seq_running_past_the_end_is_a_frame_error() -> None:
    with pytest.raises(FrameError, match="seq length"):
        decode_ws_message(bytes.fromhex("0000 0102 0000 0040") + b"x" * 20)


def test_ws_field_out_of_range_is_a_frame_error() -> None:
    with pytest.raises(FrameError):
        encode_ws_message(WsMessage(0x10000, b""))


# -- ChannelPack -----------------------------------------------------------------------------------
def test_channel_heartbeat_vector() -> None:
    # libchannelserver/ChannelMessage.h: length u32 (header included) | type u16 | seq 32 | result i32 | data;
    # a protocol-v1 heartbeat carries "0" (ChannelRPCServer::onClientHeartbeat).
    seq = b"0" * 32
    raw = encode_channel_pack(ChannelPack(HEARTBEAT, seq, b"0"))
    assert raw == bytes.fromhex("0000002b" "0013") + seq + bytes.fromhex("00000000") + b"0"
    assert HEADER_LENGTH == 42 and len(raw) == 43
    # python-sdk client/channelpack.py packs the same header with struct "!IH32sI"
    assert raw[:HEADER_LENGTH] == struct.pack("!IH32sI", 43, 0x13, seq, 0)


def test_channel_register_vector_with_topic_header() -> None:
    # ChannelRPCServer::onClientRegisterEventLogRequest skips a one-byte topic header (length+1):
    # an empty topic is the single byte 0x01 before the JSON.
    body = b'{"result":0}'
    data = pack_topic("", body)
    assert data == b"\x01" + body
    assert unpack_topic(data) == ("", body)
    assert pack_topic("_block_notify_1", b"1,5") == b"\x10_block_notify_11,5"
    raw = encode_channel_pack(ChannelPack(REGISTER_EVENT_LOG, b"f" * 32, data, result=-41000))
    assert raw[4:6] == b"\x00\x15" and raw[38:42] == struct.pack(">i", -41000)
    assert decode_channel_pack(raw).result == -41000


@given(st.integers(0, 0xFFFF), st.binary(min_size=32, max_size=32), st.integers(-(2**31), 2**31 - 1),
       st.binary(max_size=3000))
def test_channel_round_trip(ptype: int, seq: bytes, result: int, data: bytes) -> None:
    pack = ChannelPack(ptype, seq, data, result)
    assert decode_channel_pack(encode_channel_pack(pack)) == pack


@given(st.lists(st.binary(max_size=200), max_size=6), st.integers(1, 64))
def test_channel_stream_split_at_any_chunking(bodies: list[bytes], chunk: int) -> None:
    packs = [ChannelPack(0x12, b"%032d" % i, body) for i, body in enumerate(bodies)]
    stream = b"".join(encode_channel_pack(p) for p in packs)
    got: list[ChannelPack] = []
    buffer = bytearray()
    for start in range(0, len(stream), chunk):
        buffer += stream[start:start + chunk]
        whole, used = split_channel_stream(buffer)
        del buffer[:used]
        got.extend(whole)
    assert got == packs and not buffer


@pytest.mark.parametrize("length", [0, 41, 100 * 1024 * 1024 + 1])
def test_channel_impossible_length_is_a_frame_error(length: int) -> None:
    with pytest.raises(FrameError):
        split_channel_stream(struct.pack(">I", length) + b"x" * 50)


def test_channel_bad_seq_and_mismatched_length_are_frame_errors() -> None:
    with pytest.raises(FrameError, match="32 bytes"):
        encode_channel_pack(ChannelPack(0x12, b"short", b""))
    raw = encode_channel_pack(ChannelPack(0x12, b"0" * 32, b"abc"))
    with pytest.raises(FrameError):
        decode_channel_pack(raw + b"!")
    with pytest.raises(FrameError):
        unpack_topic(b"\x09abc")
    with pytest.raises(FrameError):
        unpack_topic(b"")


def test_a_deeply_nested_event_push_is_a_frame_error_not_a_crash() -> None:
    """A hostile node's push nesting 100,000 levels is refused before json recurses (issue 19
    item 1 holds on the push transports too, whatever the recursion limit py_ecc set)."""
    import sys

    from fisco_drugtrace.errors import FrameError
    from fisco_drugtrace.rpc.channel import ChannelTransport
    from fisco_drugtrace.rpc.ws import WsTransport

    assert sys.getrecursionlimit() >= 1000
    deep = b"[" * 100_000 + b"]" * 100_000
    for cls in (WsTransport, ChannelTransport):
        transport = cls.__new__(cls)  # the parse path needs no connection
        with pytest.raises(FrameError):
            transport._on_event_push(deep)
