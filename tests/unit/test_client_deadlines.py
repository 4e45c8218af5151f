"""Issue 19 item 5: one total deadline per call, and failover on any failed answer.

Every test runs real fake nodes on 127.0.0.1 and measures the elapsed time of the deadline it
exercises. The issue asks for 10 %; the bounds asserted here are ``deadline <= elapsed <=
deadline * 1.1 + 0.5 s`` so a loaded 2-core CI does not flake; the measured figures are printed
(``pytest -s``) and reported in docs/sdk.md.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.cli.main import main
from fisco_drugtrace.client import client_for_transport, connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.crypto import ECDSA
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.errors import RequestTimeout, RpcError, TransportError
from fisco_drugtrace.rpc import FailoverTransport, HttpTransport, InProcessTransport, JsonRpc, RetryPolicy
from tests.fakes import FakeNode, RpcFailure, black_hole, serve_http, v3_node

REQUEST = b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",""]}'


def _upper(deadline: float) -> float:
    return deadline * 1.1 + 0.5


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.monotonic()
    try:
        result: Any = call()
    except Exception as exc:  # the caller asserts on the type
        result = exc
    return time.monotonic() - start, result


def test_a_drip_feeding_node_cannot_keep_a_call_alive() -> None:
    """One byte every 2 s (status line and headers included): requests' per-read timeout never fired."""
    with serve_http("drip", delay=2.0) as server:
        rpc = JsonRpc(HttpTransport(server.url), timeout=3.0)
        elapsed, result = _timed(lambda: rpc.request("getBlockNumber", ["group0", ""]))
    print(f"drip-feeder, deadline 3 s: {elapsed:.3f} s")
    assert isinstance(result, RequestTimeout), result
    assert 3.0 <= elapsed <= _upper(3.0)
    assert "3 s" in str(result)
    assert 1 <= len(server.sent) <= 4  # it really was dripping, and we stopped listening


def test_a_stalling_node_costs_one_deadline_not_one_per_retry() -> None:
    """Before: timeout=10 took 40.7 s against a stalling node (four attempts)."""
    with serve_http("stall", stall=30) as server:
        rpc = JsonRpc(HttpTransport(server.url), retry=RetryPolicy(attempts=4, backoff=0.01), timeout=2.0)
        elapsed, result = _timed(lambda: rpc.request("getBlockNumber", ["group0", ""]))
    print(f"stalling node, 4 attempts allowed, deadline 2 s: {elapsed:.3f} s")
    assert isinstance(result, RequestTimeout), result
    assert 2.0 <= elapsed <= _upper(2.0)
    assert "within 2 s" in str(result)


def test_a_node_that_never_completes_the_tcp_handshake_costs_one_deadline() -> None:
    with black_hole(drop_syn=True) as hole:
        rpc = JsonRpc(HttpTransport(hole), retry=RetryPolicy(attempts=4, backoff=0.01), timeout=1.5)
        elapsed, result = _timed(lambda: rpc.request("getBlockNumber", []))
    print(f"SYN-dropping node, deadline 1.5 s: {elapsed:.3f} s")
    assert isinstance(result, RequestTimeout), result
    assert 1.5 <= elapsed <= _upper(1.5)


def test_two_stalling_nodes_and_ten_attempts_share_one_deadline() -> None:
    with serve_http("stall", stall=30) as stalled:
        failover = FailoverTransport([HttpTransport(stalled.url), HttpTransport(stalled.url)])
        rpc = JsonRpc(failover, retry=RetryPolicy(attempts=10, backoff=0.05), timeout=1.5)
        elapsed, result = _timed(lambda: rpc.request("getBlockNumber", []))
    print(f"two stalling nodes, deadline 1.5 s: {elapsed:.3f} s")
    assert isinstance(result, RequestTimeout)
    assert 1.5 <= elapsed <= _upper(1.5)
    assert len(stalled.hits) == 2  # each node got its share, no third try after the deadline


