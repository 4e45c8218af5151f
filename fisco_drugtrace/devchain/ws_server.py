"""The 3.x WebSocket dialect on the RPC port, as a FISCO BCOS 3.x node serves it.

The HTTP front end (:mod:`.server`) hands a connection here when a ``GET`` asks to upgrade to
WebSocket (the node's ``HttpSession`` does the same with boost.beast ``is_upgrade``). Each binary
frame carries one boostssl ``WsMessage`` (:mod:`fisco_drugtrace.encoding.wsmessage`):

* ``HANDSHAKE`` 0x100 ``{"minVersion","maxVersion","moduleID"}`` → ``{"protocolVersion",
  "groupInfoList", "groupBlockNumber":[{group: n}]}`` (``bcos-rpc/bcos-rpc/Rpc.cpp``
  ``onRecvHandshakeRequest``; ``bcos-framework/bcos-framework/rpc/HandshakeRequest.h``);
* ``RPC_REQUEST`` 0x102: a JSON-RPC request, answered on the same seq with RESPONSE set;
* ``BLOCK_NOTIFY`` 0x101 pushed after each block: ``{"group","nodeName","blockNumber"}``
  (``Rpc::asyncNotifyBlockNumber``);
* ``EVENT_SUBSCRIBE`` 0x120 / ``EVENT_UNSUBSCRIBE`` 0x121 answered ``{"id","status"}``;
  ``EVENT_LOG_PUSH`` 0x122 ``{"id","status":0,"result":[log…]}`` per block and a last
  ``{"id","status":1}`` when ``toBlock`` is done (``bcos-rpc/bcos-rpc/event/EventSub.cpp``
  ``sendEvents``; log fields from ``EventSubMatcher.cpp``).

Heartbeat: WebSocket pings from the server when the line is idle; a client that answers no ping
for :data:`IDLE_LIMIT` seconds is dropped. A broken frame closes that connection only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from typing import Any, Sequence

from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Message, Ping, TextMessage
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from fisco_drugtrace.encoding.wsmessage import (
    BLOCK_NOTIFY,
    EVENT_LOG_PUSH,
    EVENT_SUBSCRIBE,
    EVENT_UNSUBSCRIBE,
    HANDSHAKE,
    RPC_REQUEST,
    WsMessage,
    decode_ws_message,
    encode_ws_message,
    new_seq,
)
from fisco_drugtrace.duplex import DuplexSocket, take_buffered
from fisco_drugtrace.errors import DrugTraceError, FrameError, InvalidParams
from fisco_drugtrace.jsonsafe import load_json

from . import event_push as ep

__all__ = ["serve_websocket", "accept_key", "IDLE_LIMIT", "MAX_MESSAGE"]

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: Seconds without any frame from the client before it is dropped (pinged every third of it).
IDLE_LIMIT = 30.0
#: Largest WebSocket message accepted (the HTTP body cap).
MAX_MESSAGE = 10 * 1024 * 1024
#: RpcService protocol versions this node speaks (``ProtocolVersion`` V0..V2, GlobalConfig.h).
_MIN_VERSION, _MAX_VERSION = 0, 2


def accept_key(key: bytes) -> str:
    """``Sec-WebSocket-Accept`` for a client's ``Sec-WebSocket-Key`` (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.strip() + _GUID).digest()).decode()


def _hex(raw: bytes) -> str:
    return "0x" + raw.hex()


def _log_json(row: ep.PushedLog) -> dict[str, Any]:
    return {"blockNumber": row.block_number, "address": row.address, "data": _hex(row.data),
            "logIndex": row.log_index, "transactionHash": _hex(row.tx_hash),
            "transactionIndex": row.tx_index, "topics": [_hex(t) for t in row.topics]}


