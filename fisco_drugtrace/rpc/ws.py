"""FISCO BCOS 3.x over WebSocket: the transport the C/Java/Go SDKs use, in pure Python.

Same host, port and TLS as the node's HTTP RPC (the node's HTTP server upgrades a ``GET`` with
``Upgrade: websocket``). Each binary WebSocket message is one boostssl ``WsMessage``
(:mod:`fisco_drugtrace.encoding.wsmessage`). On connect: the RFC 6455 upgrade (``wsproto``),
then the RPC handshake ``{"minVersion":0,"maxVersion":2,"moduleID":2}`` — the node answers its
protocol version, ``groupInfoList`` and ``groupBlockNumber`` (FISCO-BCOS ``bcos-rpc/bcos-rpc/Rpc.cpp``
``onRecvHandshakeRequest``). Then:

* JSON-RPC requests as ``RPC_REQUEST`` 0x102 (so every client method works over WS);
* ``BLOCK_NOTIFY`` 0x101 ``{"group","nodeName","blockNumber"}`` updates :attr:`block_number`;
* ``EVENT_SUBSCRIBE`` 0x120 ``{"id","group","params":{"fromBlock","toBlock","addresses","topics"}}``
  → ``{"id","status"}``; ``EVENT_LOG_PUSH`` 0x122 ``{"id","status":0,"result":[…]}``, status 1
  = range finished, negative = the -41000… codes (``bcos-rpc/bcos-rpc/event/Common.h``);
  ``EVENT_UNSUBSCRIBE`` 0x121 ``{"id","group"}``.
* heartbeats are WebSocket pings (the node's boost.beast stream answers them).
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any, Iterator, Sequence

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Message,
    Ping,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from fisco_drugtrace.jsonsafe import load_json
from fisco_drugtrace.duplex import DuplexSocket
from fisco_drugtrace.encoding.wsmessage import (
    BLOCK_NOTIFY,
    EVENT_LOG_PUSH,
    EVENT_SUBSCRIBE,
    EVENT_UNSUBSCRIBE,
    HANDSHAKE,
    RPC_MODULE_ID,
    RPC_REQUEST,
    WsMessage,
    decode_ws_message,
    encode_ws_message,
    new_seq,
)
from fisco_drugtrace.errors import FrameError
from fisco_drugtrace.rpc.push import HEARTBEAT_INTERVAL, Incoming, PushSubscription, PushTransport
from fisco_drugtrace.rpc.transport import TlsFiles

__all__ = ["WsTransport", "HANDSHAKE_REQUEST"]

#: What the C SDK sends (bcos-cpp-sdk ws/Service.cpp ``startHandshake``: RpcService V0..V2).
HANDSHAKE_REQUEST = {"minVersion": 0, "maxVersion": 2, "moduleID": RPC_MODULE_ID}


class _State:
    """The wsproto connection of one socket and the bytes read past the HTTP upgrade."""

    def __init__(self, ws: WSConnection) -> None:
        self.ws = ws
        self.parts: list[bytes] = []


class WsTransport(PushTransport):
    """JSON-RPC, block notify and event push over one WebSocket to a 3.x node.

    :param group: the group whose events and blocks are followed (``"group0"``).
    """

    schemes = ("ws",)
    secure_schemes = ("wss",)

    def __init__(self, url: str | Sequence[str], tls: TlsFiles | None = None, timeout: float = 30.0, *, group: str = "group0",
                 heartbeat: float = HEARTBEAT_INTERVAL) -> None:
        super().__init__(url, tls=tls, timeout=timeout, heartbeat=heartbeat)
        self.group = group
        self.protocol_version: int | None = None
        self.group_info: list[Any] = []

    # ------------------------------------------------------------------ connection
    def _recv(self, sock: socket.socket | DuplexSocket) -> bytes:
        data = sock.recv(65536)
        if not data:
            raise ConnectionResetError("the node closed the connection")
        self._last_rx = time.monotonic()  # pongs count as signs of life too
        return data

    def _handshake(self, sock: socket.socket) -> _State:
        ws = WSConnection(ConnectionType.CLIENT)
        sock.sendall(ws.send(Request(host=f"{self.host}:{self.port}", target="/")))
        state = _State(ws)
        accepted = False
        while not accepted:
            ws.receive_data(self._recv(sock))
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    accepted = True
                elif isinstance(event, (RejectConnection, RejectData)):
                    raise ValueError(f"the node refused the WebSocket upgrade (HTTP {getattr(event, 'status_code', '?')})")
        seq = new_seq()
        self._write(lambda: ws.send(BytesMessage(data=encode_ws_message(
            WsMessage(HANDSHAKE, seq, json.dumps(HANDSHAKE_REQUEST).encode())))), sock)
        while True:
            for msg in self._drain(sock, state, block=True):
                if msg.type == HANDSHAKE and msg.seq == seq:
                    answer = load_json(msg.payload)
                    self.protocol_version = int(answer.get("protocolVersion", 0))
                    self.group_info = list(answer.get("groupInfoList") or [])
                    for entry in answer.get("groupBlockNumber") or []:
                        if isinstance(entry, dict) and self.group in entry:
                            self._block_notified(int(entry[self.group]))
                    return state
                self._dispatch(msg)

    def _drain(self, sock: socket.socket | DuplexSocket, state: _State, block: bool) -> Iterator[Incoming]:
        ws = state.ws
        try:
            ws.receive_data(self._recv(sock))
        except (RemoteProtocolError, LocalProtocolError) as exc:
            raise FrameError(f"WebSocket protocol error from {self.url}: {exc}") from exc
        for event in ws.events():
            if isinstance(event, Ping):
                self._write(lambda event=event: ws.send(event.response()), sock)
            elif isinstance(event, CloseConnection):
                raise ConnectionResetError(f"the node closed the WebSocket ({event.code})")
            elif isinstance(event, Message):
                state.parts.append(event.data.encode() if isinstance(event, TextMessage) else bytes(event.data))
                if event.message_finished:
                    whole, state.parts = b"".join(state.parts), []
                    msg = decode_ws_message(whole)
                    yield Incoming(msg.type, msg.seq, msg.payload, msg.status, msg.is_response)

    def _messages(self, sock: DuplexSocket, state: _State) -> Iterator[Incoming]:
        while True:
            yield from self._drain(sock, state, block=True)

    def _encode(self, ptype: int, seq: bytes, payload: bytes) -> bytes:
        state_ws = self._ws_for_write()
        return state_ws.send(BytesMessage(data=encode_ws_message(WsMessage(ptype, seq, payload))))

    def _heartbeat_bytes(self) -> bytes:
        return self._ws_for_write().send(Ping(payload=b"fisco-drugtrace"))

    def _ws_for_write(self) -> WSConnection:
        state = self._current_state
        if state is None:
            raise OSError("not connected")
        return state.ws

    _current_state: _State | None = None

    def _connect_node(self) -> Any:
        state = super()._connect_node()
        self._current_state = state
        return state

    def _rpc_type(self) -> int:
        return RPC_REQUEST

    # ------------------------------------------------------------------ events
    def _subscribe_request(self, sub: PushSubscription) -> tuple[int, bytes]:
        params = {"fromBlock": sub.start_block(), "toBlock": sub.to_block, "addresses": list(sub.addresses),
                  "topics": [t if t is None or isinstance(t, list) else [t] for t in sub.topics]}
        return EVENT_SUBSCRIBE, json.dumps({"id": sub.id, "group": self.group, "params": params}).encode()

    def _unsubscribe_request(self, sub: PushSubscription) -> tuple[int, bytes]:
        return EVENT_UNSUBSCRIBE, json.dumps({"id": sub.id, "group": self.group}).encode()

    def _subscribe_status(self, reply: Incoming) -> int:
        try:
            return int(load_json(reply.payload).get("status", -41004))
        except (ValueError, TypeError, AttributeError):
            return -41004  # INVALID_RESPONSE

    def _on_push(self, msg: Incoming) -> None:
        if msg.type == BLOCK_NOTIFY:
            try:
                body = load_json(msg.payload)
                if str(body.get("group", self.group)) == self.group:
                    self._block_notified(int(body["blockNumber"]))
            except (ValueError, TypeError, KeyError, AttributeError):
                pass  # a notify we cannot read carries nothing we need
        elif msg.type == EVENT_LOG_PUSH:
            self._on_event_push(msg.payload)

    def _on_event_push(self, payload: bytes) -> None:
        try:
            body = load_json(payload)
            sub_id, status = str(body["id"]), int(body.get("status", 0))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise FrameError(f"unreadable event push: {exc}") from exc
        self._deliver_push(sub_id, status, body.get("result") or [])
