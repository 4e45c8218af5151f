"""The FISCO BCOS 2.x channel message (``ChannelPack``): every frame on a 2.x node's channel port.

Layout, big-endian (FISCO-BCOS v2.11.1 ``libchannelserver/ChannelMessage.h``
``ChannelMessage::encode``/``decode``; python-sdk ``client/channelpack.py`` ``headerfmt = "!IH32sI"``)::

    length u32 (whole frame, header included) | type u16 | seq 32 bytes | result i32 | data

The node reads ``result`` as ``int32_t``; the official Python SDK packs it unsigned (``I``) — the
same four bytes for every value it sends (0). Some payloads (0x15/0x16 event filter register,
0x30 AMOP, 0x1001 block notify in protocol v1) start with a one-byte topic header: L =
len(topic) + 1, then the topic (``TopicChannelMessage``; python-sdk ``pack_amop_topic_message``).
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from fisco_drugtrace.errors import FrameError

__all__ = [
    "ChannelPack",
    "encode_channel_pack",
    "decode_channel_pack",
    "split_channel_stream",
    "pack_topic",
    "unpack_topic",
    "new_channel_seq",
    "HEADER_LENGTH",
    "MAX_LENGTH",
    "ZERO_SEQ",
    "RPC",
    "HEARTBEAT",
    "HANDSHAKE",
    "REGISTER_EVENT_LOG",
    "UNREGISTER_EVENT_LOG",
    "TOPIC_REPORT",
    "TX_COMMITTED",
    "BLOCK_NOTIFY",
    "EVENT_LOG_PUSH",
]

#: 4 (length) + 2 (type) + 32 (seq) + 4 (result).
HEADER_LENGTH = 42
#: The node refuses larger frames (``ChannelMessage`` ``MAX_LENGTH``, 100 MiB).
MAX_LENGTH = 100 * 1024 * 1024
#: The seq of node pushes (block notify, event push): 32 ASCII zeros.
ZERO_SEQ = b"0" * 32

# libchannelserver/ChannelMessage.h / python-sdk client/channelpack.py
RPC = 0x12
HEARTBEAT = 0x13
HANDSHAKE = 0x14
REGISTER_EVENT_LOG = 0x15
UNREGISTER_EVENT_LOG = 0x16
TOPIC_REPORT = 0x32
TX_COMMITTED = 0x1000
BLOCK_NOTIFY = 0x1001
EVENT_LOG_PUSH = 0x1002

_HEAD = struct.Struct(">IH32si")


@dataclass(frozen=True, slots=True)
class ChannelPack:
    """One channel frame. ``seq`` is exactly 32 bytes (a UUID's hex digits, or zeros)."""

    type: int
    seq: bytes
    data: bytes = b""
    result: int = 0


def new_channel_seq() -> bytes:
    """A fresh 32-byte seq as the SDKs make it (a UUID's hex digits)."""
    return uuid.uuid4().hex.encode()


def encode_channel_pack(pack: ChannelPack) -> bytes:
    """The frame's bytes.

    :raises FrameError: seq not 32 bytes, a field out of range, or a frame over :data:`MAX_LENGTH`.
    """
    if len(pack.seq) != 32:
        raise FrameError(f"a channel seq is 32 bytes, got {len(pack.seq)}")
    length = HEADER_LENGTH + len(pack.data)
    if length > MAX_LENGTH:
        raise FrameError(f"channel frame of {length} bytes exceeds {MAX_LENGTH}")
    try:
        return _HEAD.pack(length, pack.type, pack.seq, pack.result) + pack.data
    except struct.error as exc:
        raise FrameError(f"channel frame field out of range: {exc}") from exc


def decode_channel_pack(frame: bytes) -> ChannelPack:
    """Read exactly one whole frame.

    :raises FrameError: shorter than the header, or its length field disagrees with its size.
    """
    if len(frame) < HEADER_LENGTH:
        raise FrameError(f"a channel frame needs {HEADER_LENGTH} header bytes, got {len(frame)}")
    length, ptype, seq, result = _HEAD.unpack_from(frame, 0)
    if length != len(frame):
        raise FrameError(f"channel frame says {length} bytes but has {len(frame)}")
    return ChannelPack(ptype, bytes(seq), bytes(frame[HEADER_LENGTH:]), result)


def split_channel_stream(buffer: bytes | bytearray) -> tuple[list[ChannelPack], int]:
    """The whole frames at the start of a byte stream and how many bytes they used.

    :raises FrameError: a length field below the header size or above :data:`MAX_LENGTH`
        (the stream cannot be resynchronised after that).
    """
    packs: list[ChannelPack] = []
    offset = 0
    size = len(buffer)
    while size - offset >= 4:
        (length,) = struct.unpack_from(">I", buffer, offset)
        if length < HEADER_LENGTH or length > MAX_LENGTH:
            raise FrameError(f"channel frame length {length} outside [{HEADER_LENGTH}, {MAX_LENGTH}]")
        if size - offset < length:
            break
        packs.append(decode_channel_pack(bytes(buffer[offset:offset + length])))
        offset += length
    return packs, offset


def pack_topic(topic: str, body: bytes) -> bytes:
    """A topic-prefixed payload: one byte len(topic)+1, the topic, then ``body``.

    :raises FrameError: topic longer than 254 bytes.
    """
    raw = topic.encode()
    if len(raw) > 254:
        raise FrameError(f"a channel topic is at most 254 bytes, got {len(raw)}")
    return bytes((len(raw) + 1,)) + raw + body


def unpack_topic(data: bytes) -> tuple[str, bytes]:
    """``(topic, body)`` of a topic-prefixed payload.

    :raises FrameError: empty, or the header runs past the end.
    """
    if not data:
        raise FrameError("a topic-prefixed payload cannot be empty")
    head = data[0]
    if head < 1 or head > len(data):
        raise FrameError(f"topic header {head} runs past the {len(data)}-byte payload")
    try:
        topic = data[1:head].decode()
    except UnicodeDecodeError as exc:
        raise FrameError(f"channel topic is not UTF-8: {exc}") from exc
    return topic, bytes(data[head:])
