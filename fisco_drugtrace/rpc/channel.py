"""FISCO BCOS 2.x over the channel protocol (TLS on the node's channel port, default 20200).

Frames are ``ChannelPack`` (:mod:`fisco_drugtrace.encoding.channelpack`). On connect: the
handshake ``0x14`` ``{"minimumSupport":1,"maximumSupport":3,"clientType":…}`` → ``{"protocol",
"nodeVersion"}``, then a topic report ``0x32 ["_block_notify_<group>"]`` so the node sends block
notifies ``0x1001`` (FISCO-BCOS v2.11.1 ``libchannelserver/ChannelRPCServer.cpp``; python-sdk
``client/channelhandler.py`` ``getBlockNumber``). Then:

* JSON-RPC as ``0x12`` (the same JSON as over HTTP), matched by seq;
* heartbeat ``0x13`` ``{"heartBeat":0}`` (protocol ≥ 2) every few seconds;
* a ``sendRawTransaction``'s receipt pushed as ``0x1000`` on the request's seq (what the official
  Python SDK's ``sendRawTransactionGetReceipt`` waits for): :meth:`ChannelTransport.pushed_receipt`;
* event filter register ``0x15``: topic-prefixed (empty topic) JSON ``{"fromBlock","toBlock",
  "addresses","topics","groupID","filterID"}`` → ``{"result":0}``; pushes ``0x1002``
  ``{"result":0|1|<0,"filterID","logs":[…]}`` (1 = range finished, negative = -41000… codes;
  v2.11.1 ``libeventfilter/Common.h``); ``0x16`` unregisters.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any, Iterator, Sequence

from fisco_drugtrace.jsonsafe import load_json
from fisco_drugtrace.duplex import DuplexSocket
from fisco_drugtrace.encoding.channelpack import (
    BLOCK_NOTIFY,
    EVENT_LOG_PUSH,
    HANDSHAKE,
    HEARTBEAT,
    REGISTER_EVENT_LOG,
    RPC,
    TOPIC_REPORT,
    TX_COMMITTED,
    UNREGISTER_EVENT_LOG,
    ChannelPack,
    encode_channel_pack,
    new_channel_seq,
    pack_topic,
    split_channel_stream,
    unpack_topic,
)
from fisco_drugtrace.errors import FrameError
from fisco_drugtrace.rpc.push import HEARTBEAT_INTERVAL, Incoming, PushSubscription, PushTransport
from fisco_drugtrace.rpc.transport import TlsFiles

__all__ = ["ChannelTransport", "CLIENT_TYPE"]

CLIENT_TYPE = "fisco-drugtrace"
#: The channel protocol versions this SDK speaks. Not v3: there a node answers
#: ``sendRawTransaction`` before checking it and reports a refusal only in the 0x1000 push, while
#: up to v2 the refusal is the 0x12 answer's JSON-RPC error, which the client maps to its type.
_MIN_PROTOCOL, _MAX_PROTOCOL = 1, 2
_ANSWERED = (RPC, HANDSHAKE, HEARTBEAT, REGISTER_EVENT_LOG, UNREGISTER_EVENT_LOG)
#: Receipts pushed for transactions nobody waits for are forgotten beyond this many.
_MAX_RECEIPT_SLOTS = 10_000


class _State:
    def __init__(self) -> None:
        self.buffer = bytearray()


class _ReceiptSlot:
    __slots__ = ("done", "receipt")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.receipt: dict[str, Any] | None = None


class ChannelTransport(PushTransport):
    """JSON-RPC, block notify and event push over one TLS channel to a 2.x node.

    :param group: the group (an integer) whose events and blocks are followed.
    """

    schemes = ("channel",)
    secure_schemes = ("channels",)

    def __init__(self, url: str | Sequence[str], tls: TlsFiles | None = None, timeout: float = 30.0, *, group: int = 1,
                 heartbeat: float = HEARTBEAT_INTERVAL) -> None:
        super().__init__(url, tls=tls, timeout=timeout, heartbeat=heartbeat)
        self.group = int(group)
        self.protocol = 1
        self.node_version = ""
        self._receipts_lock = threading.Lock()
        self._receipt_by_seq: dict[bytes, _ReceiptSlot] = {}
        self._receipt_by_hash: dict[str, _ReceiptSlot] = {}

    # ------------------------------------------------------------------ receipts pushed (0x1000)
    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        """JSON-RPC over the channel. A ``sendRawTransaction``'s receipt is also pushed by the
        node (``0x1000`` on the request's seq); :meth:`pushed_receipt` hands it out."""
        if b'"sendRawTransaction"' not in body:
            return super().send(body, timeout=timeout)
        seq = new_channel_seq()
        slot = _ReceiptSlot()
        with self._receipts_lock:
            self._receipt_by_seq[seq] = slot
        try:
            answer = self.request(RPC, body, timeout=timeout, seq=seq).payload
        except BaseException:
            with self._receipts_lock:
                self._receipt_by_seq.pop(seq, None)
            raise
        try:
            tx_hash = load_json(answer).get("result")
        except (ValueError, AttributeError, UnicodeDecodeError):
            tx_hash = None
        with self._receipts_lock:
            if isinstance(tx_hash, str):
                self._receipt_by_hash[tx_hash.lower()] = slot
                if len(self._receipt_by_hash) > _MAX_RECEIPT_SLOTS:  # nobody asked for the oldest ones
                    self._receipt_by_hash.pop(next(iter(self._receipt_by_hash)))
            else:
                self._receipt_by_seq.pop(seq, None)
        return answer

    def pushed_receipt(self, tx_hash: str, timeout: float) -> dict[str, Any] | None:
        """The receipt the node pushed for a transaction sent over this channel (its JSON object),
        or ``None`` (not sent here, or nothing within ``timeout``: poll instead)."""
        with self._receipts_lock:
            slot = self._receipt_by_hash.pop(tx_hash.lower(), None)
        if slot is None or not slot.done.wait(timeout):
            return None
        return slot.receipt

    def _drop(self) -> None:
        super()._drop()
        with self._receipts_lock:  # nothing more comes on this connection: let the waiters poll
            slots = list(self._receipt_by_seq.values())
            self._receipt_by_seq.clear()
            self._receipt_by_hash.clear()
        for slot in slots:
            slot.done.set()

    def _on_receipt_push(self, msg: Incoming) -> None:
        with self._receipts_lock:
            slot = self._receipt_by_seq.pop(msg.seq, None)
        if slot is None:
            return
        try:
            receipt = load_json(msg.payload)
        except (ValueError, UnicodeDecodeError):
            receipt = None
        if isinstance(receipt, dict) and isinstance(receipt.get("result"), dict):
            receipt = receipt["result"]  # an envelope around it (python-sdk accepts both shapes)
        slot.receipt = receipt if isinstance(receipt, dict) and "transactionHash" in receipt else None
        slot.done.set()

    def _frames(self, sock: socket.socket | DuplexSocket, state: _State) -> Iterator[ChannelPack]:
        data = sock.recv(65536)
        if not data:
            raise ConnectionResetError("the node closed the channel")
        self._last_rx = time.monotonic()
        state.buffer += data
        packs, used = split_channel_stream(state.buffer)
        del state.buffer[:used]
        yield from packs

    def _handshake(self, sock: socket.socket) -> _State:
        state = _State()
        seq = new_channel_seq()
        hello = {"minimumSupport": _MIN_PROTOCOL, "maximumSupport": _MAX_PROTOCOL, "clientType": CLIENT_TYPE}
        self._write(lambda: encode_channel_pack(ChannelPack(HANDSHAKE, seq, json.dumps(hello).encode())), sock)
        answered = False
        while not answered:
            for pack in self._frames(sock, state):
                if pack.type == HANDSHAKE and pack.seq == seq:
                    answer = load_json(pack.data)
                    self.protocol = int(answer.get("protocol", 1))
                    self.node_version = str(answer.get("nodeVersion", ""))
                    answered = True
        topics = json.dumps([f"_block_notify_{self.group}"]).encode()
        self._write(lambda: encode_channel_pack(ChannelPack(TOPIC_REPORT, new_channel_seq(), topics)), sock)
        return state

    def _messages(self, sock: DuplexSocket, state: _State) -> Iterator[Incoming]:
        while True:
            for pack in self._frames(sock, state):
                yield Incoming(pack.type, pack.seq, pack.data, pack.result, pack.type in _ANSWERED)

    def _encode(self, ptype: int, seq: bytes, payload: bytes) -> bytes:
        return encode_channel_pack(ChannelPack(ptype, seq, payload))

    def _heartbeat_bytes(self) -> bytes:
        body = b"0" if self.protocol == 1 else b'{"heartBeat":0}'
        return encode_channel_pack(ChannelPack(HEARTBEAT, new_channel_seq(), body))

    def _rpc_type(self) -> int:
        return RPC

    def _subscribe_request(self, sub: PushSubscription) -> tuple[int, bytes]:
        start = sub.start_block()
        body = {"fromBlock": "latest" if start < 1 else str(start),
                "toBlock": "latest" if sub.to_block < 1 else str(sub.to_block),
                "addresses": list(sub.addresses), "topics": list(sub.topics),
                "groupID": str(self.group), "filterID": sub.id}
        return REGISTER_EVENT_LOG, pack_topic("", json.dumps(body).encode())

    def _unsubscribe_request(self, sub: PushSubscription) -> tuple[int, bytes]:
        body = {"groupID": str(self.group), "filterID": sub.id}
        return UNREGISTER_EVENT_LOG, pack_topic("", json.dumps(body).encode())

    def _subscribe_status(self, reply: Incoming) -> int:
        try:
            _, body = unpack_topic(reply.payload)
            return int(load_json(body).get("result", -41004))
        except (FrameError, ValueError, TypeError, AttributeError):
            return -41004  # INVALID_RESPONSE

    def _on_push(self, msg: Incoming) -> None:
        if msg.type == TX_COMMITTED:
            self._on_receipt_push(msg)
        elif msg.type == BLOCK_NOTIFY:
            self._on_block_notify(msg.payload)
        elif msg.type == EVENT_LOG_PUSH:
            self._on_event_push(msg.payload)

    def _on_block_notify(self, payload: bytes) -> None:
        try:
            if self.protocol == 1:
                _, body = unpack_topic(payload)
                group, number = body.decode().split(",")
                if int(group) == self.group:
                    self._block_notified(int(number))
                return
            obj: Any = load_json(payload)
            if int(obj.get("groupID", self.group)) == self.group:
                self._block_notified(int(obj["blockNumber"]))
        except (FrameError, ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
            pass  # a notify we cannot read carries nothing we need

    def _on_event_push(self, payload: bytes) -> None:
        try:
            body = load_json(payload)
            filter_id, result = str(body["filterID"]), int(body.get("result", 0))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise FrameError(f"unreadable event push: {exc}") from exc
        self._deliver_push(filter_id, result, body.get("logs") or [])
