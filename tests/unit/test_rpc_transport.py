"""HttpTransport / FailoverTransport against real local HTTP servers on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest

from fisco_drugtrace.errors import BadResponseError, ConfigError, ConnectError, RequestTimeout
from fisco_drugtrace.rpc import FailoverTransport, HttpTransport, InProcessTransport, JsonRpc, RetryPolicy
from tests.fakes import FakeNode, serve_http


def _dead_url() -> str:
    """A 127.0.0.1 port nobody listens on (bound, then closed)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def _rpc(url: str, timeout: float = 5.0) -> JsonRpc:
    return JsonRpc(HttpTransport(url, timeout=timeout), retry=RetryPolicy(attempts=1))


def test_live_node_answers_and_session_is_reused() -> None:
    node = FakeNode().on("getBlockNumber", 12)
    with serve_http(node=node) as server:
        transport = HttpTransport(server.url, timeout=5)
        rpc = JsonRpc(transport)
        assert [rpc.request("getBlockNumber", ["group0", ""]) for _ in range(3)] == [12, 12, 12]
        assert len(server.hits) == 3
        assert len(set(server.peers)) == 1  # one keep-alive connection served all three requests
        transport.close()


def test_html_answer_is_bad_response() -> None:
    with serve_http("html") as server:
        with pytest.raises(BadResponseError) as info:
            _rpc(server.url).request("getBlockNumber", [])
    assert "Bad Gateway" in info.value.body_excerpt
    assert info.value.url == server.url


def test_half_json_is_bad_response() -> None:
    with serve_http("half_json") as server:
        with pytest.raises(BadResponseError) as info:
            _rpc(server.url).request("getBlockNumber", [])
    assert "blockNu" in info.value.body_excerpt


def test_http_500_is_bad_response_with_status() -> None:
    with serve_http("http500") as server:
        with pytest.raises(BadResponseError) as info:
            _rpc(server.url).request("getBlockNumber", [])
    assert info.value.status == 500


def test_empty_body_is_bad_response() -> None:
    with serve_http("empty") as server:
        with pytest.raises(BadResponseError):
            _rpc(server.url).request("getBlockNumber", [])


def test_slow_node_times_out() -> None:
    with serve_http("slow", delay=1.0) as server:
        with pytest.raises(RequestTimeout) as info:
            _rpc(server.url, timeout=0.2).request("getBlockNumber", [])
    assert isinstance(info.value, TimeoutError)
    assert info.value.url == server.url


def test_refused_connection_is_connect_error() -> None:
    url = _dead_url()
    with pytest.raises(ConnectError) as info:
        _rpc(url).request("getBlockNumber", [])
    assert info.value.url == url
    # One short cause a person can act on, not urllib3's "HTTPConnectionPool(...)" wrapper.
    assert str(info.value) == f"cannot connect to {url}: Connection refused"


def test_http_500_is_retried_a_bounded_number_of_times() -> None:
    with serve_http("http500") as server:
        rpc = JsonRpc(HttpTransport(server.url, timeout=5), retry=RetryPolicy(attempts=3, backoff=0.01))
        with pytest.raises(BadResponseError):
            rpc.request("getBlockNumber", [])
        assert len(server.hits) == 3


def test_failover_skips_a_dead_node_and_remembers_the_live_one() -> None:
    node = FakeNode().on("getBlockNumber", 5)
    dead = _dead_url()
    with serve_http(node=node) as live:
        failover = FailoverTransport([HttpTransport(dead, timeout=2), HttpTransport(live.url, timeout=2)])
        rpc = JsonRpc(failover, retry=RetryPolicy(attempts=1))
        assert rpc.request("getBlockNumber", []) == 5
        assert failover.url == live.url
        assert rpc.request("getBlockNumber", []) == 5
        assert len(live.hits) == 2
        failover.close()


def test_failover_with_every_node_dead_names_them() -> None:
    urls = [_dead_url(), _dead_url()]
    failover = FailoverTransport([HttpTransport(u, timeout=2) for u in urls])
    with pytest.raises(ConnectError) as info:
        failover.send(b"{}")
    for url in urls:
        assert url in str(info.value)


def test_failover_moves_past_a_bad_answer_and_reports_every_failure() -> None:
    """Issue 19 item 5: an HTML answer used to be raised at once, the live second node never tried."""
    node = FakeNode().on("getBlockNumber", 5)
    with serve_http("html") as broken, serve_http("http500") as failing, serve_http(node=node) as live:
        failover = FailoverTransport([HttpTransport(broken.url), HttpTransport(live.url)])
        assert JsonRpc(failover, retry=RetryPolicy(attempts=1)).request("getBlockNumber", []) == 5
        assert len(broken.hits) == 1 and len(live.hits) == 1
        both_bad = FailoverTransport([HttpTransport(broken.url), HttpTransport(failing.url)])
        with pytest.raises(BadResponseError) as info:
            both_bad.send(b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":[]}')
    assert broken.url in str(info.value) and failing.url in str(info.value)
    assert info.value.status == 500  # the last failure's type and fields


def test_in_process_transport_calls_the_handler() -> None:
    node = FakeNode().on("getBlockNumber", 9)
    assert JsonRpc(InProcessTransport(node.handle_raw)).request("getBlockNumber", ["group0", ""]) == 9
    assert node.calls == [("getBlockNumber", ["group0", ""])]


@pytest.mark.parametrize("url", ["127.0.0.1:20200", "ftp://x", "http://"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        HttpTransport(url)


def test_failover_from_urls_builds_http_transports() -> None:
    node = FakeNode().on("getBlockNumber", 6)
    with serve_http(node=node) as live:
        failover = FailoverTransport.from_urls([_dead_url(), live.url], timeout=2)
        assert JsonRpc(failover, retry=RetryPolicy(attempts=1)).request("getBlockNumber", []) == 6
        failover.close()


def test_json_rpc_error_over_http_is_typed() -> None:
    from fisco_drugtrace.client.error_maps import map_error_v3
    from fisco_drugtrace.errors import NonceCheckFailed
    from tests.fakes import RpcFailure

    def refuse(params: list) -> None:
        raise RpcFailure(10000, "NonceCheckFail")

    with serve_http(node=FakeNode().on("sendTransaction", refuse)) as server:
        rpc = JsonRpc(HttpTransport(server.url, timeout=5), map_error_v3)
        with pytest.raises(NonceCheckFailed) as info:
            rpc.request("sendTransaction", ["group0", "", "0x00", False], idempotent=False)
    assert (info.value.code, info.value.node_message, info.value.reason) == (10000, "NonceCheckFail", "NonceCheckFail")
