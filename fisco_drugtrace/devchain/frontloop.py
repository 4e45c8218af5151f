"""The loop HTTP front: ONE thread of the chain's process serves every connection.

With the threaded server (:mod:`.server`) each connection is a thread, and the request threads,
the sealer and the EVM share one interpreter lock: much of the CPU went to handing work between
them (measured: 0.7–0.8x of Anvil's admission rate on ``dispatch`` with 8 keep-alive senders).
Here one thread waits on all sockets with :mod:`selectors` (non-blocking, HTTP/1.1 parsed by
hand: POST, Content-Length bodies, keep-alive, pipelining), and each time round it

1. reads whatever has arrived on every connection and parses the complete requests;
2. runs the 3.x ``sendTransaction`` requests among them as ONE round in this thread — decode,
   admit, execute, store, with no hand-off to the sealer (:meth:`Chain.run_round`, the round code
   the split front's engine uses too) — as soon as the previous round is done (no waiting for
   stragglers: they join the next round);
3. hands every other request to a worker thread (``handle_raw``, exactly as the threaded server
   answers it; a request that may wait — a 2.x send, a send held by manual mining — must not
   stall the loop) and writes its answer when the worker is done;
4. writes all answers, one ``send`` per connection.

A ``sendTransaction`` held by manual (or interval) mining is answered when its block is sealed.
The limits are the threaded server's: bodies over :data:`~.server.MAX_BODY` get 413, request
lines and headers over 64 KiB or more than 100 headers 431/400, a missing Content-Length 411;
connections are capped (the longest-idle one is closed for a newcomer at the cap, 503 when none
is idle), an idle keep-alive connection is closed after ``idle_timeout``, and a request must
arrive whole within ``request_deadline`` of its request line (:mod:`.conncap`'s bounds). A
WebSocket upgrade (3.x) is handed to a thread of its own (:mod:`.ws_server`). A connection is
not read while its answer is being written, nor past 1 MiB buffered while its request is being
answered (what a thread per connection gets from not reading: the client waits in the kernel's
buffers).

With ``tls`` (:class:`~.server.ServerTls`: mutual TLS, a client certificate required, as the
threaded front serves it) every accepted socket is wrapped non-blocking and first does its
handshake driven by selector events; until it is done the connection is ``idle`` as a keep-alive
one (closed after ``idle_timeout``, the first closed for a newcomer at the cap), which is what the
threaded front's guard sees while its thread shakes hands. A failed handshake just closes the
connection. At the cap with nothing idle a TLS newcomer is closed unanswered (a plaintext 503 is
no answer to a ClientHello). The TLS reads, writes and events live in :class:`_TlsLoop`, so the
plain path runs the same code as without TLS.

If the round itself raises (a bug, not a refusal: refusals are answers), every request of that
round is answered -32603 and the loop keeps serving.
"""

from __future__ import annotations

import io
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson


from .conncap import IDLE_TIMEOUT, MAX_CONNECTIONS, REQUEST_DEADLINE
from .jsonrpc import V3Envelope
from .server import _MAX_HEADERS, _MAX_LINE, _REASONS, MAX_BODY, ServerHandle, ServerTls, _error_body

__all__ = ["serve_loop"]

_READ = selectors.EVENT_READ
_WRITE = selectors.EVENT_WRITE
#: How often a loop with a transaction held (manual/interval mining) looks whether it was sealed (s).
_HELD_POLL = 0.01
#: Longest a round waits, once a send has arrived, for as many as the last round had (s).
LINGER = 0.0
#: A fast-path send: its connection, JSON-RPC id, chain waiter, keep-alive, and whether proofs were asked.
_Send = tuple  # (_Conn, int, waiter, bool, bool)
#: Bytes read ahead from a connection whose request is being answered, before reading pauses.
_READ_AHEAD = 1 << 20
#: Refused connections (503) still being read and dropped, at most, and for how long (s).
_MAX_REFUSED = 64
_REFUSED_LINGER = 2.0
_OPTIONS_EXTRA = b"Allow: POST, OPTIONS\r\nAccess-Control-Allow-Headers: Content-Type\r\n"
_HEAD_200 = (b"HTTP/1.1 200 OK\r\nServer: fisco-drugtrace-devchain\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\nAccess-Control-Allow-Origin: *\r\n\r\n")


