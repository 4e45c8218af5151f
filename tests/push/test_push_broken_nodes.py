"""Push transports against broken nodes (loopback fakes) and the dev chain's servers against
hostile input: typed errors on the client, no crash on the server."""

from __future__ import annotations

import json
import socket
import threading
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fisco_drugtrace.encoding.channelpack import REGISTER_EVENT_LOG, pack_topic
from fisco_drugtrace.encoding.wsmessage import EVENT_SUBSCRIBE
from fisco_drugtrace.errors import ConnectError, TransportError
from fisco_drugtrace.rpc.channel import ChannelTransport
from fisco_drugtrace.rpc.ws import WsTransport

from push_helpers import served


def _fake_node(behaviour: Callable[[socket.socket], None]) -> tuple[str, Callable[[], None]]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                try:
                    behaviour(conn)
                except OSError:
                    pass

    threading.Thread(target=loop, daemon=True).start()

    def close() -> None:
        stop.set()
        listener.close()
    return f"127.0.0.1:{listener.getsockname()[1]}", close


def _html(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>")


def _hang_up(conn: socket.socket) -> None:
    conn.recv(4096)


def _silent(conn: socket.socket) -> None:
    conn.recv(4096)
    conn.settimeout(5)
    try:
        conn.recv(4096)
    except OSError:
        pass


@pytest.mark.parametrize("behaviour", [_html, _hang_up, _silent], ids=["html", "hang-up", "silent"])
@pytest.mark.parametrize("make", [lambda a: WsTransport(f"ws://{a}", timeout=1.0),
                                  lambda a: ChannelTransport(f"channel://{a}", timeout=1.0)], ids=["ws", "channel"])
def test_a_broken_node_is_a_connect_error_not_a_hang(make: Callable[[str], object],
                                                     behaviour: Callable[[socket.socket], None]) -> None:
    address, close = _fake_node(behaviour)
    transport = make(address)
    try:
        with pytest.raises(ConnectError):
            transport.send(b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",""]}')  # type: ignore[attr-defined]
    finally:
        transport.close()  # type: ignore[attr-defined]
        close()


def test_nothing_listening_is_a_connect_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for transport in (WsTransport(f"ws://127.0.0.1:{port}", timeout=1.0),
                      ChannelTransport(f"channel://127.0.0.1:{port}", timeout=1.0)):
        with pytest.raises(ConnectError, match="cannot connect"):
            transport.send(b"{}")
        transport.close()


def test_bad_urls_are_config_errors() -> None:
    from fisco_drugtrace.errors import ConfigError

    for url in ("http://127.0.0.1:1", "ws://127.0.0.1", "wss://127.0.0.1:1"):  # wss needs certificates
        with pytest.raises(ConfigError):
            WsTransport(url)
    with pytest.raises(ConfigError):
        ChannelTransport("ws://127.0.0.1:1")


_json = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                     max_leaves=12)
_requests = st.one_of(
    _json,
    st.fixed_dictionaries({"id": _json, "group": st.sampled_from(["group0", "group1", 1]),
                           "params": st.fixed_dictionaries({}, optional={
                               "fromBlock": _json, "toBlock": _json, "addresses": _json, "topics": _json})}),
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(st.lists(_requests, min_size=1, max_size=5))
def test_ws_server_answers_any_subscribe_payload_with_a_status(payloads: list) -> None:
    with served("v3") as s:
        transport = s.push.rpc.transport
        for payload in payloads:
            try:
                reply = transport.request(EVENT_SUBSCRIBE, json.dumps(payload).encode(), timeout=5)
            except TransportError as exc:  # pragma: no cover - would be the failure
                pytest.fail(f"the server dropped the connection on {payload!r}: {exc}")
            status = json.loads(reply.payload)["status"]
            assert status in (0, -41000, -41001, -41002, -41003)
        assert s.push.block_number() == s.poll.block_number()


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(st.lists(_json, min_size=1, max_size=5))
def test_channel_server_answers_any_filter_payload_with_a_result(payloads: list) -> None:
    with served("v2") as s:
        transport = s.push.rpc.transport
        for payload in payloads:
            reply = transport.request(REGISTER_EVENT_LOG, pack_topic("", json.dumps(payload).encode()), timeout=5)
            assert json.loads(reply.payload[1:])["result"] in (0, -41000, -41001, -41002, -41003)
        assert s.push.block_number() == s.poll.block_number()
