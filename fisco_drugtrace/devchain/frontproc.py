"""The split HTTP front: HTTP in a child process, the chain's work in one engine thread here.

The child is ``_front_child.py`` (standard library only). With the threaded server (:mod:`.server`) every connection is a thread of this process, and the
request threads, the sealer and the EVM share one interpreter lock: much of the CPU goes to
handing work between them. Here a child process (``_front_child.py``, asyncio, one thread) accepts the connections, parses HTTP/1.1 (POST, Content-Length, keep-alive,
the same limits and answers as :mod:`.server`) and forwards each body over a Unix socket to ONE
engine thread in the chain's process. That thread reads whatever requests have arrived, runs the
3.x ``sendTransaction`` ones as one round in its own thread (decode, admit, execute, store — no
hand-off: :meth:`Chain.run_round`), answers everything else through ``handle_raw``, and writes
the answers back. The in-process API (``DevChain.handle_raw``) is unchanged; this is only another
way to serve it (``serve(devchain, front="process")``). No TLS: the loop and the threaded fronts
serve mutual TLS.

Frames both ways: 4-byte length, 4-byte tag, body (big-endian).
"""

from __future__ import annotations

import selectors
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from fisco_drugtrace.errors import DevChainError, RpcError

from .jsonrpc import V3Envelope
from .server import MAX_BODY, ServerHandle

__all__ = ["serve_split"]

_HEAD = struct.Struct(">II")
#: How long the engine waits for the rest of a round once one request has come (s), as the sealer.
_LINGER = 0.002


def _error(req_id: Any, code: int, message: str) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": req_id, "error": {"code": code, "message": message}})


# ============================================================================ the engine (parent)
class _Engine:
    """Reads request frames, runs them, writes answer frames; one thread."""

    def __init__(self, devchain: Any, sock: socket.socket) -> None:
        self.devchain = devchain
        self.chain = devchain.chain
        self.sock = sock
        self.v3 = devchain.config.dialect.value == "v3"
        self._buf = bytearray()
        self._outstanding: list[tuple[int, Any, Any, bool]] = []  # (tag, id, waiter, proof)
        self._expect = 1
        self._selector = selectors.DefaultSelector()
        self._selector.register(sock, selectors.EVENT_READ)

    def _frames(self, block: float | None) -> list[tuple[int, bytes]] | None:
        """Frames available now (waiting up to ``block`` s for the first); ``None`` on EOF."""
        sel = self._selector
        frames: list[tuple[int, bytes]] = []
        deadline = None
        while True:
            if frames:
                if deadline is None:
                    deadline = time.monotonic() + _LINGER
                if len(frames) >= self._expect:
                    break
                wait = deadline - time.monotonic()
                if wait <= 0:
                    break
            else:
                wait = block
            if not sel.select(wait):
                break
            data = self.sock.recv(1 << 20)
            if not data:
                return None
            self._buf += data
            while len(self._buf) >= 8:
                length, tag = _HEAD.unpack_from(self._buf)
                if len(self._buf) < 8 + length:
                    break
                frames.append((tag, bytes(self._buf[8:8 + length])))
                del self._buf[:8 + length]
        return frames

    def run(self) -> None:
        try:
            while True:
                frames = self._frames(0.05 if self._outstanding else None)
                if frames is None:
                    return
                out = self._process(frames) if frames else []
                out += self._finished()
                if out:
                    self.sock.sendall(b"".join(out))
        except OSError:
            return
        finally:
            self._selector.close()

    def _process(self, frames: list[tuple[int, bytes]]) -> list[bytes]:
        out: list[bytes] = []
        sends: list[tuple[int, Any, Any, bool]] = []
        methods = self.devchain.methods
        for tag, body in frames:
            request = None
            if self.v3:
                try:
                    request = orjson.loads(body)
                except orjson.JSONDecodeError:
                    request = None
            if (type(request) is dict and request.get("method") == "sendTransaction"
                    and type(request.get("id")) is int and type(request.get("params")) is list
                    and type(request.get("jsonrpc")) is str):
                params = request["params"]
                try:
                    raw = methods._send_params(params)
                except RpcError as exc:
                    out.append(self._frame(tag, _error(request["id"], exc.code, exc.node_message)))
                    continue
                proof = len(params) > 3 and params[3] is True
                sends.append((tag, request["id"], self.chain.make_waiter(raw), proof))
            else:  # everything else, exactly as the in-process path answers it
                out.append(self._frame(tag, self.devchain.handle_raw(body)))
        if sends:
            self._expect = max(len(sends), 1)
            try:
                self.chain.run_round([w for _, _, w, _ in sends])
            except DevChainError as exc:  # closed or failed before the round: every one hears why
                for tag, req_id, _, _ in sends:
                    out.append(self._frame(tag, _error(req_id, -32603, str(exc))))
                return out
            self._outstanding += sends
        return out

    def _finished(self) -> list[bytes]:
        out, still = [], []
        for tag, req_id, waiter, proof in self._outstanding:
            if waiter.error is not None:
                out.append(self._frame(tag, self._error_of(req_id, waiter.error)))
            elif waiter.receipt is not None:
                result = self.devchain.methods.receipt_json(waiter.receipt, waiter.tx)
                if proof:
                    result.update(txReceiptProof=[], receiptProof=[])
                out.append(self._frame(tag, orjson.dumps({"jsonrpc": "2.0", "id": req_id, "result": result})))
            else:
                still.append((tag, req_id, waiter, proof))
        self._outstanding = still
        return out

    @staticmethod
    def _error_of(req_id: Any, exc: BaseException) -> bytes:
        return orjson.dumps(V3Envelope.error_of(req_id, exc))

    @staticmethod
    def _frame(tag: int, body: bytes) -> bytes:
        return _HEAD.pack(len(body), tag) + body


def serve_split(devchain: Any, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Serve ``devchain`` with the HTTP front in a child process and one engine thread here."""
    listener = socket.create_server((host, port), backlog=128)
    bound_host, bound_port = listener.getsockname()[:2]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    # run by path, not as a module: the child needs the standard library only, not this package
    child = subprocess.Popen([sys.executable, "-I", str(Path(__file__).with_name("_front_child.py")),
                              str(listener.fileno()), str(theirs.fileno()), str(MAX_BODY)],
                             pass_fds=(listener.fileno(), theirs.fileno()), stdin=subprocess.DEVNULL)
    listener.close()
    theirs.close()
    engine = _Engine(devchain, ours)
    thread = threading.Thread(target=engine.run, name="devchain-engine", daemon=True)
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(10)
        ours.close()
        thread.join(timeout=5)

    shown = host if host not in ("0.0.0.0", "") else "127.0.0.1"
    return ServerHandle(f"http://{shown}:{bound_port}", str(bound_host), int(bound_port), stop)