def _head(status: int, length: int, keep: bool, extra: bytes = b"") -> bytes:
    if status == 200 and keep and not extra:
        return _HEAD_200 % length
    head = (f"HTTP/1.1 {status} {_REASONS[status]}\r\nServer: fisco-drugtrace-devchain\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n"
            "Access-Control-Allow-Origin: *\r\n").encode()
    if not keep:
        head += b"Connection: close\r\n"
    return head + extra + b"\r\n"


def _error(req_id: Any, code: int, message: str) -> bytes:
    return orjson.dumps({"jsonrpc": "2.0", "id": req_id, "error": {"code": code, "message": message}})


def _error_of(req_id: Any, exc: BaseException) -> bytes:
    return orjson.dumps(V3Envelope.error_of(req_id, exc))


class _Conn:
    """One client connection's state."""

    __slots__ = ("sock", "buf", "out", "phase", "since", "busy", "eof", "close_after", "closed", "writing",
                 "paused")

    def __init__(self, sock: socket.socket, now: float) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.out: list[bytes] = []
        self.phase = "idle"  # idle | reading | busy (as conncap's phases)
        self.since = now
        self.busy = False  # a request is being answered: the next one waits (answers stay in order)
        self.eof = False  # the client sent FIN
        self.close_after = False  # close once ``out`` is written
        self.closed = False
        self.writing = False  # registered for EVENT_WRITE (``out`` did not fit in the socket)
        self.paused = False  # not read while busy with this much buffered (as a thread that does not read)


class _TlsConn(_Conn):
    """A TLS connection: also where its handshake is and what a blocked read or write waits for."""

    __slots__ = ("shaking", "shake_events", "read_wants_write", "write_wants_read")

    def __init__(self, sock: ssl.SSLSocket, now: float) -> None:
        super().__init__(sock, now)
        self.shaking = True  # the handshake is not done: no request is read yet
        self.shake_events = _READ  # what the handshake waits for (the ClientHello first)
        self.read_wants_write = False  # a read hit SSLWantWriteError (renegotiation): retried on WRITE
        self.write_wants_read = False  # a write hit SSLWantReadError: retried on READ


class _Request:
    """A parsed request: what to do with it."""

    __slots__ = ("kind", "status", "message", "keep", "body", "headers")

    def __init__(self, kind: str, keep: bool = False, status: int = 0, message: str = "", body: bytes = b"",
                 headers: dict[bytes, bytes] | None = None) -> None:
        self.kind = kind  # "error" | "options" | "not-post" | "ws" | "post" | "gone"
        self.keep = keep
        self.status = status
        self.message = message
        self.body = body
        self.headers = headers


def _line(buf: bytearray, pos: int, eof: bool) -> tuple[bytes | None, int]:
    """The next line as ``readline(_MAX_LINE + 1)`` would return it: ``(None, pos)`` when it has not
    all arrived yet; at EOF the partial rest (``b""`` when nothing is left)."""
    nl = buf.find(b"\n", pos, pos + _MAX_LINE + 1)
    if nl >= 0:
        return bytes(buf[pos:nl + 1]), nl + 1
    if len(buf) - pos > _MAX_LINE:
        return bytes(buf[pos:pos + _MAX_LINE + 1]), pos + _MAX_LINE + 1
    if eof:
        return bytes(buf[pos:]), len(buf)
    return None, pos


