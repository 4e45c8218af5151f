"""The 2.x channel dialect on its own port (``--channel-port``), as a FISCO BCOS 2.x node serves it.

Frames are ``ChannelPack`` (:mod:`fisco_drugtrace.encoding.channelpack`); behaviour follows
FISCO-BCOS v2.11.1 ``libchannelserver/ChannelRPCServer.cpp``:

* ``0x12`` JSON-RPC (the same JSON as HTTP), answered on the same seq. A ``sendRawTransaction``
  is also answered, once committed, by a ``0x1000`` push of its receipt on the same seq (what the
  official Python SDK's ``sendRawTransactionGetReceipt`` waits for).
* ``0x13`` heartbeat: protocol v1 ``"0"`` → ``"1"``; v2+ ``{"heartBeat":0}`` → ``{"heartBeat":1}``.
* ``0x14`` handshake ``{"minimumSupport","maximumSupport","clientType"}`` → ``{"protocol",
  "nodeVersion"}`` (no handshake: protocol v1; no common version: disconnect).
* ``0x32`` topic report (a JSON list); ``"_block_notify_<group>"`` turns on ``0x1001`` block
  notify — v1: topic-prefixed ``"<group>,<number>"``, v2+: ``{"groupID","blockNumber"}``.
* ``0x15`` event filter register (topic-prefixed JSON ``{fromBlock, toBlock, addresses, topics,
  groupID, filterID}``) → topic-prefixed ``{"result": code}``; then ``0x1002`` pushes
  ``{"result":0,"filterID","logs":[…]}`` per block (log fields from ``libeventfilter/EventLogFilter.cpp``)
  and ``{"result":1,…,"logs":[]}`` once ``toBlock`` is done. ``0x16`` unregisters.

TLS is mutual, with the chain CA (``--tls``); a broken frame or handshake closes that connection only.
The session's socket is a :class:`~fisco_drugtrace.duplex.DuplexSocket`: its reader and the threads
that push receipts and notifies never run inside OpenSSL at the same time.
"""

from __future__ import annotations

import json
import socket
import socketserver
import ssl
import threading
from typing import Any, Sequence

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
    ZERO_SEQ,
    ChannelPack,
    encode_channel_pack,
    pack_topic,
    split_channel_stream,
    unpack_topic,
)
from fisco_drugtrace.duplex import DuplexSocket
from fisco_drugtrace.errors import DrugTraceError, FrameError, InvalidParams
from fisco_drugtrace.jsonsafe import load_json

from . import event_push as ep
from .server import ServerHandle, ServerTls

__all__ = ["serve_channel", "channel_tls", "IDLE_LIMIT"]

#: Seconds without any frame before a session is dropped (SDKs send heartbeats every few seconds).
IDLE_LIMIT = 60.0
#: Channel protocol versions (v2.11.1 ``ProtocolVersion`` minVersion v1 .. maxVersion v3).
_MIN_PROTOCOL, _MAX_PROTOCOL = 1, 3
#: How long the node keeps a 0x1000 receipt push pending for a transaction (s).
_RECEIPT_WAIT = 60.0


def _log_json(row: ep.PushedLog) -> dict[str, Any]:
    return {"blockNumber": str(row.block_number), "blockHash": "0x" + row.block_hash.hex(),
            "address": row.address, "logIndex": hex(row.log_index), "data": "0x" + row.data.hex(),
            "topics": ["0x" + t.hex() for t in row.topics], "transactionHash": "0x" + row.tx_hash.hex(),
            "transactionIndex": hex(row.tx_index)}


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