@pytest.mark.parametrize("drop_syn", [False, True], ids=["accepts-never-answers", "drops-syn"])
def test_black_hole_first_node_leaves_time_for_the_healthy_second(drop_syn: bool) -> None:
    """Before: the healthy second node was never tried (RequestTimeout after 20.7 s)."""
    node = FakeNode().on("getBlockNumber", 7)
    with black_hole(drop_syn=drop_syn) as hole, serve_http(node=node) as live:
        client = connect(Settings(urls=(hole, live.url), timeout=4.0, retries=0))
        elapsed, result = _timed(client.block_number)
        again, second = _timed(client.block_number)
        client.close()
    print(f"black hole ({'drops SYN' if drop_syn else 'never answers'}) + healthy, deadline 4 s: "
          f"first call {elapsed:.3f} s, next call {again:.3f} s")
    assert result == 7 and second == 7
    assert elapsed <= 4.0 * 0.5 + 0.5  # the first node's share is half the budget
    assert again < 0.5  # the healthy node is now the preferred one
    assert len(live.hits) == 2


@pytest.mark.parametrize("mode", ["html", "http500", "half_json", "empty", "stall"])
def test_any_failed_answer_moves_a_read_to_the_next_node(mode: str) -> None:
    node = FakeNode().on("getBlockNumber", 9)
    with serve_http(mode, stall=30) as broken, serve_http(node=node) as live:
        failover = FailoverTransport([HttpTransport(broken.url), HttpTransport(live.url)])
        rpc = JsonRpc(failover, retry=RetryPolicy(attempts=1), timeout=2.0)
        elapsed, result = _timed(lambda: rpc.request("getBlockNumber", []))
    print(f"{mode} first node + healthy second, deadline 2 s: {elapsed:.3f} s")
    assert result == 9
    assert len(broken.hits) == 1 and len(live.hits) == 1
    assert elapsed <= _upper(2.0)


def test_oversize_answer_moves_a_read_to_the_next_node() -> None:
    node = FakeNode().on("getBlockNumber", 9)
    with serve_http("giant_declared") as giant, serve_http(node=node) as live:
        failover = FailoverTransport([HttpTransport(giant.url, max_answer_bytes=1 << 20), HttpTransport(live.url)])
        assert JsonRpc(failover, retry=RetryPolicy(attempts=1)).request("getBlockNumber", []) == 9


class _StallingSend:
    """A v3 node whose ``sendTransaction`` stalls (it records what it was given first)."""

    def __init__(self) -> None:
        self.node = v3_node()
        self.release = threading.Event()
        self.node.on("sendTransaction", self._stall)

    def _stall(self, params: list[Any]) -> Any:
        self.release.wait(30)
        raise RpcFailure(-32603, "released at the end of the test")


def _signer() -> LocalSigner:
    return LocalSigner(KeyPair.generate(ECDSA))


def _sent(node: FakeNode) -> list[str]:
    return [params[2] for method, params in node.calls if method == "sendTransaction"]


def test_a_write_is_re_sent_to_the_next_node_only_as_the_same_signed_bytes() -> None:
    slow = _StallingSend()
    live = v3_node()
    with serve_http(node=slow.node) as first, serve_http(node=live) as second:
        failover = FailoverTransport([HttpTransport(first.url), HttpTransport(second.url)])
        client = client_for_transport(failover, Settings(timeout=4.0))
        elapsed, receipt = _timed(lambda: client.send_transaction(_signer(), "0x" + "12" * 20, b"\x01",
                                                                  timeout=4.0))
        slow.release.set()
    print(f"write, stalling first node + healthy second, deadline 4 s: {elapsed:.3f} s")
    assert not isinstance(receipt, Exception), receipt
    assert _sent(slow.node) == _sent(live) and len(_sent(live)) == 1  # same hex, not re-signed
    assert elapsed <= _upper(4.0)


