"""Fake transports and fake nodes for SDK tests.

* :class:`ScriptedTransport` answers from a list (bytes or exceptions) and records requests.
* :class:`FakeNode` is a tiny JSON-RPC "node": a method -> handler table, usable as an
  ``InProcessTransport`` handler or behind :func:`serve_http`.
* :func:`serve_http` runs a real ``http.server`` on 127.0.0.1, port 0, in a thread; its
  ``mode`` makes it misbehave like broken nodes and proxies do (HTML, half a JSON, HTTP 500,
  empty body, too slow, stalling, drip-feeding, redirecting, giant, gzip bomb, deeply nested).
* :func:`black_hole` is a port that accepts connections (the kernel's backlog) and never answers.
"""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

__all__ = ["ScriptedTransport", "FakeNode", "RpcFailure", "HttpServerHandle", "serve_http", "make_cert", "write_pem",
           "RevmClient", "v3_node", "v2_node", "v3_receipt", "v2_receipt", "black_hole", "dead_url", "serve_raw",
           "RawServerHandle"]


class ScriptedTransport:
    """Returns scripted answers in order; an exception in the script is raised instead."""

    url = "scripted://"

    def __init__(self, answers: list[Any]) -> None:
        self.answers = list(answers)
        self.requests: list[dict[str, Any]] = []
        self.closed = False

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        request = json.loads(body)
        self.requests.append(request)
        if not self.answers:
            raise AssertionError(f"unexpected request {request}")
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, (dict, list)):
            return json.dumps(answer).encode()
        return answer

    def close(self) -> None:
        self.closed = True


@dataclass
class RpcFailure(Exception):
    """Raised by a :class:`FakeNode` handler to answer with a JSON-RPC error object."""

    code: int
    message: str
    data: Any = None


@dataclass
class FakeNode:
    """A JSON-RPC node made of handlers: ``handlers[method](params) -> result``."""

    handlers: dict[str, Callable[[list[Any]], Any]] = field(default_factory=dict)
    calls: list[tuple[str, list[Any]]] = field(default_factory=list)

    def on(self, method: str, handler: Callable[[list[Any]], Any] | Any) -> "FakeNode":
        self.handlers[method] = handler if callable(handler) else (lambda _params, _v=handler: _v)
        return self

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        method = request.get("method")
        params = request.get("params", [])
        self.calls.append((method, params))
        envelope: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
        handler = self.handlers.get(method)
        if handler is None:
            envelope["error"] = {"code": -32601, "message": "Method not found"}
            return envelope
        try:
            envelope["result"] = handler(params)
        except RpcFailure as failure:
            envelope["error"] = {"code": failure.code, "message": failure.message, "data": failure.data}
        return envelope

    def handle_raw(self, body: bytes) -> bytes:
        return json.dumps(self.handle(json.loads(body))).encode()

    def methods_called(self) -> list[str]:
        return [m for m, _ in self.calls]


