"""The split HTTP front (HTTP in a child process, the chain's work in one engine thread) answers
exactly what the threaded server answers: the SDK's flows, the HTTP limits, errors, keep-alive,
manual mining holding a transaction, and many concurrent senders."""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any, Iterator

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.contracts.binding import Contract
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs, serve
from fisco_drugtrace.devchain.frontproc import serve_split

from devchain_helpers import STORE, set_call, tx3

SIGNER = LocalSigner(dev_keypairs(1)[0])


@pytest.fixture
def both() -> Iterator[tuple[DevChain, str, str]]:
    with DevChain(DevChainConfig()) as chain:
        split, threaded = serve_split(chain), serve(chain)
        try:
            yield chain, split.url, threaded.url
        finally:
            split.stop()
            threaded.stop()


def _post(url: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST") -> tuple[int, Any]:
    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, "/", body, headers if headers is not None else {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def _rpc(url: str, method: str, params: list) -> Any:
    return _post(url, json.dumps({"jsonrpc": "2.0", "id": 5, "method": method, "params": params}).encode())[1]


def test_the_sdk_deploys_and_transacts_through_the_split_front(both: tuple[DevChain, str, str]) -> None:
    chain, split, threaded = both
    client = connect(Settings(chain_id="chain0", urls=(split,)))
    store = Contract.deploy(client, (STORE["abi"], STORE["bytecode"]), 42, signer=SIGNER)
    store.transact("set", 7)
    assert store.call("value") == 7
    assert Contract(connect(Settings(chain_id="chain0", urls=(threaded,))), STORE["abi"], store.address).call("value") == 7
    for method, params in (("getBlockNumber", ["group0", ""]), ("getBlockByNumber", ["group0", "", 1, True, True]),
                           ("sendTransaction", ["group9", "", "0x00", False]),
                           ("sendTransaction", ["group0", "", "0x00", False]), ("nope", [])):
        assert _rpc(split, method, params) == _rpc(threaded, method, params), method
    client.close()


def test_http_limits_and_errors_are_the_threaded_servers(both: tuple[DevChain, str, str]) -> None:
    _, split, threaded = both
    for url in (split, threaded):
        assert _post(url, b"{nope")[1]["error"]["code"] == -32700
        assert _post(url, b"", method="GET")[0] == 405
        assert _post(url, b"x", {"Content-Length": str(11 * 1024 * 1024)})[0] == 413
    assert _post(split, b"{nope")[1] == _post(threaded, b"{nope")[1]


def test_manual_mining_holds_a_send_until_mined_through_the_split_front(both: tuple[DevChain, str, str]) -> None:
    chain, split, _ = both
    client = connect(Settings(chain_id="chain0", urls=(split,)))
    store = Contract.deploy(client, (STORE["abi"], STORE["bytecode"]), 1, signer=SIGNER)
    assert _rpc(split, "dev_setMining", ["manual"])["result"] is True
    answers: list[Any] = []
    raw = tx3(chain, store.address, set_call(3))
    sender = threading.Thread(target=lambda: answers.append(
        _rpc(split, "sendTransaction", ["group0", "", "0x" + raw.hex(), False])))
    sender.start()
    for _ in range(500):
        if chain.chain.pool.pending_count():
            break
        threading.Event().wait(0.01)
    assert not answers and _rpc(split, "getBlockNumber", ["group0", ""])["result"] == chain.block_number
    assert _rpc(split, "dev_mine", [1])["result"] == chain.block_number
    sender.join(10)
    assert answers[0]["result"]["status"] == 0
    _rpc(split, "dev_setMining", ["auto"])


def test_many_concurrent_senders(both: tuple[DevChain, str, str]) -> None:
    chain, split, _ = both
    client = connect(Settings(chain_id="chain0", urls=(split,)))
    store = Contract.deploy(client, (STORE["abi"], STORE["bytecode"]), 1, signer=SIGNER)
    bodies = [json.dumps({"jsonrpc": "2.0", "id": i, "method": "sendTransaction",
                          "params": ["group0", "", "0x" + tx3(chain, store.address, set_call(i)).hex(), False]}).encode()
              for i in range(80)]
    results: list[Any] = []
    lock = threading.Lock()

    def send(chunk: list[bytes]) -> None:
        host, port = split.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)  # keep-alive: one connection each
        for body in chunk:
            conn.request("POST", "/", body, {"Content-Type": "application/json"})
            got = json.loads(conn.getresponse().read())
            with lock:
                results.append(got)
        conn.close()

    threads = [threading.Thread(target=send, args=(bodies[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 80 and all(r["result"]["status"] == 0 for r in results)
    assert chain.chain.total_txs == 81


def test_a_started_chain_can_use_the_process_front() -> None:
    from fisco_drugtrace.devchain import runner
    from fisco_drugtrace.errors import DevChainError

    running = runner.start(runner.StartOptions(port=0, http_front="process"))
    try:
        client = connect(Settings(chain_id="chain0", urls=(running.url,)))
        assert Contract.deploy(client, (STORE["abi"], STORE["bytecode"]), 3, signer=SIGNER).call("value") == 3
        client.close()
    finally:
        running.close()
    with pytest.raises(DevChainError, match="plain HTTP"):
        runner.start(runner.StartOptions(port=0, http_front="process", tls=True))
