"""Mutual TLS on the loop HTTP front (:mod:`.frontloop`): handshakes driven by selector events,
bounded like any connection, refused without a client certificate; keep-alive, pipelining and
answers larger than a socket buffer through the SSL object; a broken client costs only itself."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings, TlsPaths
from fisco_drugtrace.devchain import DevChain, DevChainConfig, ensure_certificates, serve
from fisco_drugtrace.devchain.server import ServerHandle
from fisco_drugtrace.devchain.tls import TlsMaterial

from devchain_helpers import hostport, send3, tx3

BLOCK_NUMBER = b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",""]}'
IDLE = 2.0  # the idle timeout of the served loop: a silent handshake is cut after it


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    return ensure_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_loop(certs: TlsMaterial) -> Iterator[tuple[DevChain, ServerHandle]]:
    with DevChain(DevChainConfig()) as chain:
        handle = serve(chain, tls=certs.server, front="loop", idle_timeout=IDLE, request_deadline=IDLE)
        try:
            yield chain, handle
        finally:
            handle.stop()


def _client_context(certs: TlsMaterial, with_cert: bool = True) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(cafile=str(certs.sdk_ca))
    if with_cert:
        ctx.load_cert_chain(str(certs.sdk_cert), str(certs.sdk_key))
    return ctx


def _tls_socket(url: str, certs: TlsMaterial, timeout: float = 10, rcvbuf: int = 0) -> ssl.SSLSocket:
    """A client with the SDK's certificate; ``rcvbuf``: a small receive window, so that a large
    answer does not fit in the kernel's buffers and the server must wait for WRITE."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.settimeout(timeout)
    if rcvbuf:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    raw.connect(hostport(url))
    return _client_context(certs).wrap_socket(raw)


def _request(body: bytes, close: bool = False) -> bytes:
    extra = b"Connection: close\r\n" if close else b""
    return b"POST / HTTP/1.1\r\nContent-Length: %d\r\n%s\r\n" % (len(body), extra) + body


def _answers(sock: ssl.SSLSocket, count: int) -> list[Any]:
    """Read ``count`` HTTP answers (Content-Length framed) from ``sock``; their JSON bodies."""
    buf = b""
    out = []
    while len(out) < count:
        head_end = buf.find(b"\r\n\r\n")
        if head_end >= 0:
            head = buf[:head_end].decode()
            length = int(head.lower().split("content-length:")[1].split("\r\n")[0])
            if len(buf) >= head_end + 4 + length:
                assert head.startswith("HTTP/1.1 200 OK"), head
                out.append(json.loads(buf[head_end + 4:head_end + 4 + length]))
                buf = buf[head_end + 4 + length:]
                continue
        data = sock.recv(1 << 20)
        assert data, f"closed after {len(out)} of {count} answers"
        buf += data
    return out


def _block_number(url: str, certs: TlsMaterial) -> int:
    with _tls_socket(url, certs) as sock:
        sock.sendall(_request(BLOCK_NUMBER, close=True))
        return _answers(sock, 1)[0]["result"]


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """True when the server closes ``sock`` (EOF or reset) within ``within`` seconds (what it
    sends first, a TLS alert, is read and dropped)."""
    deadline = time.monotonic() + within
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if sock.recv(4096) == b"":
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def test_the_sdk_deploys_and_calls_over_mutual_tls(tls_loop: tuple[DevChain, ServerHandle], certs: TlsMaterial) -> None:
    from fisco_drugtrace.accounts import LocalSigner
    from fisco_drugtrace.contracts.binding import Contract
    from fisco_drugtrace.devchain import dev_keypairs

    from devchain_helpers import STORE

    _, handle = tls_loop
    assert handle.url.startswith("https://127.0.0.1:")
    client = connect(Settings(chain_id="chain0", urls=(handle.url,),
                              tls=TlsPaths(certs.sdk_ca, certs.sdk_cert, certs.sdk_key)))
    store = Contract.deploy(client, (STORE["abi"], STORE["bytecode"]), 1, signer=LocalSigner(dev_keypairs(1)[0]))
    assert store.transact("set", 9, signer=LocalSigner(dev_keypairs(1)[0])).receipt.status == 0
    assert store.call("value") == 9