@dataclass
class HttpServerHandle:
    url: str
    server: ThreadingHTTPServer
    hits: list[bytes]
    peers: list[tuple[str, int]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _envelope(result_json: bytes) -> bytes:
    return b'{"jsonrpc":"2.0","id":1,"result":' + result_json + b"}"


def _make_handler(mode: str, node: FakeNode | None, handle: "HttpServerHandle", delay: float,
                  options: dict[str, Any]) -> type:
    hits = handle.hits

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # headers and body go out in two writes; with Nagle on, the body waits ~40 ms for the
        # client's delayed ACK on every keep-alive request
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            return None

        def _reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            hits.append(body)
            handle.peers.append(self.client_address)
            handle.headers.append({k.lower(): v for k, v in self.headers.items()})
            if mode == "stall":  # read the request, never answer
                time.sleep(options.get("stall", 3600))
                return
            if mode == "drip":  # a valid answer, one byte every `delay` seconds, headers included
                answer = node.handle_raw(body) if node is not None else _envelope(b"1")
                raw = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                       + str(len(answer)).encode() + b"\r\n\r\n" + answer)
                try:
                    for index in range(len(raw)):
                        self.wfile.write(raw[index:index + 1])
                        self.wfile.flush()
                        handle.sent.append(1)
                        time.sleep(delay)
                except OSError:
                    pass
                self.close_connection = True
                return
            if mode == "redirect":
                self.send_response(options.get("status", 307))
                self.send_header("Location", options["location"])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if mode == "giant_declared":  # announces 300 MB, then streams zeros until the peer goes
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(options.get("declared", 300_000_000)))
                self.end_headers()
                self._stream_until_closed(b'{"jsonrpc":"2.0","id":1,"result":"' + b"0" * 65536)
                return
            if mode == "giant_chunked":  # no length, an endless chunked hex string
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                piece = b"f" * 65536
                framed = b"%x\r\n%s\r\n" % (len(piece), piece)
                self._stream_until_closed(b"5\r\n" + _envelope(b"")[:5] + b"\r\n", framed)
                return
            if mode == "gzip":  # a gzip bomb: a small body that inflates to `inflated` bytes
                inflated = options.get("inflated", 64 * 1024 * 1024)
                bomb = gzip.compress(b'{"jsonrpc":"2.0","id":1,"result":"' + b"0" * inflated + b'"}', 9)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(bomb)))
                self.end_headers()
                self.wfile.write(bomb)
                return
            if mode == "deep":  # an answer nested `depth` levels deep
                depth = options.get("depth", 100_000)
                self._reply(200, _envelope(b"[" * depth + b"]" * depth))
                return
            if mode == "html":
                self._reply(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
            elif mode == "half_json":
                self._reply(200, b'{"jsonrpc":"2.0","id":1,"result":{"blockNu')
            elif mode == "http500":
                self._reply(500, b"Internal Server Error", "text/plain")
            elif mode == "empty":
                self._reply(200, b"")
            elif mode == "slow":
                time.sleep(delay)
                self._reply(200, b'{"jsonrpc":"2.0","id":1,"result":1}')
            else:
                assert node is not None
                self._reply(200, node.handle_raw(body))

        def _stream_until_closed(self, first: bytes, filler: bytes = b"0" * 65536) -> None:
            try:
                self.wfile.write(first)
                handle.sent.append(len(first))
                for _ in range(20_000):  # at most ~1.3 GB, far more than any cap
                    self.wfile.write(filler)
                    handle.sent.append(len(filler))
            except OSError:
                pass
            self.close_connection = True

    return Handler


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (deadline, cap) breaks the pipe: expected here, not worth a traceback."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


@contextmanager
def serve_http(mode: str = "node", node: FakeNode | None = None, *, delay: float = 1.0,
               ssl_context: ssl.SSLContext | None = None, **options: Any) -> Iterator[HttpServerHandle]:
    """A real HTTP(S) server on 127.0.0.1, port 0, for the duration of the ``with`` block.

    ``options``: ``location``/``status`` (redirect), ``declared`` (giant_declared),
    ``inflated`` (gzip), ``depth`` (deep), ``stall`` (seconds a stalling handler sleeps).
    """
    handle = HttpServerHandle(url="", server=None, hits=[])  # type: ignore[arg-type]
    server = _QuietServer(("127.0.0.1", 0), _make_handler(mode, node, handle, delay, options))
    server.daemon_threads = True
    scheme = "http"
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    handle.server = server
    handle.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handle
    finally:
        handle.stop()


@contextmanager
def black_hole(*, drop_syn: bool = False) -> Iterator[str]:
    """A URL whose port accepts TCP connections (into the kernel backlog) and never answers.

    ``drop_syn=True``: the backlog is full first, so the kernel drops new SYNs and even
    ``connect()`` hangs (a host that vanished, a firewall dropping packets).
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(0 if drop_syn else 64)
    fillers: list[socket.socket] = []
    if drop_syn:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(sock.getsockname())
            except BlockingIOError:
                pass
            fillers.append(filler)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        for filler in fillers:
            filler.close()
        sock.close()


def dead_url() -> str:
    """A 127.0.0.1 port nobody listens on (bound, then closed): connections are refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------- canned FISCO nodes
NODE_ID = "a1" * 64
NODE_ID_2 = "b2" * 64
BLOCK_HASH = "0x" + "ab" * 32
TX_HASH = "0x" + "cd" * 32
CONTRACT = "0x" + "12" * 20
TOPIC = "0x" + "ef" * 32


def v3_receipt(tx_hash: str = TX_HASH, *, status: int = 0, output: str = "0x", block_number: int = 5,
               contract_address: str = "", logs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A 3.x receipt as the node writes it (logEntries addresses without 0x, gasUsed decimal)."""
    return {
        "version": 0, "contractAddress": contract_address, "checksumContractAddress": contract_address,
        "gasUsed": "24363", "status": status, "blockNumber": block_number, "output": output, "message": "",
        "transactionHash": tx_hash, "hash": "0x" + "99" * 32, "from": "0x" + "34" * 20, "to": CONTRACT,
        "logEntries": logs if logs is not None else [{"address": CONTRACT[2:], "topics": [TOPIC], "data": "0x01"}],
    }


def v3_node(*, block_number: int = 5, chain_id: str = "chain0") -> FakeNode:
    """A 3.x node answering every method with the shapes from the protocol notes."""
    node_info = {
        "name": "node0", "nodeID": NODE_ID, "type": 0, "microService": False,
        "iniConfig": json.dumps({"binaryInfo": {"version": "3.16.4", "gitCommitHash": "abc"}, "chainID": chain_id,
                                 "groupID": "group0", "smCryptoType": False, "isWasm": False}),
        "serviceInfo": [], "featureKeys": ["feature_x"], "supportConfigs": ["tx_gas_limit"],
        "protocol": {"minSupportedVersion": 0, "maxSupportedVersion": 2, "compatibilityVersion": 50528256},
    }
    group_info = {"chainID": chain_id, "groupID": "group0", "genesisConfig": json.dumps({"consensusType": "pbft"}),
                  "iniConfig": "", "nodeList": [node_info]}
    tx = {"version": 0, "hash": TX_HASH, "nonce": "3132", "blockLimit": 505, "to": CONTRACT, "input": "0xabcd",
          "from": "0x" + "34" * 20, "importTime": 1700000000000, "chainID": chain_id, "groupID": "group0",
          "abi": "", "signature": "0x" + "11" * 65, "extraData": ""}
    block = {"hash": BLOCK_HASH, "version": 50528256, "txsRoot": "0x" + "0" * 64, "receiptsRoot": "0x" + "0" * 64,
             "stateRoot": "0x" + "0" * 64, "number": block_number, "gasUsed": "0", "timestamp": 1700000000123,
             "sealer": 0, "extraData": "0x", "consensusWeights": [1], "sealerList": ["0x" + NODE_ID],
             "parentInfo": [{"blockNumber": block_number - 1, "blockHash": "0x" + "aa" * 32}],
             "signatureList": [], "transactions": [TX_HASH]}
    log = {"address": CONTRACT, "topics": [TOPIC], "data": "0x01", "logIndex": "0x0", "blockNumber": hex(block_number),
           "blockHash": BLOCK_HASH, "transactionIndex": "0x0", "transactionHash": TX_HASH, "removed": False}
    sync = {"isSyncing": False, "genesisHash": "aa" * 32, "nodeID": NODE_ID, "blockNumber": block_number,
            "latestHash": "bb" * 32, "knownHighestNumber": block_number, "knownLatestHash": "bb" * 32,
            "archivedBlockNumber": 0,
            "peers": [{"nodeID": NODE_ID_2, "blockNumber": block_number, "genesisHash": "aa" * 32,
                       "latestHash": "bb" * 32, "archivedBlockNumber": 0}]}
    consensus = {"nodeID": NODE_ID, "index": 0, "leaderIndex": 0, "view": 7, "blockNumber": block_number,
                 "hash": "bb" * 32, "consensusNodesNum": 1, "maxFaultyQuorum": 0, "minRequiredQuorum": 1,
                 "isConsensusNode": True, "timeout": False, "changeCycle": 0, "connectedNodeList": 0,
                 "consensusNodeList": [{"index": 0, "nodeID": NODE_ID, "weight": 1}]}
    peers = {"p2pNodeID": NODE_ID, "endPoint": "127.0.0.1:30300",
             "groupNodeIDInfo": [{"group": "group0", "nodeIDList": [NODE_ID]}],
             "peers": [{"p2pNodeID": NODE_ID_2, "endPoint": "127.0.0.1:30301",
                        "groupNodeIDInfo": [{"group": "group0", "nodeIDList": [NODE_ID_2]}]}]}
    sealer = [{"nodeID": NODE_ID, "weight": 1, "termWeight": 1}]
    node = FakeNode()
    for method, result in {
        "call": {"blockNumber": block_number, "status": 0, "output": "0x" + "00" * 31 + "2a"},
        "sendTransaction": v3_receipt(),
        "getTransaction": tx,
        "getTransactionReceipt": v3_receipt(),
        "getBlockByHash": block,
        "getBlockByNumber": block,
        "getBlockHashByNumber": BLOCK_HASH,
        "getBlockNumber": block_number,
        "getCode": "0x6080",
        "getABI": "[]",
        "getSealerList": sealer,
        "getObserverList": [NODE_ID_2],
        "getNodeListByType": sealer,
        "getPbftView": 7,
        "getPendingTxSize": 0,
        "getSyncStatus": json.dumps(sync),
        "getConsensusStatus": json.dumps(consensus),
        "getSystemConfigByKey": {"value": "3000000000", "blockNumber": 0},
        "getTotalTransactionCount": {"blockNumber": block_number, "transactionCount": 9, "failedTransactionCount": 1},
        "getPeers": peers,
        "getGroupPeers": [NODE_ID, NODE_ID_2],
        "getGroupList": {"code": 0, "msg": "success", "groupList": ["group0"]},
        "getGroupInfo": group_info,
        "getGroupInfoList": [group_info],
        "getGroupNodeInfo": node_info,
        "newBlockFilter": "0x1",
        "newPendingTransactionFilter": "0x2",
        "newFilter": "0x3",
        "getLogs": [log],
        "uninstallFilter": True,
        "getFilterChanges": [log],
        "getFilterLogs": [log],
    }.items():
        node.on(method, result)
    return node


def v2_receipt(tx_hash: str = TX_HASH, *, status: str = "0x0", block_number: int = 5,
               contract_address: str = "0x" + "0" * 40, logs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "root": "0x" + "0" * 64, "gasUsed": "0x5f5e100", "remainGas": "0x0", "contractAddress": contract_address,
        "logsBloom": "0x" + "0" * 512, "status": status, "statusMsg": "None", "output": "0x",
        "logs": logs if logs is not None else [{"address": CONTRACT, "topics": [TOPIC], "data": "0x01"}],
        "transactionHash": tx_hash, "transactionIndex": "0x0", "blockNumber": hex(block_number),
        "blockHash": BLOCK_HASH, "from": "0x" + "34" * 20, "to": CONTRACT, "input": "0xabcd",
    }


def v2_node(*, block_number: int = 5, chain_id: int = 1) -> FakeNode:
    """A 2.x node answering every method with the shapes from the protocol notes."""
    tx = {"nonce": "0x1c", "gasPrice": "0x1c9c380", "gas": "0x1c9c380", "blockLimit": "0x1f9", "to": CONTRACT,
          "value": "0x0", "input": "0xabcd", "chainId": hex(chain_id), "groupId": "0x1", "extraData": "0x",
          "blockHash": BLOCK_HASH, "blockNumber": hex(block_number), "transactionIndex": "0x0",
          "from": "0x" + "34" * 20, "hash": TX_HASH[2:],  # 2.x is not consistent about 0x
          "signature": {"r": "0x" + "01" * 32, "s": "0x" + "02" * 32, "v": "0x0",
                        "signature": "0x" + "01" * 32 + "02" * 32 + "00"}}
    block = {"number": hex(block_number), "hash": BLOCK_HASH, "parentHash": "0x" + "aa" * 32,
             "logsBloom": "0x" + "0" * 512, "transactionsRoot": "0x" + "0" * 64, "receiptsRoot": "0x" + "0" * 64,
             "dbHash": "0x" + "0" * 64, "stateRoot": "0x" + "0" * 64, "sealer": "0x0", "sealerList": [NODE_ID],
             "extraData": [], "gasLimit": "0x0", "gasUsed": "0x0", "timestamp": hex(1700000000123),
             "transactions": [TX_HASH]}
    header = {k: v for k, v in block.items() if k != "transactions"}
    header["number"] = block_number
    sync = {"isSyncing": False, "protocolId": 65544, "genesisHash": "aa" * 32, "nodeId": NODE_ID,
            "blockNumber": block_number, "latestHash": "bb" * 32, "knownHighestNumber": block_number,
            "knownLatestHash": "bb" * 32, "txPoolSize": "0",
            "peers": [{"nodeId": NODE_ID_2, "genesisHash": "aa" * 32, "blockNumber": block_number,
                       "latestHash": "bb" * 32}]}
    consensus = [{"nodeNum": 1, "node_index": 0, "max_faulty_leader": 0, "consensusedBlockNumber": block_number,
                  "highestblockNumber": block_number, "highestblockHash": "0x" + "bb" * 32, "groupId": 1,
                  "protocolId": 65544, "accountType": 1, "cfgErr": False, "omitEmptyBlock": True,
                  "nodeId": NODE_ID, "sealer.0": NODE_ID, "allowFutureBlocks": True, "connectedNodes": 0,
                  "currentView": 3, "toView": 3, "leaderFailed": False},
                 [{"nodeId": NODE_ID, "view": 3}]]
    peer = {"NodeID": NODE_ID_2, "IPAndPort": "127.0.0.1:30301", "Agency": "agency", "Node": "node1", "Topic": []}
    batch = {"blockInfo": {"receiptRoot": "0x" + "0" * 64, "blockNumber": hex(block_number), "blockHash": BLOCK_HASH,
                           "receiptsCount": "0x1"},
             "transactionReceipts": [{k: v for k, v in v2_receipt().items()
                                      if k in ("transactionHash", "transactionIndex", "from", "to", "gasUsed",
                                               "contractAddress", "logs", "status", "output")}]}
    ok = {"code": "0x0", "message": "success"}
    node = FakeNode()
    for method, result in {
        "getClientVersion": {"FISCO-BCOS Version": "2.11.1", "Supported Version": "2.11.1", "Chain Id": str(chain_id),
                             "Build Time": "20240726", "Build Type": "Linux/g++/Release", "Git Branch": "HEAD",
                             "Git Commit Hash": "2ace59886"},
        "getNodeInfo": {"NodeID": NODE_ID, "IPAndPort": "0.0.0.0:30300", "Agency": "agency", "Node": "node0",
                        "Topic": ["t1"]},
        "getBlockNumber": hex(block_number),
        "getPbftView": "0x3",
        "getSealerList": [NODE_ID],
        "getObserverList": [],
        "getEpochSealersList": [NODE_ID],
        "getConsensusStatus": consensus,
        "getSyncStatus": sync,
        "getPeers": [peer],
        "getGroupPeers": [NODE_ID, NODE_ID_2],
        "getNodeIDList": [NODE_ID, NODE_ID_2],
        "getGroupList": [1],
        "getBlockByHash": block,
        "getBlockByNumber": block,
        "getBlockHeaderByHash": header,
        "getBlockHeaderByNumber": header,
        "getBlockHashByNumber": BLOCK_HASH,
        "getTransactionByHash": tx,
        "getTransactionByBlockHashAndIndex": tx,
        "getTransactionByBlockNumberAndIndex": tx,
        "getTransactionReceipt": v2_receipt(),
        "getPendingTransactions": [{k: v for k, v in tx.items()
                                    if k not in ("blockHash", "blockNumber", "transactionIndex")}],
        "getPendingTxSize": "0x0",
        "getCode": "0x6080",
        "getTotalTransactionCount": {"txSum": "0x9", "blockNumber": hex(block_number), "failedTxSum": "0x1"},
        "getSystemConfigByKey": "1000",
        "call": {"currentBlockNumber": hex(block_number), "status": "0x0", "output": "0x" + "00" * 31 + "2a"},
        "sendRawTransaction": TX_HASH,
        "sendRawTransactionAndGetProof": TX_HASH,
        "getTransactionByHashWithProof": {"transaction": tx, "txProof": [{"left": [], "right": []}]},
        "getTransactionReceiptByHashWithProof": {"transactionReceipt": v2_receipt(),
                                                 "receiptProof": [{"left": [], "right": []}]},
        "getBatchReceiptsByBlockNumberAndRange": batch,
        "getBatchReceiptsByBlockHashAndRange": batch,
        "generateGroup": {"code": "0x2", "message": "GROUP_ALREADY_EXISTS"},
        "startGroup": {"code": "0x3", "message": "ALREADY_RUNNING"},
        "stopGroup": ok,
        "removeGroup": ok,
        "recoverGroup": ok,
        "queryGroupStatus": {"code": "0x0", "message": "", "status": "RUNNING"},
        "addPeers": ok,
        "erasePeers": ok,
        "queryPeers": ["127.0.0.1:30301"],
        "rpc_modules": {"FISCO BCOS": "2.0"},
    }.items():
        node.on(method, result)
    return node


# --------------------------------------------------------------------------- an EVM-backed client
class RevmClient:
    """Just enough of ``FiscoClient`` for binding tests, executing real bytecode on pyrevm.

    Transactions become receipts the way a 3.x node reports them (status 16 + revert data on
    revert, logs with addresses); blocks are numbered from 1, one per transaction.
    """

    def __init__(self, dialect: Any = None) -> None:
        from pyrevm import EVM, BlockEnv, CfgEnv, Env

        from fisco_drugtrace.types import Dialect

        self.dialect = dialect or Dialect.V3
        self.evm = EVM(env=Env(cfg=CfgEnv(chain_id=20200), block=BlockEnv(number=1, timestamp=1_700_000_000_000)))
        self.number = 0
        self.receipts: dict[str, Any] = {}
        self.sent: list[tuple[str, str | None, bytes, str]] = []

    @staticmethod
    def _revert_data(exc: RuntimeError) -> bytes:
        import re

        found = re.search(r"output: 0x([0-9a-fA-F]*)", str(exc))
        if found is None:
            raise exc
        return bytes.fromhex(found.group(1))

    def call(self, to: str, data: bytes, *, sender: str | None = None) -> Any:
        from fisco_drugtrace.types import CallResult

        checkpoint = self.evm.snapshot()
        try:
            out = bytes(self.evm.message_call(sender or "0x" + "00" * 19 + "01", to, data, gas=30_000_000))
            status = 0
        except RuntimeError as exc:
            out, status = self._revert_data(exc), 16
        finally:
            self.evm.revert(checkpoint)
        return CallResult(status=status, output=out, block_number=self.number)

    def get_code(self, address: str) -> bytes:
        code = self.evm.get_code(address)
        return bytes(code or b"")

    def send_transaction(self, signer: Any, to: str | None, data: bytes, *, abi: str = "",
                         timeout: float = 60.0) -> Any:
        import os

        from fisco_drugtrace.types import Dialect, Log, Receipt, status_name

        self.sent.append((signer.address, to, bytes(data), abi))
        self.number += 1
        tx_hash = "0x" + os.urandom(32).hex()
        checkpoint = self.evm.snapshot()
        contract_address = None
        logs: tuple[Log, ...] = ()
        try:
            if to:
                output = bytes(self.evm.message_call(signer.address, to, data, gas=30_000_000))
            else:
                contract_address = self.evm.deploy(signer.address, data, gas=30_000_000).lower()
                output = b""
            status = 0
            logs = tuple(
                Log(address=log.address.lower(), topics=tuple(bytes(t) for t in log.data[0]), data=bytes(log.data[1]),
                    block_number=self.number, transaction_hash=tx_hash, log_index=i)
                for i, log in enumerate(self.evm.result.logs)
            )
            self.evm.commit()
        except RuntimeError as exc:
            self.evm.revert(checkpoint)
            output, status, contract_address = self._revert_data(exc), 16, None
        code = status if self.dialect is Dialect.V3 else {16: 0x16}.get(status, status)
        receipt = Receipt(transaction_hash=tx_hash, block_number=self.number, status=code,
                          status_name=status_name(self.dialect, code), gas_used=0, output=output, logs=logs,
                          contract_address=contract_address, from_address=signer.address, to_address=to)
        self.receipts[tx_hash] = receipt
        return receipt

    def get_logs(self, from_block: int, to_block: int, addresses: Any = None, topics: Any = None) -> list[Any]:
        from fisco_drugtrace.client._wire import log_matches

        return [log for r in self.receipts.values() if from_block <= r.block_number <= to_block
                for log in r.logs if log_matches(log, addresses, topics)]


# --------------------------------------------------------------------------- throwaway PKI
def _name(cn: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "fisco")])


def make_cert(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> Any:
    """An X.509 certificate for ``subject`` signed by ``issuer_key`` (no SAN: like FISCO node certs)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = dt.datetime.now(dt.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def write_pem(path: Any, cert: Any = None, key: Any = None) -> Any:
    """Write a certificate, or else a private key (PKCS#8, unencrypted), as PEM; return the path."""
    from cryptography.hazmat.primitives import serialization

    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return path


@dataclass
class RawServerHandle:
    """A loopback server that answers each connection with ``answer`` (raw bytes) and closes."""

    url: str
    answer: bytes = b""


@contextmanager
def serve_raw(answer: bytes = b"") -> Iterator[RawServerHandle]:
    """Reads one request (up to its blank line and body), writes ``handle.answer`` verbatim, closes."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    handle = RawServerHandle(url=f"http://127.0.0.1:{sock.getsockname()[1]}", answer=answer)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            try:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(handle.answer)
            except OSError:
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield handle
    finally:
        stop.set()
        thread.join(2)
        sock.close()