def test_a_write_nobody_confirms_reports_its_transaction_hash() -> None:
    slow = _StallingSend()
    with serve_http(node=slow.node) as only:
        client = client_for_transport(HttpTransport(only.url), Settings(timeout=30.0))
        signed: list[Any] = []
        sign = client.sign_transaction
        client.sign_transaction = lambda *a, **k: signed.append(sign(*a, **k)) or signed[-1]  # type: ignore
        elapsed, error = _timed(lambda: client.send_transaction(_signer(), "0x" + "12" * 20, b"\x01",
                                                                timeout=2.0))
        slow.release.set()
    print(f"write, stalling only node, deadline 2 s: {elapsed:.3f} s")
    assert isinstance(error, TransportError), error
    assert error.tx_hash == signed[0].tx_hash
    assert signed[0].tx_hash in str(error)
    assert 2.0 <= elapsed <= _upper(2.0)
    assert len(_sent(slow.node)) == 1  # nothing re-signed or re-sent past the deadline


def test_cli_timeout_is_the_total_deadline(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: "did not answer within 30 s" came after 121 s."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FISCO_DRUGTRACE_CONFIG", raising=False)
    with serve_http("stall", stall=30) as server:
        elapsed, code = _timed(lambda: main(["--rpc-url", server.url, "--timeout", "1.5", "node", "info"]))
    _, err = capsys.readouterr()
    print(f"CLI --timeout 1.5 against a stalling node: {elapsed:.3f} s")
    assert code == 3
    assert "1.5 s" in err and "Traceback" not in err
    assert 1.5 <= elapsed <= _upper(1.5)


def test_fisco_timeout_environment_sets_the_deadline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from fisco_drugtrace.config import load_settings

    monkeypatch.setenv("FISCO_TIMEOUT", "2.5")
    assert load_settings(cwd=tmp_path).timeout == 2.5
    monkeypatch.setenv("FISCO_TIMEOUT", "nan")
    with pytest.raises(Exception, match="finite"):
        load_settings(cwd=tmp_path)


def test_waiting_for_a_receipt_ends_with_its_timeout_even_if_a_poll_stalls() -> None:
    """A poll used to wait the full call deadline (30 s here) whatever the wait's own timeout."""
    node = v3_node()
    release = threading.Event()

    def stalled(params: list[Any]) -> Any:
        release.wait(30)
        raise RpcFailure(-32603, "released at the end of the test")

    node.on("getTransactionReceipt", stalled)
    with serve_http(node=node) as server:
        client = client_for_transport(HttpTransport(server.url), Settings(timeout=30.0, retries=0))
        elapsed, result = _timed(lambda: client.wait_for_receipt("0x" + "cd" * 32, timeout=1.5))
        release.set()
    print(f"wait_for_receipt(timeout=1.5) against a stalling poll: {elapsed:.3f} s")
    assert isinstance(result, TransportError), result
    assert 1.5 <= elapsed <= _upper(1.5)


def test_within_bounds_every_call_of_an_operation_and_nests_to_the_earliest() -> None:
    with serve_http("stall", stall=30) as server:
        rpc = JsonRpc(HttpTransport(server.url), retry=RetryPolicy(attempts=1), timeout=30.0)
        with rpc.within(5.0):
            with rpc.within(1.0):
                elapsed, result = _timed(lambda: rpc.request("getBlockNumber", []))
    assert isinstance(result, RequestTimeout)
    assert 1.0 <= elapsed <= _upper(1.0)


def test_a_refused_write_still_names_its_transaction() -> None:
    def full(params: list[Any]) -> Any:
        raise RpcFailure(10005, "TxPoolIsFull")

    node = v3_node().on("sendTransaction", full)
    client = client_for_transport(InProcessTransport(node.handle_raw), Settings())
    signed: list[Any] = []
    sign = client.sign_transaction
    client.sign_transaction = lambda *a, **k: signed.append(sign(*a, **k)) or signed[-1]  # type: ignore
    with pytest.raises(RpcError) as info:
        client.send_transaction(_signer(), "0x" + "12" * 20, b"\x01", timeout=5.0)
    assert info.value.tx_hash == signed[0].tx_hash
