"""The HTTP(S) front end (both fronts): POST on any path, keep-alive, body limit, mutual TLS.

The plain-HTTP tests run against both fronts: the threaded one and the loop (:mod:`.frontloop`)."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Iterator

import pytest
import requests

from fisco_drugtrace.devchain import MAX_BODY, DevChain, ensure_certificates, serve

from devchain_helpers import tx3


@pytest.fixture(params=["thread", "loop"])
def served(v3: DevChain, request: pytest.FixtureRequest) -> Iterator[tuple[DevChain, str]]:
    handle = serve(v3, front=request.param)
    try:
        yield v3, handle.url
    finally:
        handle.stop()


def post(url: str, payload: object, path: str = "/") -> requests.Response:
    return requests.post(url + path, data=json.dumps(payload), timeout=10)


def test_binds_loopback_and_answers_any_path(served: tuple[DevChain, str]) -> None:
    _, url = served
    assert url.startswith("http://127.0.0.1:")
    for path in ("/", "/rpc", "/a/b"):
        response = post(url, {"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber", "params": ["group0", ""]}, path)
        assert response.status_code == 200 and response.json()["result"] == 0
        assert response.headers["Content-Type"] == "application/json"


def test_transactions_over_http(served: tuple[DevChain, str]) -> None:
    chain, url = served
    raw = tx3(chain, "", b"\x00")
    response = post(url, {"jsonrpc": "2.0", "id": 1, "method": "sendTransaction",
                          "params": ["group0", "", "0x" + raw.hex(), False]})
    assert response.json()["result"]["blockNumber"] == 1


def test_keep_alive_reuses_the_connection(served: tuple[DevChain, str]) -> None:
    _, url = served
    host, port = url[len("http://"):].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        for i in range(3):
            body = json.dumps({"jsonrpc": "2.0", "id": i, "method": "getBlockNumber", "params": ["group0", ""]})
            conn.request("POST", "/", body, {"Content-Type": "application/json"})
            response = conn.getresponse()
            assert json.loads(response.read())["id"] == i
            assert not response.will_close
        first_socket = conn.sock
        conn.request("POST", "/", body)
        conn.getresponse().read()
        assert conn.sock is first_socket
    finally:
        conn.close()


def test_malformed_and_wrong_type_bodies(served: tuple[DevChain, str]) -> None:
    _, url = served
    bad = requests.post(url, data=b"{oops", timeout=10)
    assert bad.status_code == 200 and bad.json()["error"]["code"] == -32700
    assert post(url, [1, 2, 3]).json()["error"]["code"] == -32600


def test_oversized_body_is_refused(served: tuple[DevChain, str]) -> None:
    _, url = served
    response = requests.post(url, data=b" " * (MAX_BODY + 1), timeout=30)
    assert response.status_code == 413 and response.json()["error"]["code"] == -32600


def test_get_is_not_json_rpc(served: tuple[DevChain, str]) -> None:
    _, url = served
    assert requests.get(url, timeout=10).status_code == 405


@pytest.mark.parametrize("front", ["thread", "loop"])
def test_stop_closes_the_port(v3: DevChain, front: str) -> None:
    handle = serve(v3, front=front)
    handle.stop()
    with pytest.raises(requests.ConnectionError):
        requests.post(handle.url, data=b"{}", timeout=2)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> object:
    return ensure_certificates(tmp_path_factory.mktemp("tls"))


def test_certificates_are_kept_in_build_chain_layout(certs: object, tmp_path: Path) -> None:
    root = certs.sdk_ca.parent.parent  # type: ignore[attr-defined]
    assert {p.name for p in (root / "sdk").iterdir()} == {"ca.crt", "sdk.crt", "sdk.key"}
    before = (root / "sdk" / "sdk.crt").read_bytes()
    ensure_certificates(root)
    assert (root / "sdk" / "sdk.crt").read_bytes() == before  # generated once
    assert oct(certs.sdk_key.stat().st_mode & 0o777) == "0o600"  # type: ignore[attr-defined]


@pytest.mark.parametrize("front", ["thread", "loop"])
def test_mutual_tls_accepts_the_sdk_certificate(v3: DevChain, certs: object, front: str) -> None:
    handle = serve(v3, tls=certs.server, front=front)  # type: ignore[attr-defined]
    try:
        assert handle.url.startswith("https://127.0.0.1:")
        response = requests.post(handle.url, json={"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber",
                                                   "params": ["group0", ""]},
                                 cert=(str(certs.sdk_cert), str(certs.sdk_key)),  # type: ignore[attr-defined]
                                 verify=str(certs.sdk_ca), timeout=10)  # type: ignore[attr-defined]
        assert response.json()["result"] == 0
    finally:
        handle.stop()


@pytest.mark.parametrize("front", ["thread", "loop"])
def test_mutual_tls_refuses_a_client_without_certificate(v3: DevChain, certs: object, front: str) -> None:
    handle = serve(v3, tls=certs.server, front=front)  # type: ignore[attr-defined]
    try:
        with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
            requests.post(handle.url, json={"jsonrpc": "2.0", "id": 1, "method": "getBlockNumber",
                                            "params": ["group0", ""]},
                          verify=str(certs.sdk_ca), timeout=10)  # type: ignore[attr-defined]
        # plain HTTP to the TLS port gets no JSON-RPC answer either
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(handle.url.replace("https", "http"), data=b"{}", timeout=5)
    finally:
        handle.stop()



def _exchange(url: str, payload: bytes) -> bytes:
    import socket

    host, port = url[len("http://"):].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def test_http_framing_edge_cases(served: tuple[DevChain, str]) -> None:
    _, url = served
    body = b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",""]}'
    # HTTP/1.0 without keep-alive: answered, then closed
    reply = _exchange(url, b"POST / HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert reply.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in reply and reply.endswith(b'"result":0}')
    # two pipelined requests on one connection, the second asking to close
    two = (b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body
           + b"POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    assert _exchange(url, two).count(b"HTTP/1.1 200 OK") == 2
    assert _exchange(url, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").startswith(
        b"HTTP/1.1 411")
    assert _exchange(url, b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400")
    options = _exchange(url, b"OPTIONS / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert options.startswith(b"HTTP/1.1 204") and b"Allow: POST, OPTIONS" in options