class _Session:
    def __init__(self, node: Any, sock: socket.socket) -> None:
        self.node = node
        self.chain = node.chain
        self.group = int(node.config.group_id)
        self.sock = DuplexSocket(sock, timeout=IDLE_LIMIT)  # read here, written by receipt/notify threads
        self.protocol = _MIN_PROTOCOL
        self._write = threading.Lock()
        self._closed = threading.Event()
        self._filters: dict[str, ep.SubscriptionTask] = {}
        self._filters_lock = threading.Lock()
        self._notify_started = False

    def send(self, pack: ChannelPack) -> bool:
        frame = encode_channel_pack(pack)
        with self._write:
            if self._closed.is_set():
                return False
            try:
                self.sock.sendall(frame)
            except OSError:
                self._closed.set()
                return False
        return True

    def run(self) -> None:
        buffer = bytearray()
        try:
            while not self._closed.is_set():
                try:
                    data = self.sock.recv(65536)
                except (OSError, socket.timeout):
                    break
                if not data:
                    break
                buffer += data
                try:
                    packs, used = split_channel_stream(buffer)
                except FrameError:
                    break  # a length the node cannot resynchronise after: drop the session
                del buffer[:used]
                for pack in packs:
                    self._dispatch(pack)
        finally:
            self.close()

    def _dispatch(self, pack: ChannelPack) -> None:
        handler = {RPC: self._rpc, HEARTBEAT: self._heartbeat, HANDSHAKE: self._handshake,
                   TOPIC_REPORT: self._topics, REGISTER_EVENT_LOG: self._register,
                   UNREGISTER_EVENT_LOG: self._unregister}.get(pack.type)
        if handler is not None:
            handler(pack)

    # ------------------------------------------------------------------ requests
    def _rpc(self, pack: ChannelPack) -> None:
        answer = self.node.handle_raw(pack.data)
        self.send(ChannelPack(RPC, pack.seq, answer))
        try:
            request, reply = load_json(pack.data), load_json(answer)
        except (ValueError, UnicodeDecodeError):
            return
        if isinstance(request, dict) and request.get("method") == "sendRawTransaction" \
                and isinstance(reply, dict) and isinstance(reply.get("result"), str):
            threading.Thread(target=self._push_receipt, args=(pack.seq, reply["result"]),
                             name="devchain-channel-receipt", daemon=True).start()

    def _push_receipt(self, seq: bytes, tx_hash: str) -> None:
        import time

        deadline = time.monotonic() + _RECEIPT_WAIT
        body = _dumps({"jsonrpc": "2.0", "id": 0, "method": "getTransactionReceipt", "params": [self.group, tx_hash]})
        while not self._closed.is_set() and time.monotonic() < deadline:
            head = self.chain.head.number  # read before the receipt: a block sealed in between wakes the wait
            receipt = json.loads(self.node.handle_raw(body)).get("result")
            if receipt:
                self.send(ChannelPack(TX_COMMITTED, seq, _dumps(receipt)))
                return
            self.chain.wait_for_block(head + 1, 0.2)

    def _heartbeat(self, pack: ChannelPack) -> None:
        if self.protocol == 1:
            if pack.data == b"0":
                self.send(ChannelPack(HEARTBEAT, pack.seq, b"1"))
            return
        self.send(ChannelPack(HEARTBEAT, pack.seq, _dumps({"heartBeat": 1})))

    def _handshake(self, pack: ChannelPack) -> None:
        try:
            request = load_json(pack.data)
            low, high = int(request.get("minimumSupport", 1)), int(request.get("maximumSupport", 1))
        except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
            return  # the node logs "parse to json failed" and does not answer
        if high < _MIN_PROTOCOL or low > _MAX_PROTOCOL:
            self.close()
            return
        self.protocol = min(high, _MAX_PROTOCOL)
        version = json.loads(self.node.handle_raw(
            b'{"jsonrpc":"2.0","id":0,"method":"getClientVersion","params":[]}'))["result"]["Supported Version"]
        self.send(ChannelPack(HANDSHAKE, pack.seq, _dumps({"protocol": self.protocol, "nodeVersion": version})))

    def _topics(self, pack: ChannelPack) -> None:
        try:
            topics = load_json(pack.data)
        except (ValueError, UnicodeDecodeError):
            return
        if isinstance(topics, list) and f"_block_notify_{self.group}" in topics and not self._notify_started:
            self._notify_started = True
            threading.Thread(target=self._notify_blocks, name="devchain-channel-notify", daemon=True).start()

    def _register(self, pack: ChannelPack) -> None:
        try:
            _, body = unpack_topic(pack.data)
            request = load_json(body)
        except (FrameError, ValueError, UnicodeDecodeError):
            request = None
        code, task, filter_id = ep.INVALID_PARAMS, None, ""
        if isinstance(request, dict) and isinstance(request.get("filterID"), str):
            filter_id = request["filterID"]
            try:
                if int(request.get("groupID", -1)) != self.group:
                    code = ep.GROUP_NOT_EXIST
                else:
                    query = ep.parse_sub_query(request.get("addresses"), request.get("topics"))
                    task = ep.SubscriptionTask(
                        self.chain, query, request.get("fromBlock"), request.get("toBlock"),
                        emit=lambda rows: self._emit(filter_id, rows), complete=lambda: self._complete(filter_id))
                    code = ep.SUCCESS
            except (ValueError, TypeError):
                code = ep.INVALID_PARAMS
            except InvalidParams as exc:
                code = exc.code if exc.code == ep.INVALID_REQUEST_RANGE else ep.INVALID_PARAMS
        old = None
        if task is not None:
            with self._filters_lock:
                old = self._filters.pop(filter_id, None)
                if old is None and len(self._filters) >= ep.MAX_SUBSCRIPTIONS:
                    task, code = None, ep.INVALID_REQUEST
                else:
                    self._filters[filter_id] = task
        self.send(ChannelPack(REGISTER_EVENT_LOG, pack.seq, pack_topic("", _dumps({"result": code}))))
        if old is not None:
            old.cancel()
        if task is not None:
            task.start()

    def _unregister(self, pack: ChannelPack) -> None:
        try:
            _, body = unpack_topic(pack.data)
            filter_id = str(load_json(body)["filterID"])
        except (FrameError, ValueError, UnicodeDecodeError, KeyError, TypeError):
            self.send(ChannelPack(UNREGISTER_EVENT_LOG, pack.seq, pack_topic("", _dumps({"result": ep.INVALID_PARAMS}))))
            return
        with self._filters_lock:
            task = self._filters.pop(filter_id, None)
        if task is not None:
            task.cancel()
        self.send(ChannelPack(UNREGISTER_EVENT_LOG, pack.seq, pack_topic("", _dumps({"result": ep.SUCCESS}))))

    # ------------------------------------------------------------------ pushes
    def _emit(self, filter_id: str, rows: Sequence[ep.PushedLog]) -> bool:
        body = {"result": ep.SUCCESS, "filterID": filter_id, "logs": [_log_json(r) for r in rows]}
        return self.send(ChannelPack(EVENT_LOG_PUSH, ZERO_SEQ, _dumps(body)))

    def _complete(self, filter_id: str) -> None:
        with self._filters_lock:
            self._filters.pop(filter_id, None)
        self.send(ChannelPack(EVENT_LOG_PUSH, ZERO_SEQ, _dumps({"result": ep.PUSH_COMPLETED, "filterID": filter_id,
                                                                "logs": []})))

    def _notify_blocks(self) -> None:
        seen = -1
        while not self._closed.is_set():
            head = self.chain.head.number
            if head > seen:
                seen = head
                if self.protocol == 1:
                    data = pack_topic(f"_block_notify_{self.group}", f"{self.group},{head}".encode())
                else:
                    data = _dumps({"groupID": self.group, "blockNumber": head})
                if not self.send(ChannelPack(BLOCK_NOTIFY, ZERO_SEQ, data)):
                    return
            elif not self.chain.wait_for_block(seen + 1, 0.25):
                self._closed.wait(0.05)

    def close(self) -> None:
        self._closed.set()
        with self._filters_lock:
            tasks, self._filters = list(self._filters.values()), {}
        for task in tasks:
            task.cancel()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def channel_tls(material: Any) -> ServerTls:
    """The channel's certificates where a 2.x node keeps them — ``conf/ca.crt``, ``conf/node.crt``,
    ``conf/node.key`` next to the node folder (build_chain.sh 2.x ``generate_node_cert``); the SDK
    side is the same ``sdk/ca.crt``, ``sdk/sdk.crt``, ``sdk/sdk.key`` as 3.x. The node's RPC
    certificate is reused (same CA), written once with the key 0600."""
    import os
    import shutil

    server: ServerTls = material.server
    conf = server.cert.parent.parent / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    paths = ServerTls(ca=conf / "ca.crt", cert=conf / "node.crt", key=conf / "node.key")
    for source, target in ((server.ca, paths.ca), (server.cert, paths.cert), (server.key, paths.key)):
        if not target.exists():
            shutil.copyfile(source, target)
    os.chmod(paths.key, 0o600)
    return paths


class _ChannelServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], node: Any, tls: ssl.SSLContext | None) -> None:
        self.node = node
        self._tls = tls
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a refused handshake or a dropped connection is the client's business


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: _ChannelServer = self.server  # type: ignore[assignment]
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small frames: no 40 ms Nagle/delayed-ACK stalls
        if server._tls is not None:
            sock.settimeout(10)
            try:
                sock = server._tls.wrap_socket(sock, server_side=True)
            except (OSError, ssl.SSLError):
                return
        try:
            _Session(server.node, sock).run()
        except DrugTraceError:
            pass  # the chain closed under the session


def serve_channel(node: Any, host: str = "127.0.0.1", port: int = 0, tls: ServerTls | None = None) -> ServerHandle:
    """Serve the 2.x channel protocol for ``node`` (a 2.x :class:`~fisco_drugtrace.devchain.DevChain`)."""
    server = _ChannelServer((host, port), node, tls.context() if tls else None)
    bound_host, bound_port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="devchain-channel", daemon=True)
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    shown = host if host not in ("0.0.0.0", "") else "127.0.0.1"
    return ServerHandle(f"channel://{shown}:{bound_port}", str(bound_host), int(bound_port), stop)
