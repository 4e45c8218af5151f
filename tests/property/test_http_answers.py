"""Property: whatever bytes a "node" sends back, the HTTP transport returns a body or raises a
:class:`TransportError` subclass, never a foreign exception (``requests``, ``urllib3``, ``http.client``, ``ssl``, ``ValueError``)."""

from __future__ import annotations

from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fisco_drugtrace.errors import TransportError
from fisco_drugtrace.rpc import HttpTransport
from tests.fakes import RawServerHandle, serve_raw

_REQUEST = b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":[]}'

_heads = st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://x/\r\n",
                          b"HTTP/1.0 500 Oops\r\n", b"HTTP/1.1 999 ?\r\n", b"HTTX/1.1 200\r\n", b"\x15\x03\x03\x00\x02",
                          b""])
_headers = st.lists(st.sampled_from([b"Content-Length: 5\r\n", b"Content-Length: -1\r\n", b"Content-Length: x\r\n",
                                     b"Transfer-Encoding: chunked\r\n", b"Content-Encoding: gzip\r\n",
                                     b"Content-Type: text/html\r\n", b"Connection: close\r\n"]), max_size=4)
_bodies = st.binary(max_size=64) | st.sampled_from([b"zz\r\nabc\r\n0\r\n\r\n", b"5\r\nabc", b'{"jsonrpc":"2.0"}'])


@pytest.fixture(scope="module")
def raw_server() -> Iterator[RawServerHandle]:
    with serve_raw() as server:
        yield server


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=_heads, headers=_headers, body=_bodies, blank=st.booleans())
def test_any_answer_is_a_body_or_a_transport_error(raw_server: RawServerHandle, head: bytes, headers: list[bytes],
                                                   body: bytes, blank: bool) -> None:
    raw_server.answer = head + b"".join(headers) + (b"\r\n" if blank else b"") + body
    transport = HttpTransport(raw_server.url, timeout=3, max_answer_bytes=1024)
    try:
        result = transport.send(_REQUEST)
    except TransportError:
        return
    finally:
        transport.close()
    assert isinstance(result, bytes) and len(result) <= 1024
