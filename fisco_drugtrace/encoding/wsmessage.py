"""The FISCO BCOS 3.x boostssl ``WsMessage``: the binary payload of every WebSocket frame
between an SDK and a 3.x node (RPC, handshake, block notify, event subscription and push).

Layout, big-endian (FISCO-BCOS ``bcos-boostssl/bcos-boostssl/websocket/WsMessage.cpp``,
``WsMessage::encode``/``decode``; ``MESSAGE_MIN_LENGTH = 10``)::

    version u16 | type u16 | status i16 | seqLength u16 | seq (seqLength bytes) | ext u16 | payload

``ext`` bit 0 is ``MessageExtFieldFlag::RESPONSE`` (bit 4 ``COMPRESS``); packet types are
``MessageType`` in ``bcos-framework/bcos-framework/protocol/Protocol.h``. SDKs use a 32-character
hex UUID as ``seq``; a node's own pushes (block notify, event push) carry a fresh one.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from fisco_drugtrace.errors import FrameError

__all__ = [
    "WsMessage",
    "encode_ws_message",
    "decode_ws_message",
    "new_seq",
    "MESSAGE_MIN_LENGTH",
    "HANDSHAKE",
    "BLOCK_NOTIFY",
    "RPC_REQUEST",
    "GROUP_NOTIFY",
    "EVENT_SUBSCRIBE",
    "EVENT_UNSUBSCRIBE",
    "EVENT_LOG_PUSH",
    "EXT_RESPONSE",
    "EXT_COMPRESS",
    "RPC_MODULE_ID",
]

#: version(2) + type(2) + status(2) + seqLength(2) + ext(2), an empty seq and payload.
MESSAGE_MIN_LENGTH = 10

# bcos-framework/bcos-framework/protocol/Protocol.h, enum MessageType
HANDSHAKE = 0x100
BLOCK_NOTIFY = 0x101
RPC_REQUEST = 0x102
GROUP_NOTIFY = 0x103
EVENT_SUBSCRIBE = 0x120
EVENT_UNSUBSCRIBE = 0x121
EVENT_LOG_PUSH = 0x122

# bcos-framework/bcos-framework/protocol/Protocol.h, enum MessageExtFieldFlag
EXT_RESPONSE = 0x1
EXT_COMPRESS = 0x10

#: ``ProtocolModuleID::RpcService`` (bcos-framework protocol/ProtocolInfo.h): the module an SDK
#: names in its handshake.
RPC_MODULE_ID = 2

_HEAD = struct.Struct(">HHhH")
_EXT = struct.Struct(">H")


@dataclass(frozen=True, slots=True)
class WsMessage:
    """One decoded message. ``status`` is signed (the node's ``int16_t m_status``)."""

    type: int
    seq: bytes
    payload: bytes = b""
    status: int = 0
    ext: int = 0
    version: int = 0

    @property
    def is_response(self) -> bool:
        return bool(self.ext & EXT_RESPONSE)

    def response(self, payload: bytes, status: int = 0) -> "WsMessage":
        """The answer to this message: same type, version and seq, RESPONSE flag set."""
        return WsMessage(self.type, self.seq, payload, status, self.ext | EXT_RESPONSE, self.version)


def new_seq() -> bytes:
    """A fresh sequence id as the SDKs make it: a UUID's 32 hex digits."""
    return uuid.uuid4().hex.encode()


def encode_ws_message(msg: WsMessage) -> bytes:
    """The message's bytes (the body of one binary WebSocket frame).

    :raises FrameError: a field does not fit its width.
    """
    try:
        head = _HEAD.pack(msg.version, msg.type, msg.status, len(msg.seq))
        ext = _EXT.pack(msg.ext)
    except struct.error as exc:
        raise FrameError(f"WsMessage field out of range: {exc}") from exc
    return b"".join((head, msg.seq, ext, msg.payload))


def decode_ws_message(data: bytes) -> WsMessage:
    """Read one message from a WebSocket frame's bytes.

    :raises FrameError: shorter than the header, or the seq length runs past the end.
    """
    if len(data) < MESSAGE_MIN_LENGTH:
        raise FrameError(f"WsMessage needs at least {MESSAGE_MIN_LENGTH} bytes, got {len(data)}")
    version, ptype, status, seq_len = _HEAD.unpack_from(data, 0)
    end = 8 + seq_len
    if end + 2 > len(data):
        raise FrameError(f"WsMessage seq length {seq_len} runs past the {len(data)}-byte frame")
    (ext,) = _EXT.unpack_from(data, end)
    return WsMessage(ptype, bytes(data[8:end]), bytes(data[end + 2:]), status, ext, version)