def parse_request(buf: bytearray, eof: bool) -> tuple[_Request | None, int, bool]:
    """Parse one request from the front of ``buf`` as :mod:`.server`'s handler reads one.

    Returns ``(request, consumed, started)``: ``request`` is ``None`` while incomplete (``started``
    says whether its request line is in, for the deadline); ``consumed`` bytes belong to it."""
    pos = 0
    while True:
        line, after = _line(buf, pos, eof)
        if line is None:
            return None, 0, False
        if line in (b"\r\n", b"\n"):
            pos = after
            continue
        break
    if not line:
        return _Request("gone"), after, True
    parts = line.split()
    if len(parts) != 3 or len(line) > _MAX_LINE or not parts[2].startswith(b"HTTP/1."):
        return _Request("error", status=400, message="malformed HTTP request line"), after, True
    method, version = parts[0], parts[2]
    headers: dict[bytes, bytes] = {}
    pos = after
    while True:
        raw, after = _line(buf, pos, eof)
        if raw is None:
            return None, 0, True
        pos = after
        if raw in (b"\r\n", b"\n", b""):
            break
        if len(headers) >= _MAX_HEADERS or len(raw) > _MAX_LINE:
            return _Request("error", status=431, message="too many or too long headers"), pos, True
        name, _, value = raw.partition(b":")
        headers[name.strip().lower()] = value.strip()
    connection = headers.get(b"connection", b"").lower()
    keep = connection != b"close" if version == b"HTTP/1.1" else connection == b"keep-alive"
    if method == b"OPTIONS":
        return _Request("options", keep), pos, True
    if method == b"GET" and headers.get(b"upgrade", b"").lower() == b"websocket":
        return _Request("ws", headers=headers), pos, True
    if method != b"POST":
        return _Request("not-post", keep), pos, True
    length_text = headers.get(b"content-length", b"")
    if not length_text.isdigit() or b"transfer-encoding" in headers:
        return _Request("error", status=411, message="Content-Length required"), pos, True
    length = int(length_text)
    if length > MAX_BODY:
        return _Request("error", status=413, message=f"request body larger than {MAX_BODY} bytes"), pos, True
    if len(buf) - pos < length:
        if eof:
            return _Request("gone"), len(buf), True
        return None, 0, True
    return _Request("post", keep, body=bytes(buf[pos:pos + length])), pos + length, True