def test_a_client_without_certificate_is_refused_and_the_loop_serves_on(
        tls_loop: tuple[DevChain, ServerHandle], certs: TlsMaterial) -> None:
    _, handle = tls_loop
    raw = socket.create_connection(hostport(handle.url), timeout=10)
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        with _client_context(certs, with_cert=False).wrap_socket(raw) as sock:
            sock.sendall(_request(BLOCK_NUMBER))  # TLS 1.3: the refusal arrives with the first read
            sock.recv(4096)
    assert _block_number(handle.url, certs) == 0


def test_silent_and_garbage_clients_are_dropped_and_others_served(
        tls_loop: tuple[DevChain, ServerHandle], certs: TlsMaterial) -> None:
    _, handle = tls_loop
    silent = socket.create_connection(hostport(handle.url), timeout=10)
    garbage = socket.create_connection(hostport(handle.url), timeout=10)
    plain = socket.create_connection(hostport(handle.url), timeout=10)
    try:
        garbage.sendall(b"\x16\x03\x01\x00\x05hello" + b"\x00" * 200)  # a record header, then no ClientHello
        plain.sendall(_request(BLOCK_NUMBER))  # plain HTTP to the TLS port
        # at once, not at the idle timeout
        assert _closed_by_server(garbage, IDLE / 2) and _closed_by_server(plain, IDLE / 2)
        started = time.monotonic()
        assert _block_number(handle.url, certs) == 0  # served while the silent one waits
        assert _closed_by_server(silent, IDLE + 3)  # cut at the idle timeout, not held for ever
        assert time.monotonic() - started < IDLE + 3
    finally:
        for sock in (silent, garbage, plain):
            sock.close()
    assert _block_number(handle.url, certs) == 0


def test_a_handshake_dripped_in_small_pieces_within_the_deadline_works(
        tls_loop: tuple[DevChain, ServerHandle], certs: TlsMaterial) -> None:
    """The client's flights reach the loop a few bytes at a time, so each handshake step waits
    for READ many times over; the request then goes the same way."""
    _, handle = tls_loop
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = _client_context(certs).wrap_bio(incoming, outgoing)
    sock = socket.create_connection(hostport(handle.url), timeout=10)
    drips = 0

    def drip() -> None:
        nonlocal drips
        data = outgoing.read()
        for i in range(0, len(data), 40):
            sock.sendall(data[i:i + 40])
            drips += 1
            time.sleep(0.002)

    def feed() -> None:
        data = sock.recv(65536)
        assert data, "closed during the handshake"
        incoming.write(data)

    try:
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                drip()
                feed()
        drip()  # the client's Finished
        tls.write(_request(BLOCK_NUMBER, close=True))
        drip()
        reply = b""
        while b"}" not in reply:
            feed()
            try:
                reply += tls.read(65536)
            except ssl.SSLWantReadError:
                continue
        assert drips > 20 and reply.startswith(b"HTTP/1.1 200 OK") and b'"result":0' in reply
    finally:
        sock.close()


def test_keep_alive_and_pipelined_requests_over_tls(tls_loop: tuple[DevChain, ServerHandle], certs: TlsMaterial) -> None:
    _, handle = tls_loop
    conn = http.client.HTTPSConnection(*hostport(handle.url), timeout=10, context=_client_context(certs))
    try:
        for _ in range(5):  # one connection throughout
            conn.request("POST", "/", BLOCK_NUMBER, {"Content-Type": "application/json"})
            response = conn.getresponse()
            assert response.status == 200 and json.loads(response.read())["result"] == 0
        assert conn.sock is not None
    finally:
        conn.close()
    with _tls_socket(handle.url, certs) as sock:
        bodies = [BLOCK_NUMBER.replace(b'"id":1', b'"id":%d' % i) for i in range(20)]
        sock.sendall(b"".join(_request(body) for body in bodies))  # all in one go: many in one TLS record
        assert [a["id"] for a in _answers(sock, 20)] == list(range(20))