class _Session:
    """One upgraded connection: a reader loop here, a block-notify thread, a thread per subscription."""

    def __init__(self, node: Any, sock: socket.socket, rfile: Any) -> None:
        self.node = node
        self.chain = node.chain
        self.group = str(node.config.group_id)
        self._early = take_buffered(rfile, sock)  # a client that spoke before reading the 101
        self.sock = DuplexSocket(sock, timeout=IDLE_LIMIT / 3)  # read here, written by notify/subscription threads
        self.ws = Connection(ConnectionType.SERVER)
        self._write = threading.Lock()
        self._subs: dict[str, ep.SubscriptionTask] = {}
        self._subs_lock = threading.Lock()
        self._closed = threading.Event()
        self._handshaken = threading.Event()
        self._parts: list[bytes] = []
        self._size = 0

    # ------------------------------------------------------------------ output
    def _out(self, event: Any) -> bool:
        with self._write:
            if self._closed.is_set():
                return False
            try:
                self.sock.sendall(self.ws.send(event))
            except (OSError, LocalProtocolError):
                self._closed.set()
                return False
        return True

    def send(self, msg: WsMessage) -> bool:
        return self._out(BytesMessage(data=encode_ws_message(msg)))

    def push(self, ptype: int, body: Any) -> bool:
        return self.send(WsMessage(ptype, new_seq(), json.dumps(body, separators=(",", ":")).encode()))

    # ------------------------------------------------------------------ input
    def run(self) -> None:
        notifier = threading.Thread(target=self._notify_blocks, name="devchain-ws-notify", daemon=True)
        notifier.start()
        idle = 0
        try:
            while not self._closed.is_set():
                try:
                    if self._early:
                        data, self._early = self._early, b""
                    else:
                        data = self.sock.recv(65536)
                except socket.timeout:
                    idle += 1
                    if idle >= 3:
                        break
                    self._out(Ping(payload=b"hb"))
                    continue
                except OSError:
                    break
                if not data:
                    break
                idle = 0
                try:
                    self.ws.receive_data(data)
                    for event in self.ws.events():
                        if not self._on_event(event):
                            return
                except (RemoteProtocolError, LocalProtocolError):
                    break
        finally:
            self._close()

    def _on_event(self, event: Any) -> bool:
        if isinstance(event, Ping):
            return self._out(event.response())
        if isinstance(event, CloseConnection):
            self._out(event.response())
            return False
        if isinstance(event, Message):
            data = event.data.encode() if isinstance(event, TextMessage) else bytes(event.data)
            self._parts.append(data)
            self._size += len(data)
            if self._size > MAX_MESSAGE:
                return False  # larger than any request a node accepts: drop the connection
            if not event.message_finished:
                return True
            whole, self._parts, self._size = b"".join(self._parts), [], 0
            try:
                msg = decode_ws_message(whole)
            except FrameError:
                return True  # the node drops a frame it cannot decode and keeps the session
            self._dispatch(msg)
        return True

    def _dispatch(self, msg: WsMessage) -> None:
        if msg.type == RPC_REQUEST:
            self.send(msg.response(self.node.handle_raw(msg.payload)))
        elif msg.type == HANDSHAKE:
            self._handshake(msg)
        elif msg.type == EVENT_SUBSCRIBE:
            self._subscribe(msg)
        elif msg.type == EVENT_UNSUBSCRIBE:
            self._unsubscribe(msg)
        # other types (AMOP, ...) are not served by the dev chain: ignored, as a node ignores unknown ones

    def _json(self, payload: bytes) -> Any:
        try:
            return load_json(payload)
        except (ValueError, UnicodeDecodeError):
            return None

    def _handshake(self, msg: WsMessage) -> None:
        request = self._json(msg.payload)
        if not isinstance(request, dict):
            request = {}
        try:
            low, high = int(request.get("minVersion", 0)), int(request.get("maxVersion", 0))
        except (TypeError, ValueError):
            low, high = 0, 0
        if low > _MAX_VERSION or high < _MIN_VERSION:
            self._close()  # no common version: the node disconnects (Rpc::negotiatedVersion)
            return
        groups = json.loads(self.node.handle_raw(
            b'{"jsonrpc":"2.0","id":0,"method":"getGroupInfoList","params":[]}')).get("result", [])
        answer = {"protocolVersion": min(high, _MAX_VERSION), "groupInfoList": groups,
                  "groupBlockNumber": [{self.group: self.chain.head.number}]}
        self.send(msg.response(json.dumps(answer).encode()))
        self._handshaken.set()

    def _subscribe(self, msg: WsMessage) -> None:
        request = self._json(msg.payload)
        sub_id = str(request.get("id", "")) if isinstance(request, dict) else ""

        def answer(status: int) -> None:
            self.send(msg.response(json.dumps({"id": sub_id, "status": status}).encode()))

        if not isinstance(request, dict) or "id" not in request or "group" not in request \
                or not isinstance(request.get("params"), dict):
            answer(ep.INVALID_PARAMS)
            return
        if str(request["group"]) != self.group:
            answer(ep.GROUP_NOT_EXIST)
            return
        params = request["params"]
        try:
            query = ep.parse_sub_query(params.get("addresses"), params.get("topics"))
            task = ep.SubscriptionTask(
                self.chain, query, params.get("fromBlock", -1), params.get("toBlock", -1),
                emit=lambda rows: self._emit(sub_id, rows), complete=lambda: self._complete(sub_id))
        except InvalidParams as exc:
            answer(exc.code if exc.code in (ep.INVALID_PARAMS, ep.INVALID_REQUEST_RANGE) else ep.INVALID_PARAMS)
            return
        with self._subs_lock:
            old = self._subs.pop(sub_id, None)
            if old is None and len(self._subs) >= ep.MAX_SUBSCRIPTIONS:
                answer(ep.INVALID_REQUEST)
                return
            self._subs[sub_id] = task
        if old is not None:
            old.cancel()
        answer(ep.SUCCESS)
        task.start()

    def _emit(self, sub_id: str, rows: Sequence[ep.PushedLog]) -> bool:
        return self.push(EVENT_LOG_PUSH, {"id": sub_id, "status": ep.SUCCESS, "result": [_log_json(r) for r in rows]})

    def _complete(self, sub_id: str) -> None:
        with self._subs_lock:
            self._subs.pop(sub_id, None)
        self.push(EVENT_LOG_PUSH, {"id": sub_id, "status": ep.PUSH_COMPLETED})

    def _unsubscribe(self, msg: WsMessage) -> None:
        request = self._json(msg.payload)
        if not isinstance(request, dict) or "id" not in request:
            self.send(msg.response(json.dumps({"id": "", "status": ep.INVALID_PARAMS}).encode()))
            return
        sub_id = str(request["id"])
        with self._subs_lock:
            task = self._subs.pop(sub_id, None)
        if task is not None:
            task.cancel()
        self.send(msg.response(json.dumps({"id": sub_id, "status": ep.SUCCESS}).encode()))

    def _notify_blocks(self) -> None:
        self._handshaken.wait()
        seen = self.chain.head.number
        while not self._closed.is_set():
            if not self.chain.wait_for_block(seen + 1, 0.25):
                if self.chain.head.number <= seen:
                    self._closed.wait(0.05)
                continue
            seen = self.chain.head.number
            self.push(BLOCK_NOTIFY, {"group": self.group, "nodeName": "node0", "blockNumber": seen})

    def _close(self) -> None:
        self._closed.set()
        self._handshaken.set()
        with self._subs_lock:
            tasks, self._subs = list(self._subs.values()), {}
        for task in tasks:
            task.cancel()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _reject(wfile: Any, status: str, message: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}).encode()
    wfile.write(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode() + body)


def serve_websocket(node: Any, sock: socket.socket, rfile: Any, wfile: Any, headers: dict[bytes, bytes]) -> None:
    """Finish the upgrade (RFC 6455 server handshake) and serve the connection until it closes.

    Only a 3.x chain upgrades: a 2.x node has no WebSocket dialect (it answers 400).
    """
    from fisco_drugtrace.types import Dialect

    if getattr(node, "config", None) is None or node.config.dialect is not Dialect.V3:
        _reject(wfile, "400 Bad Request", "this node speaks the 2.x dialect: no WebSocket (use the channel port)")
        return
    key = headers.get(b"sec-websocket-key", b"")
    if not key or headers.get(b"sec-websocket-version", b"") != b"13":
        _reject(wfile, "400 Bad Request", "WebSocket upgrade needs Sec-WebSocket-Key and version 13")
        return
    wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Accept: {accept_key(key)}\r\n\r\n").encode())
    wfile.flush()
    try:
        _Session(node, sock, rfile).run()
    except DrugTraceError:
        pass  # the chain closed under the session; the connection just ends
