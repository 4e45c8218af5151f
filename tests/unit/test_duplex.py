"""DuplexSocket: one reader and many writers on one TLS connection, as the push transports and the
dev chain's push servers use it (OpenSSL allows one thread at a time inside an SSL object)."""

from __future__ import annotations

import hashlib
import random
import socket
import ssl
import struct
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from fisco_drugtrace.duplex import DuplexSocket, take_buffered
from tests.fakes import make_cert, write_pem


@pytest.fixture(scope="module")
def contexts(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    d = tmp_path_factory.mktemp("duplex-pki")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_cert("node0", key, "node0", key, ca=True)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(write_pem(d / "node.crt", cert), write_pem(d / "node.key", key=key))
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    return server, client


@contextmanager
def tls_pair(contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> Iterator[tuple[ssl.SSLSocket, ssl.SSLSocket]]:
    server_ctx, client_ctx = contexts
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[ssl.SSLSocket] = []

    def accept() -> None:
        raw, _ = listener.accept()
        accepted.append(server_ctx.wrap_socket(raw, server_side=True))

    thread = threading.Thread(target=accept)
    thread.start()
    client = client_ctx.wrap_socket(socket.create_connection(listener.getsockname()))
    thread.join(10)
    listener.close()
    try:
        yield accepted[0], client
    finally:
        client.close()
        accepted[0].close()


def _frame(writer: int, n: int, size: int) -> bytes:
    body = hashlib.sha256(b"%d/%d" % (writer, n)).digest() * (size // 32 + 1)
    body = body[:size]
    return struct.pack(">III", writer, n, size) + body


def _read_frames(sock: DuplexSocket, count: int) -> list[tuple[int, int, bytes]]:
    buf = bytearray()
    out: list[tuple[int, int, bytes]] = []
    while len(out) < count:
        data = sock.recv(65536)
        if not data:
            raise AssertionError(f"EOF after {len(out)} of {count} frames")
        buf += data
        while len(buf) >= 12:
            writer, n, size = struct.unpack(">III", buf[:12])
            if len(buf) < 12 + size:
                break
            out.append((writer, n, bytes(buf[12:12 + size])))
            del buf[:12 + size]
    return out


def test_full_duplex_tls_with_many_writers_keeps_every_frame_whole(contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    writers, per_writer = 4, 300
    with tls_pair(contexts) as (server_raw, client_raw):
        server, client = DuplexSocket(server_raw, timeout=30), DuplexSocket(client_raw, timeout=30)
        errors: list[BaseException] = []
        got: dict[str, list[tuple[int, int, bytes]]] = {}

        def write(sock: DuplexSocket, writer: int) -> None:
            rng = random.Random(writer)
            try:
                for n in range(per_writer):
                    sock.sendall(_frame(writer, n, rng.choice([1, 200, 5000, 40000])))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        def read(name: str, sock: DuplexSocket) -> None:
            try:
                got[name] = _read_frames(sock, writers * per_writer)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=read, args=("server", server)), threading.Thread(target=read, args=("client", client))]
        threads += [threading.Thread(target=write, args=(side, w)) for side in (server, client) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        for name in ("server", "client"):
            frames = got[name]
            assert len(frames) == writers * per_writer
            for w in range(writers):
                mine = [(n, body) for writer, n, body in frames if writer == w]
                assert [n for n, _ in mine] == list(range(per_writer))  # each writer's frames in order
                rng = random.Random(w)
                for n, body in mine:
                    assert _frame(w, n, rng.choice([1, 200, 5000, 40000]))[12:] == body  # whole, not interleaved


def test_recv_times_out_and_shutdown_wakes_a_waiting_reader(contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    with tls_pair(contexts) as (server_raw, client_raw):
        client = DuplexSocket(client_raw, timeout=0.2)
        started = time.monotonic()
        with pytest.raises(socket.timeout):
            client.recv(100)
        assert 0.15 < time.monotonic() - started < 5
        client.settimeout(None)
        result: list[object] = []

        def wait() -> None:
            try:
                result.append(client.recv(100))
            except OSError as exc:
                result.append(exc)

        reader = threading.Thread(target=wait)
        reader.start()
        time.sleep(0.2)
        assert not result  # still waiting, holding no lock: a write goes through meanwhile
        client.sendall(b"ping")
        assert DuplexSocket(server_raw, timeout=5).recv(100) == b"ping"
        client.shutdown(socket.SHUT_RDWR)
        reader.join(5)
        assert not reader.is_alive()
        assert result == [b""] or isinstance(result[0], OSError)


def test_plain_socket_passes_through() -> None:
    a, b = socket.socketpair()
    with a, b:
        da, db = DuplexSocket(a, timeout=2), DuplexSocket(b, timeout=2)
        assert not da.tls
        da.sendall(b"x" * 100_000)
        received = b""
        while len(received) < 100_000:
            received += db.recv(65536)
        assert received == b"x" * 100_000
        db.settimeout(0.1)
        with pytest.raises(socket.timeout):
            db.recv(1)


def test_take_buffered_returns_bytes_the_reader_already_holds(tmp_path: Path) -> None:
    a, b = socket.socketpair()
    with a, b:
        a.sendall(b"GET / HTTP/1.1\r\n\r\nearly-frame")
        reader = b.makefile("rb")
        time.sleep(0.05)
        assert reader.readline() == b"GET / HTTP/1.1\r\n"
        assert reader.readline() == b"\r\n"
        assert take_buffered(reader, b) == b"early-frame"
        assert take_buffered(reader, b) == b""  # nothing more, and no wait