def test_a_large_request_and_answer_over_tls_while_others_are_served(
        tls_loop: tuple[DevChain, ServerHandle], certs: TlsMaterial) -> None:
    """A 6 MB request body and a 6 MB answer (more than the kernel buffers while the client does
    not read): many TLS records each way, writes that fill the socket and wait for WRITE, while
    another client is answered."""
    chain, handle = tls_loop
    size = 3_000_000
    raw = tx3(chain, "0x" + "12" * 20, b"\x01" * size)
    send = json.dumps({"jsonrpc": "2.0", "id": 3, "method": "sendTransaction",
                       "params": ["group0", "", "0x" + raw.hex(), False]}).encode()
    with _tls_socket(handle.url, certs, timeout=15, rcvbuf=65536) as sock:
        sock.sendall(_request(send))
        assert _answers(sock, 1)[0]["result"]["blockNumber"] == 1
        block = json.dumps({"jsonrpc": "2.0", "id": 4, "method": "getBlockByNumber",
                            "params": ["group0", "", 1, False, False]}).encode()
        sock.sendall(_request(block))
        time.sleep(0.3)  # the answer is written as far as the socket takes it; the rest waits
        assert _block_number(handle.url, certs) == 1
        answer = _answers(sock, 1)[0]
    assert answer["result"]["transactions"][0]["input"] == "0x" + "01" * size
    assert send3(chain, tx3(chain, "0x" + "12" * 20, b""))["result"]["blockNumber"] == 2  # still whole


def test_many_tls_clients_at_once(tls_loop: tuple[DevChain, ServerHandle], certs: TlsMaterial) -> None:
    """Handshakes and requests of 16 clients interleave in the one loop thread."""
    _, handle = tls_loop
    results: list[int] = []
    errors: list[BaseException] = []

    def client() -> None:
        try:
            with _tls_socket(handle.url, certs) as sock:
                for _ in range(10):
                    sock.sendall(_request(BLOCK_NUMBER))
                    results.append(_answers(sock, 1)[0]["result"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and results == [0] * 160


def test_at_the_cap_a_tls_newcomer_is_closed_unanswered(certs: TlsMaterial) -> None:
    """As the threaded front: no plaintext 503 to a ClientHello, and the loop serves on."""
    with DevChain(DevChainConfig()) as chain:
        handle = serve(chain, tls=certs.server, front="loop", max_connections=1)
        try:
            with _tls_socket(handle.url, certs) as held:
                held.sendall(_request(b'{"jsonrpc":"2.0","id":1,"method":"dev_setMining","params":["manual"]}'))
                _answers(held, 1)
                body = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "sendTransaction",
                                   "params": ["group0", "", "0x" + tx3(chain, "0x" + "12" * 20, b"").hex(), False]})
                held.sendall(_request(body.encode()))  # held by manual mining: busy, not idle
                time.sleep(0.3)
                newcomer = socket.create_connection(hostport(handle.url), timeout=10)
                with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError, OSError)):
                    _client_context(certs).wrap_socket(newcomer).recv(1)
                newcomer.close()
                chain.handle_raw(b'{"jsonrpc":"2.0","id":1,"method":"dev_mine","params":[1]}')
                assert _answers(held, 1)[0]["result"]["blockNumber"] == 1
        finally:
            handle.stop()


def test_a_started_chain_with_tls_serves_the_loop(tmp_path: Path) -> None:
    from fisco_drugtrace.devchain import runner
    from fisco_drugtrace.errors import DevChainError

    running = runner.start(runner.StartOptions(port=0, tls=True, data_dir=tmp_path))
    try:
        assert running.front == "loop" and running.url.startswith("https://")
        assert running.tls is not None
        assert _block_number(running.url, running.tls) == 0
    finally:
        running.close()
    with pytest.raises(DevChainError, match="plain HTTP"):
        runner.start(runner.StartOptions(port=0, http_front="process", tls=True))
