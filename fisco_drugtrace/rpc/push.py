"""What the two push transports (3.x WebSocket :mod:`.ws`, 2.x channel :mod:`.channel`) share:
one persistent connection with a reader thread, requests matched to answers by seq, heartbeats,
reconnection with back-off, and event subscriptions that are sent again after a reconnect.

A push transport is also a :class:`~fisco_drugtrace.rpc.transport.Transport` (``send`` carries a
JSON-RPC body), so every client method works over it unchanged.

Re-subscription: each :class:`PushSubscription` carries ``resume_block``, a callable the layer
above (``client.subscribe``) answers with the block to start from after a reconnect (the block it
last delivered from; it drops the events of that block it already delivered). The transport only
sends the subscription again with that ``fromBlock`` — what the C SDK does with
``currentBlockNumber + 1`` (FISCO-BCOS ``bcos-sdk/bcos-cpp-sdk/event/EventSubRequest.cpp``
``generateJson``; node side ``bcos-rpc/bcos-rpc/event/EventSubRequest.cpp``).
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence
from urllib.parse import urlparse

from fisco_drugtrace.errors import ConfigError, ConnectError, FrameError, RequestTimeout, TlsError, TransportError
from fisco_drugtrace.duplex import DuplexSocket
from fisco_drugtrace.rpc.transport import TlsFiles, build_ssl_context
from fisco_drugtrace.types import Address, Log, TxHash

__all__ = ["PushTransport", "PushSubscription", "Incoming", "log_from_push", "HEARTBEAT_INTERVAL"]

#: Seconds between heartbeats; a connection silent for three of them is treated as dead.
HEARTBEAT_INTERVAL = 5.0
#: First and longest pause between reconnection attempts (s).
_FIRST_BACKOFF, _MAX_BACKOFF = 0.05, 5.0


def _int(value: Any) -> int:
    """Node integers: JSON numbers (3.x), decimal strings (2.x blockNumber) or hex strings."""
    if isinstance(value, bool):
        raise ValueError(f"not an integer: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text, 16) if text[:2].lower() == "0x" else int(text, 10)


def _bytes(value: Any) -> bytes:
    text = str(value or "")
    return bytes.fromhex(text[2:] if text[:2].lower() == "0x" else text)


def log_from_push(obj: dict[str, Any]) -> Log:
    """One pushed log object (3.x ``EventSubMatcher`` or 2.x ``EventLogFilter`` shape) as a :class:`Log`.

    :raises FrameError: a field is missing or not what it should be.
    """
    try:
        address = str(obj["address"]).lower()
        if not address.startswith("0x"):
            address = "0x" + address
        return Log(
            address=Address(address),
            topics=tuple(_bytes(t) for t in obj.get("topics") or ()),
            data=_bytes(obj.get("data")),
            block_number=_int(obj["blockNumber"]),
            transaction_hash=TxHash(str(obj["transactionHash"]).lower()),
            log_index=_int(obj.get("logIndex", 0)),
            transaction_index=_int(obj.get("transactionIndex", 0)),
            block_hash=obj.get("blockHash"),
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise FrameError(f"pushed log is malformed: {exc}") from exc


@dataclass
class Incoming:
    """One decoded message from the node: ``is_answer`` when it answers a request of ours."""

    type: int
    seq: bytes
    payload: bytes
    status: int = 0
    is_answer: bool = False


@dataclass(eq=False)
class PushSubscription:
    """An event subscription held by a push transport.

    :param on_logs: called (in the transport's reader thread) with one push's logs, in order.
    :param on_end: called once with ``None`` (``toBlock`` reached) or the error that ended it.
    :param resume_block: the block to restart from after a reconnect (``None``: the original
        ``from_block``).
    """

    addresses: tuple[str, ...]
    topics: tuple[Any, ...]
    from_block: int
    to_block: int
    on_logs: Callable[[list[Log]], None]
    on_end: Callable[[BaseException | None], None]
    resume_block: Callable[[], int | None] = lambda: None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    active: bool = True

    def start_block(self) -> int:
        """The ``fromBlock`` to send. Never below 1: nodes read ``fromBlock < 1`` as "the head"
        (``EventSub::executeEventSubTask``), and the genesis block holds no logs."""
        resume = self.resume_block()
        return max(self.from_block if resume is None else resume, 1)


class _Pending:
    __slots__ = ("done", "reply", "error", "callback")

    def __init__(self, callback: Callable[[Incoming | None, BaseException | None], None] | None = None) -> None:
        self.done = threading.Event()
        self.reply: Incoming | None = None
        self.error: BaseException | None = None
        self.callback = callback

    def finish(self, reply: Incoming | None, error: BaseException | None) -> None:
        self.reply, self.error = reply, error
        self.done.set()
        if self.callback is not None:
            self.callback(reply, error)


class PushTransport(ABC):
    """A persistent node connection (see the module docstring). Thread-safe.

    :param url: ``ws://``/``wss://`` (3.x) or ``channel://``/``channels://`` (2.x) ``host:port``;
        several URLs (nodes of one group) are tried in turn, on connect and on every reconnect.
    :param tls: the SDK certificates (``wss``/``channels``, or any URL when given).
    :param timeout: default seconds to wait for an answer.
    :param heartbeat: seconds between heartbeats.
    """

    schemes: tuple[str, ...] = ()
    secure_schemes: tuple[str, ...] = ()

    def __init__(self, url: str | Sequence[str], tls: TlsFiles | None = None, timeout: float = 30.0,
                 heartbeat: float = HEARTBEAT_INTERVAL) -> None:
        urls = [url] if isinstance(url, str) else list(url)
        if not urls:
            raise ConfigError("a push transport needs at least one node URL")
        self._nodes: list[tuple[str, str, int]] = []
        self.tls = tls
        self._ssl = build_ssl_context(tls) if tls is not None else None
        for one in urls:
            parsed = urlparse(one)
            if parsed.scheme not in self.schemes + self.secure_schemes or not parsed.hostname or not parsed.port:
                wanted = " or ".join(f"{s}://host:port" for s in self.schemes + self.secure_schemes)
                raise ConfigError(f"node URL must be {wanted}, got {one!r}")
            if parsed.scheme in self.secure_schemes and self._ssl is None:
                raise ConfigError(f"{one}: a TLS URL needs the SDK certificates (tls = ...)")
            self._nodes.append((one, parsed.hostname, parsed.port))
        self._node = 0
        self.url, self.host, self.port = self._nodes[0]  #: the node in use (or tried last)
        self.timeout = timeout
        self.heartbeat = heartbeat
        self.block_number = -1  #: the newest block the node announced
        self.reconnects = 0  #: how many times the connection was re-established
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._sock: DuplexSocket | None = None
        self._connected = threading.Event()
        self._closed = threading.Event()
        self._started = False
        self._pending: dict[bytes, _Pending] = {}
        self._subs: dict[str, PushSubscription] = {}
        self._last_rx = time.monotonic()
        self._block_listeners: list[Callable[[int], None]] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r}, tls={'on' if self._ssl else 'off'})"

    # ------------------------------------------------------------------ dialect hooks
    @abstractmethod
    def _handshake(self, sock: socket.socket) -> Any:
        """Upgrade/greet on a fresh socket, synchronously; returns the reader state for :meth:`_messages`."""

    @abstractmethod
    def _messages(self, sock: DuplexSocket, state: Any) -> Iterator[Incoming]:
        """Decoded messages from the node until the connection ends."""

    @abstractmethod
    def _encode(self, ptype: int, seq: bytes, payload: bytes) -> bytes:
        """One request's bytes on the wire."""

    @abstractmethod
    def _heartbeat_bytes(self) -> bytes:
        """A heartbeat's bytes on the wire."""

    @abstractmethod
    def _rpc_type(self) -> int: ...

    @abstractmethod
    def _subscribe_request(self, sub: PushSubscription) -> tuple[int, bytes]:
        """``(type, payload)`` that subscribes ``sub`` from :meth:`PushSubscription.start_block`."""

    @abstractmethod
    def _unsubscribe_request(self, sub: PushSubscription) -> tuple[int, bytes]: ...

    @abstractmethod
    def _subscribe_status(self, reply: Incoming) -> int:
        """The node's status code in its answer to a subscribe request (0 = accepted)."""

    @abstractmethod
    def _on_push(self, msg: Incoming) -> None:
        """A message that answers nothing of ours: block notify, event push, ..."""

    # ------------------------------------------------------------------ connection
    def _open_socket(self) -> socket.socket:
        try:
            raw = socket.create_connection((self.host, self.port), timeout=min(self.timeout, 10.0))
        except socket.timeout as exc:
            raise ConnectError(f"cannot connect to {self.url}: timed out", url=self.url) from exc
        except OSError as exc:
            raise ConnectError(f"cannot connect to {self.url}: {exc.strerror or exc}", url=self.url) from exc
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._ssl is None:
            return raw
        try:
            return self._ssl.wrap_socket(raw, server_hostname=None)
        except (ssl.SSLError, OSError) as exc:
            raw.close()
            raise TlsError(f"TLS handshake with {self.url} failed: {exc}", url=self.url) from exc

    def _connect_once(self) -> Any:
        """Connect to the node in use, else to the next ones in turn (failover): the first that
        completes the handshake becomes the node in use."""
        last: TransportError | None = None
        for step in range(len(self._nodes)):
            index = (self._node + step) % len(self._nodes)
            self.url, self.host, self.port = self._nodes[index]
            try:
                state = self._connect_node()
            except TransportError as exc:
                last = exc
                continue
            self._node = index
            return state
        assert last is not None
        if len(self._nodes) > 1:
            raise ConnectError(f"no node reachable (tried {', '.join(n[0] for n in self._nodes)}): {last}",
                               url=self.url) from last
        raise last

    def _connect_node(self) -> Any:
        sock = self._open_socket()
        try:
            sock.settimeout(min(self.timeout, 10.0))
            state = self._handshake(sock)
            sock.settimeout(None)
        except (OSError, FrameError, ValueError) as exc:
            sock.close()
            raise ConnectError(f"{self.url}: handshake failed: {exc}", url=self.url) from exc
        except BaseException:
            sock.close()
            raise
        self._sock = DuplexSocket(sock)  # from here a reader thread and writers share it (TLS-safe)
        self._last_rx = time.monotonic()
        self._connected.set()
        return state

    def _ensure(self) -> None:
        if self._closed.is_set():
            raise ConnectError(f"{self.url}: transport closed", url=self.url)
        with self._lock:
            if not self._started:
                state = self._connect_once()
                self._started = True
                threading.Thread(target=self._run, args=(state,), name="fisco-push-reader", daemon=True).start()
                threading.Thread(target=self._beat, name="fisco-push-heartbeat", daemon=True).start()
        if not self._connected.wait(self.timeout):
            raise ConnectError(f"{self.url}: not connected (reconnecting)", url=self.url)

    def _run(self, state: Any) -> None:
        while not self._closed.is_set():
            sock = self._sock
            try:
                assert sock is not None
                for msg in self._messages(sock, state):
                    self._last_rx = time.monotonic()
                    self._dispatch(msg)
            except (OSError, FrameError, ValueError, TransportError):
                pass  # the connection is unusable: drop it and reconnect
            self._drop()
            state = self._reconnect()
            if state is None:
                return
            self._resubscribe()

    def _reconnect(self) -> Any:
        delay = _FIRST_BACKOFF
        while not self._closed.is_set():
            try:
                state = self._connect_once()
            except TransportError:
                self._closed.wait(delay)
                delay = min(delay * 2, _MAX_BACKOFF)
                continue
            self.reconnects += 1
            return state
        return None

    def _drop(self) -> None:
        self._connected.clear()
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a reader blocked in recv (close alone may not)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
        error = ConnectError(f"connection to {self.url} lost", url=self.url)
        for waiter in pending:
            waiter.finish(None, error)

    def _beat(self) -> None:
        while not self._closed.wait(self.heartbeat):
            if not self._connected.is_set():
                continue
            if time.monotonic() - self._last_rx > 3 * self.heartbeat:
                sock = self._sock  # silent for three heartbeats: make the reader reconnect
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                continue
            try:
                self._write(self._heartbeat_bytes)
            except TransportError:
                pass

    def _write(self, make: Callable[[], bytes], sock: socket.socket | DuplexSocket | None = None) -> None:
        """Frame (``make()``) and send under one lock: frames never interleave, and a framing
        library's state is only touched by one thread at a time."""
        sock = sock or self._sock
        if sock is None:
            raise ConnectError(f"{self.url}: not connected", url=self.url)
        try:
            with self._write_lock:
                sock.sendall(make())
        except (OSError, RuntimeError) as exc:
            raise ConnectError(f"sending to {self.url} failed: {exc}", url=self.url) from exc

    def _dispatch(self, msg: Incoming) -> None:
        # Answers are matched by seq alone: a node's session only checks the RESPONSE flag when
        # told to (bcos-boostssl WsSession::getAndRemoveRespCallback, m_needCheckRspPacket is
        # false by default), and its own pushes carry fresh seqs.
        with self._lock:
            waiter = self._pending.pop(msg.seq, None)
        if waiter is not None:
            waiter.finish(msg, None)
            return
        self._on_push(msg)

    # ------------------------------------------------------------------ requests
    def _request_async(self, ptype: int, payload: bytes,
                       callback: Callable[[Incoming | None, BaseException | None], None] | None = None,
                       seq: bytes | None = None) -> _Pending:
        seq = seq or uuid.uuid4().hex.encode()
        waiter = _Pending(callback)
        with self._lock:
            self._pending[seq] = waiter
        try:
            self._write(lambda: self._encode(ptype, seq, payload))
        except TransportError as exc:
            with self._lock:
                self._pending.pop(seq, None)
            waiter.finish(None, exc)
        return waiter

    def request(self, ptype: int, payload: bytes, *, timeout: float | None = None, seq: bytes | None = None) -> Incoming:
        """Send one message and wait for the node's answer on the same seq (a fresh one by default).

        :raises ConnectError: not connected, or the connection dropped before the answer.
        :raises RequestTimeout: no answer in time.
        """
        self._ensure()
        wait = self.timeout if timeout is None else timeout
        waiter = self._request_async(ptype, payload, seq=seq)
        if not waiter.done.wait(wait):
            raise RequestTimeout(f"{self.url} did not answer within {wait:g} s", url=self.url)
        if waiter.error is not None:
            raise waiter.error
        assert waiter.reply is not None
        return waiter.reply

    def send(self, body: bytes, *, timeout: float | None = None) -> bytes:
        """A JSON-RPC request over the connection (the :class:`Transport` protocol)."""
        return self.request(self._rpc_type(), body, timeout=timeout).payload

    # ------------------------------------------------------------------ blocks and events
    def add_block_listener(self, listener: Callable[[int], None]) -> None:
        """Call ``listener(block_number)`` on each block notify (in the reader thread)."""
        self._block_listeners.append(listener)

    def _block_notified(self, number: int) -> None:
        if number > self.block_number:
            self.block_number = number
        for listener in list(self._block_listeners):
            listener(number)

    def subscribe(self, sub: PushSubscription, *, timeout: float | None = None) -> PushSubscription:
        """Register ``sub`` with the node; it is registered again after every reconnect.

        :raises SubscriptionRefused: the node answered one of the -41000… codes.
        """
        from fisco_drugtrace.errors import SubscriptionRefused

        ptype, payload = self._subscribe_request(sub)
        with self._lock:
            self._subs[sub.id] = sub
        try:
            reply = self.request(ptype, payload, timeout=timeout)
        except BaseException:
            with self._lock:
                self._subs.pop(sub.id, None)
            raise
        status = self._subscribe_status(reply)
        if status != 0:
            with self._lock:
                self._subs.pop(sub.id, None)
            raise SubscriptionRefused(status, f"event subscription refused with status {status}")
        return sub

    def unsubscribe(self, sub: PushSubscription) -> None:
        """Stop ``sub`` (best effort on the wire; it is never re-sent)."""
        sub.active = False
        with self._lock:
            known = self._subs.pop(sub.id, None)
        if known is None or not self._connected.is_set():
            return
        ptype, payload = self._unsubscribe_request(sub)
        self._request_async(ptype, payload)

    def _subscription(self, sub_id: str) -> PushSubscription | None:
        with self._lock:
            return self._subs.get(sub_id)

    def _deliver_push(self, sub_id: str, status: int, entries: Sequence[Any]) -> None:
        """One event push, as both node generations send it: status 0 carries logs, 1 ends the
        requested range, anything else is the node ending the subscription with that code."""
        from fisco_drugtrace.errors import SubscriptionRefused

        sub = self._subscription(sub_id)
        if sub is None or not sub.active:
            return
        if status == 0:
            sub.on_logs([log_from_push(entry) for entry in entries])
        elif status == 1:
            self._finish_subscription(sub_id, None)
        else:
            self._finish_subscription(sub_id, SubscriptionRefused(status, "the node ended the subscription"))

    def _finish_subscription(self, sub_id: str, error: BaseException | None) -> None:
        with self._lock:
            sub = self._subs.pop(sub_id, None)
        if sub is not None:
            sub.active = False
            sub.on_end(error)

    def _resubscribe(self) -> None:
        from fisco_drugtrace.errors import SubscriptionRefused

        with self._lock:
            subs = list(self._subs.values())
        for sub in subs:
            ptype, payload = self._subscribe_request(sub)

            def answered(reply: Incoming | None, error: BaseException | None, sub: PushSubscription = sub) -> None:
                if reply is not None:
                    status = self._subscribe_status(reply)
                    if status != 0:
                        self._finish_subscription(sub.id, SubscriptionRefused(status, "re-subscription refused"))
            self._request_async(ptype, payload, answered)

    def close(self) -> None:
        """Close the connection for good (subscriptions end without a callback)."""
        self._closed.set()
        self._drop()