class _Loop:
    """The serving thread's state (see the module docstring)."""

    def __init__(self, devchain: Any, listener: socket.socket, max_connections: int, idle_timeout: float,
                 request_deadline: float, linger: float = LINGER) -> None:
        if max_connections < 1:
            raise ValueError("at least one connection must be allowed")
        self.devchain = devchain
        self.chain = devchain.chain
        self.v3 = devchain.config.dialect.value == "v3"
        self.listener = listener
        self.limit = max_connections
        self.idle_timeout = idle_timeout
        self.request_deadline = request_deadline
        self.sel = selectors.DefaultSelector()
        self.conns: dict[int, _Conn] = {}
        self.refused: dict[socket.socket, float] = {}  # answered 503, read until closed or this deadline
        self.sessions = 0  # WebSocket connections, each served by a thread of its own
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.done: deque[tuple[_Conn, bytes, bool]] = deque()  # answers from the workers
        self.held: list[_Send] = []  # sends waiting for their block: conn, id, waiter, proof
        self.ready: list[_Conn] = []  # connections whose buffer may hold a complete request
        self.workers = ThreadPoolExecutor(max_workers=max(4, max_connections), thread_name_prefix="devchain-http")
        self.stopping = False
        self._lock = threading.Lock()  # sessions count (WebSocket threads end on their own)
        self._next_sweep = 0.0
        self.linger = linger
        self._expect = 1  # sends in the last round: how many the next one waits for (up to LINGER)

    # ------------------------------------------------------------------ the loop
    def run(self) -> None:
        sel = self.sel
        sel.register(self.listener, _READ, None)
        sel.register(self._wake_r, _READ, self._wake_r)
        try:
            while not self.stopping:
                try:
                    self._turn()
                except Exception:  # noqa: BLE001 - a bug in one turn must not end the serving
                    time.sleep(0.001)
        finally:
            self._shutdown()

    def _turn(self) -> None:
        if self.ready:
            timeout: float | None = 0
        elif self.held:
            timeout = _HELD_POLL
        else:
            timeout = 0.25
        now = self._events(self.sel.select(timeout))
        while self.done:
            conn, body, keep = self.done.popleft()
            self._answer(conn, 200, body, keep)
        sends = self._parse_ready(now)
        if sends and len(sends) < self._expect and self.linger > 0:
            # group commit: the senders of the last round are on their way; a round of all of them
            # shares one block (one commit) instead of two or three
            deadline = now + self.linger
            while len(sends) < self._expect:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                now = self._events(self.sel.select(left))
                sends += self._parse_ready(now)
        if sends:
            self._expect = len(sends)
            self._round(sends)
        if self.held:
            self._held()
        if now >= self._next_sweep:
            self._sweep(now)
            self._next_sweep = now + max(0.05, min(1.0, self.request_deadline / 4, self.idle_timeout / 4))

    def _events(self, events: list) -> float:
        """Act on what the selector reported (accept, read, write); returns the time now."""
        now = time.monotonic()
        for key, mask in events:
            data = key.data
            if data is None:
                self._accept(now)
            elif data is self._wake_r:
                try:
                    while self._wake_r.recv(4096):
                        pass
                except (BlockingIOError, InterruptedError):
                    pass
            elif type(data) is socket.socket:
                self._drop_refused(data)
            else:
                if mask & _WRITE:
                    self._flush(data)
                if mask & _READ:
                    self._read(data)
        return now

    def _accept(self, now: float) -> None:
        for _ in range(64):
            try:
                sock, _addr = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            if len(self.conns) + self.sessions >= self.limit and not self._make_room():
                self._refuse(sock, now)
                continue
            self._admit(sock, now)

    def _admit(self, sock: socket.socket, now: float) -> None:
        """Serve an accepted connection (within the cap)."""
        conn = _Conn(sock, now)
        self.conns[sock.fileno()] = conn
        self.sel.register(sock, _READ, conn)

    def _refuse(self, sock: socket.socket, now: float) -> None:
        """At the cap with nothing idle to close: answer 503 and close, without waiting for the
        request. What the client still sends is read and dropped for a moment (a close with
        unread bytes would reset the connection before the client read the 503)."""
        try:
            body = _error_body(-32603, "too many connections")
            sock.send(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                      b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        if len(self.refused) >= _MAX_REFUSED:
            sock.close()
            return
        self.refused[sock] = now + _REFUSED_LINGER
        self.sel.register(sock, _READ, sock)

    def _drop_refused(self, sock: socket.socket) -> None:
        try:
            if sock.recv(65536):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._close_refused(sock)

    def _close_refused(self, sock: socket.socket) -> None:
        self.refused.pop(sock, None)
        try:
            self.sel.unregister(sock)
        except (KeyError, ValueError):
            pass
        sock.close()

    def _make_room(self) -> bool:
        """At the cap: close the longest-idle keep-alive connection (False: none is idle)."""
        idle = [c for c in self.conns.values() if c.phase == "idle" and not c.busy]
        if not idle:
            return False
        self._close(min(idle, key=lambda c: c.since))
        return True

    def _read(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(262144)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(conn)
            return
        if data:
            conn.buf += data
            if conn.busy and len(conn.buf) >= _READ_AHEAD:
                # what a client sends while its request is answered waits in the kernel, as with a
                # thread per connection (which does not read then): no unbounded buffer here
                conn.paused = True
                self._interest(conn)
        else:
            conn.eof = True
            self._interest(conn)
        if not conn.busy:
            self.ready.append(conn)

    # ------------------------------------------------------------------ requests
    def _parse_ready(self, now: float) -> list[_Send]:
        """Parse one request from each ready connection; returns the fast-path sends among them."""
        sends: list[_Send] = []
        ready, self.ready = self.ready, []
        for conn in ready:
            if conn.closed or conn.busy:
                continue
            try:
                request, used, started = parse_request(conn.buf, conn.eof)
            except Exception:  # noqa: BLE001 - never expected: drop only this connection
                self._close(conn)
                continue
            if request is None:
                if conn.eof:
                    self._close(conn)
                elif started and conn.phase == "idle":
                    conn.phase, conn.since = "reading", now
                continue
            del conn.buf[:used]
            try:
                send = self._dispatch(conn, request, now)
            except Exception as exc:  # noqa: BLE001 - an answer, and the connection goes on
                conn.busy = True
                self._answer(conn, 200, _error(None, -32603, f"Internal error: {type(exc).__name__}: {exc}"),
                             request.keep)
                continue
            if send is not None:
                sends.append(send)
        return sends

    def _dispatch(self, conn: _Conn, request: _Request, now: float) -> _Send | None:
        kind = request.kind
        if kind == "gone":
            self._close(conn)
            return None
        conn.busy = True
        conn.phase, conn.since = "busy", now
        if kind == "error":
            self._answer(conn, request.status, _error_body(-32600, request.message), False)
        elif kind == "options":
            self._answer(conn, 204, b"", request.keep, _OPTIONS_EXTRA)
        elif kind == "not-post":
            self._answer(conn, 405, _error_body(-32600, "JSON-RPC requests are POSTed"), request.keep)
        elif kind == "ws":
            self._websocket(conn, request)
        else:
            return self._post(conn, request)
        return None

    def _post(self, conn: _Conn, request: _Request) -> _Send | None:
        body, keep = request.body, request.keep
        if self.v3:
            try:
                message = orjson.loads(body)
            except orjson.JSONDecodeError:
                message = None
            if (type(message) is dict and message.get("method") == "sendTransaction"
                    and type(message.get("id")) is int and type(message.get("params")) is list
                    and type(message.get("jsonrpc")) is str):
                params = message["params"]
                proof = params[3] if len(params) > 3 else False
                if proof is None or type(proof) is bool:  # anything else: the envelope's own answer
                    req_id = message["id"]
                    try:
                        raw = self.devchain.methods._send_params(params)
                    except Exception as exc:  # noqa: BLE001 - worded as the envelope words it
                        self._answer(conn, 200, _error_of(req_id, exc), keep)
                        return None
                    return conn, req_id, self.chain.make_waiter(raw), keep, bool(proof)
        self.workers.submit(self._work, conn, body, keep)
        return None

    def _work(self, conn: _Conn, body: bytes, keep: bool) -> None:
        """In a worker thread: the in-process answer, handed back to the loop."""
        try:
            answer = self.devchain.handle_raw(body)
        except Exception as exc:  # noqa: BLE001 - handle_raw answers errors itself; this is a bug
            answer = _error(None, -32603, f"Internal error: {type(exc).__name__}: {exc}")
        self.done.append((conn, answer, keep))
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _round(self, sends: list[_Send]) -> None:
        try:
            self.chain.run_round([s[2] for s in sends])
        except Exception as exc:  # noqa: BLE001 - closed/stopped (DevChainError) or a bug: all hear why
            unfinished = [s for s in sends if s[2].receipt is None and s[2].error is None]
            for conn, req_id, _, keep, _ in unfinished:
                self._answer(conn, 200, _error_of(req_id, exc), keep)
            sends = [s for s in sends if s[2].receipt is not None or s[2].error is not None]
        self._finish(sends)

    def _finish(self, sends: list[_Send]) -> None:
        receipt_json = self.devchain.methods.receipt_json
        dumps = orjson.dumps
        for item in sends:
            conn, req_id, waiter, keep, proof = item
            if waiter.error is not None:
                self._answer(conn, 200, _error_of(req_id, waiter.error), keep)
            elif waiter.receipt is not None:
                try:
                    result = receipt_json(waiter.receipt, waiter.tx)
                    if proof:
                        result.update(txReceiptProof=[], receiptProof=[])
                    answer = dumps({"jsonrpc": "2.0", "id": req_id, "result": result})
                except Exception as exc:  # noqa: BLE001 - as the envelope answers a handler's bug
                    answer = _error(req_id, -32603, f"Internal error: {type(exc).__name__}: {exc}")
                self._answer(conn, 200, answer, keep)
            else:
                self.held.append(item)

    def _held(self) -> None:
        held, self.held = self.held, []
        self._finish([h for h in held if not h[0].closed])

    # ------------------------------------------------------------------ answers
    def _answer(self, conn: _Conn, status: int, body: bytes, keep: bool, extra: bytes = b"") -> None:
        if conn.closed:
            return
        conn.out.append(_head(status, len(body), keep, extra) + body)
        conn.busy = False
        conn.phase, conn.since = "idle", time.monotonic()
        if not keep:
            conn.close_after = True
        if conn.paused:
            conn.paused = False
            self._interest(conn)
        self._flush(conn)
        if not conn.closed and not conn.close_after and (conn.buf or conn.eof):
            self.ready.append(conn)  # a pipelined request, or the client has gone

    def _flush(self, conn: _Conn) -> None:
        if conn.closed:
            return
        data = conn.out[0] if len(conn.out) == 1 else b"".join(conn.out)
        conn.out.clear()
        if data:
            try:
                sent = conn.sock.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._close(conn)
                return
            if sent < len(data):
                conn.out.append(data[sent:])
        if conn.out:
            if not conn.writing:
                conn.writing = True
                self._interest(conn)
            return
        if conn.writing:
            conn.writing = False
            self._interest(conn)
        if conn.close_after:
            self._close(conn)

    def _interest(self, conn: _Conn) -> None:
        # not read while an answer is still being written or while paused (backpressure)
        reading = not (conn.eof or conn.paused or conn.writing)
        self._arm(conn, (_READ if reading else 0) | (_WRITE if conn.writing else 0))

    def _arm(self, conn: _Conn, events: int) -> None:
        """Wait for ``events`` on the connection's socket (none: not watched at all)."""
        try:
            if events:
                self.sel.modify(conn.sock, events, conn)
            else:
                self.sel.unregister(conn.sock)
        except (KeyError, ValueError):
            if events:
                self.sel.register(conn.sock, events, conn)

    def _close(self, conn: _Conn) -> None:
        if conn.closed:
            return
        conn.closed = True
        self.conns.pop(conn.sock.fileno(), None)
        try:
            self.sel.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        try:
            conn.sock.shutdown(socket.SHUT_WR)  # as socketserver closes: the answer leaves before the FIN
        except OSError:
            pass
        try:
            conn.sock.close()
        except OSError:
            pass

    def _sweep(self, now: float) -> None:
        """Close connections idle past ``idle_timeout`` and requests not whole by ``request_deadline``."""
        for sock in [s for s, deadline in self.refused.items() if now >= deadline]:
            self._close_refused(sock)
        for conn in list(self.conns.values()):
            if conn.busy:
                continue
            if ((conn.phase == "idle" and now - conn.since > self.idle_timeout)
                    or (conn.phase == "reading" and now - conn.since > self.request_deadline)):
                self._close(conn)

    # ------------------------------------------------------------------ WebSocket
    def _websocket(self, conn: _Conn, request: _Request) -> None:
        """Hand the connection to a thread of its own (a long-lived session, blocking I/O)."""
        from .ws_server import serve_websocket  # the 3.x WebSocket dialect on the same port

        sock = conn.sock
        early = bytes(conn.buf)  # what the client sent after the upgrade request
        conn.closed = True
        self.conns.pop(sock.fileno(), None)
        try:
            self.sel.unregister(sock)
        except (KeyError, ValueError):
            pass
        with self._lock:
            self.sessions += 1

        def session() -> None:
            try:
                sock.setblocking(True)
                with sock.makefile("wb") as wfile:
                    serve_websocket(self.devchain, sock, io.BytesIO(early), wfile, request.headers or {})
            except Exception:  # noqa: BLE001 - a dropped session is the client's business
                pass
            finally:
                with self._lock:
                    self.sessions -= 1
                try:
                    sock.close()
                except OSError:
                    pass

        threading.Thread(target=session, name="devchain-ws", daemon=True).start()

    # ------------------------------------------------------------------ stop
    def wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _shutdown(self) -> None:
        for conn in list(self.conns.values()):
            self._close(conn)
        for sock in list(self.refused):
            self._close_refused(sock)
        self.held.clear()
        try:
            self.sel.close()
        except OSError:
            pass
        self.listener.close()
        self.workers.shutdown(wait=False)
        self._wake_r.close()


class _TlsLoop(_Loop):
    """The loop serving mutual TLS: each connection shakes hands first, then reads and writes
    through its :class:`ssl.SSLSocket`, whose non-blocking calls may want the other event."""

    def __init__(self, devchain: Any, listener: socket.socket, max_connections: int, idle_timeout: float,
                 request_deadline: float, linger: float, context: ssl.SSLContext) -> None:
        super().__init__(devchain, listener, max_connections, idle_timeout, request_deadline, linger)
        self.context = context
        #: connections whose SSL object holds decrypted bytes no socket event will announce
        self.unread: list[_TlsConn] = []

    def _events(self, events: list) -> float:
        plain = []
        for key, mask in events:
            data = key.data
            if type(data) is _TlsConn:
                self._tls_event(data, mask)
            else:
                plain.append((key, mask))
        now = super()._events(plain)
        while self.unread:
            unread, self.unread = self.unread, []
            for conn in unread:
                if not conn.closed:
                    self._read(conn)
        return now

    def _tls_event(self, conn: _TlsConn, mask: int) -> None:
        if conn.shaking:
            self._handshake(conn)
            return
        if mask & _WRITE:
            if conn.read_wants_write:
                self._read(conn)
            if conn.writing and not conn.write_wants_read:
                self._flush(conn)
        if mask & _READ and not conn.closed:
            if conn.write_wants_read:
                self._flush(conn)
            elif not (conn.writing or conn.paused or conn.eof):
                self._read(conn)

    def _admit(self, sock: socket.socket, now: float) -> None:
        try:
            tls_sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        except (OSError, ValueError):
            sock.close()
            return
        conn = _TlsConn(tls_sock, now)
        self.conns[tls_sock.fileno()] = conn
        self.sel.register(tls_sock, _READ, conn)

    def _refuse(self, sock: socket.socket, now: float) -> None:
        """At the cap with nothing idle: closed before the handshake, as the threaded front does."""
        sock.close()

    def _handshake(self, conn: _TlsConn) -> None:
        """One step of the handshake; refused (no or a wrong client certificate) or broken: closed."""
        try:
            conn.sock.do_handshake()  # type: ignore[attr-defined]
        except ssl.SSLWantReadError:
            wants = _READ
        except ssl.SSLWantWriteError:
            wants = _WRITE
        except (OSError, ValueError):
            self._close(conn)
            return
        else:
            conn.shaking = False  # still idle since its accept: the first request line is due in time
            self._interest(conn)
            self._read(conn)  # the first request may have come with the client's last flight
            return
        if wants != conn.shake_events:
            conn.shake_events = wants
            self._interest(conn)

    def _read(self, conn: _TlsConn) -> None:  # type: ignore[override]
        """Read what the SSL object gives until it wants more from the socket: bytes it already
        decrypted raise no socket event, so stopping early would stall the connection."""
        sock: ssl.SSLSocket = conn.sock  # type: ignore[assignment]
        was_writing_wait = conn.read_wants_write
        conn.read_wants_write = False
        got = 0
        try:
            while True:
                data = sock.recv(262144)
                if not data:
                    conn.eof = True
                    break
                conn.buf += data
                got += len(data)
                if conn.busy and len(conn.buf) >= _READ_AHEAD:
                    conn.paused = True  # as on the plain path; what is left is read when answered
                    break
                if got >= _READ_AHEAD and not sock.pending():
                    break  # the kernel's bytes wait for the next turn: others are served meanwhile
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLWantWriteError:
            conn.read_wants_write = True
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            conn.eof = True
        except (OSError, ValueError):
            self._close(conn)
            return
        if conn.paused or conn.eof or conn.read_wants_write != was_writing_wait:
            self._interest(conn)
        if (got or conn.eof) and not conn.busy:
            self.ready.append(conn)

    def _flush(self, conn: _TlsConn) -> None:  # type: ignore[override]
        if conn.closed:
            return
        was_waiting = conn.writing, conn.write_wants_read
        conn.write_wants_read = False
        data = conn.out[0] if len(conn.out) == 1 else b"".join(conn.out)
        conn.out.clear()
        if data:
            try:
                sent = conn.sock.send(data)
            except (ssl.SSLWantWriteError, BlockingIOError, InterruptedError):
                sent = 0
            except ssl.SSLWantReadError:
                sent = 0
                conn.write_wants_read = True
            except (OSError, ValueError):
                self._close(conn)
                return
            if sent < len(data):
                # the same bytes go again (OpenSSL's moving-buffer mode lets the copy move)
                conn.out.append(data[sent:])
        if conn.out:
            conn.writing = True
            if (True, conn.write_wants_read) != was_waiting:  # one selector call per change, not per send
                self._interest(conn)
            return
        if conn.writing:
            conn.writing = False
            self._interest(conn)
        if conn.close_after:
            self._close(conn)

    def _interest(self, conn: _TlsConn) -> None:  # type: ignore[override]
        if conn.closed:
            return
        if conn.shaking:
            events = conn.shake_events
        else:
            reading = not (conn.eof or conn.paused or conn.writing)
            events = ((_READ if reading or conn.write_wants_read else 0)
                      | (_WRITE if conn.writing or conn.read_wants_write else 0))
            if reading and not conn.read_wants_write and conn.sock.pending():  # type: ignore[attr-defined]
                self.unread.append(conn)  # read again: no socket event says so
                self.wake()
        self._arm(conn, events)


def serve_loop(devchain: Any, host: str = "127.0.0.1", port: int = 0, *, max_connections: int = MAX_CONNECTIONS,
               idle_timeout: float = IDLE_TIMEOUT, request_deadline: float = REQUEST_DEADLINE,
               linger: float = LINGER, tls: ServerTls | None = None) -> ServerHandle:
    """Serve ``devchain`` with one event-loop thread (see the module docstring), over plain HTTP
    or, with ``tls``, mutual-TLS HTTPS.

    :param max_connections: connections served at once; see :mod:`.conncap`.
    :param idle_timeout: seconds a keep-alive connection may wait for its next request.
    :param request_deadline: seconds from a request line to the end of its body.
    :param linger: longest a round waits for as many sends as the last one had (s).
    :param tls: the node's certificate, key and the CA its clients' certificates must be signed by.
    """
    context = tls.context() if tls is not None else None  # a bad certificate fails before the port opens
    listener = socket.create_server((host, port), backlog=128)
    listener.setblocking(False)
    try:
        if context is None:
            loop = _Loop(devchain, listener, max_connections, idle_timeout, request_deadline, linger)
        else:
            loop = _TlsLoop(devchain, listener, max_connections, idle_timeout, request_deadline, linger, context)
    except BaseException:
        listener.close()
        raise
    bound_host, bound_port = listener.getsockname()[:2]
    thread = threading.Thread(target=loop.run, name="devchain-http-loop", daemon=True)
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        loop.stopping = True
        loop.wake()
        thread.join(timeout=10)
        loop._wake_w.close()

    shown = host if host not in ("0.0.0.0", "") else "127.0.0.1"
    scheme = "https" if context is not None else "http"
    return ServerHandle(f"{scheme}://{shown}:{bound_port}", str(bound_host), int(bound_port), stop)
