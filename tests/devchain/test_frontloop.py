"""The loop HTTP front (:mod:`.frontloop`: one selectors thread, sends run as rounds) answers
exactly what the threaded server answers — the SDK's flows, every malformed input byte for byte,
pipelining, keep-alive — holds a send under manual and interval mining until its block, keeps
serving when its round raises, and stops cleanly."""

from __future__ import annotations

import http.client
import json
import random
import socket
import threading
import time
from typing import Any, Iterator

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.contracts.binding import Contract
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs, serve
from fisco_drugtrace.devchain.server import ServerHandle

from devchain_helpers import STORE, hostport, set_call, tx3

SIGNER = LocalSigner(dev_keypairs(1)[0])
BLOCK_NUMBER = b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",""]}'


@pytest.fixture(params=["v3", "v2"])
def both(request: pytest.FixtureRequest) -> Iterator[tuple[DevChain, str, str]]:
    with DevChain(DevChainConfig(dialect=request.param)) as chain:
        loop, threaded = serve(chain, front="loop"), serve(chain)
        try:
            yield chain, loop.url, threaded.url
        finally:
            loop.stop()
            threaded.stop()


@pytest.fixture
def loop3() -> Iterator[tuple[DevChain, ServerHandle]]:
    with DevChain(DevChainConfig()) as chain:
        handle = serve(chain, front="loop")
        try:
            yield chain, handle
        finally:
            handle.stop()


def _post(url: str, body: bytes, headers: dict[str, str] | None = None, method: str = "POST") -> tuple[int, Any]:
    conn = http.client.HTTPConnection(*hostport(url), timeout=30)
    try:
        conn.request(method, "/", body, headers if headers is not None else {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


def _rpc(url: str, method: str, params: list, req_id: Any = 5) -> Any:
    return _post(url, json.dumps({"jsonrpc": "2.0", "id": req_id, "method": method, "params": params}).encode())[1]


def _exchange_once(url: str, payload: bytes, half_close: bool, timeout: float) -> tuple[bytes, bool]:
    """(all the bytes answered, whether the connection was reset on the way)."""
    reset = False
    chunks = []
    with socket.create_connection(hostport(url), timeout=timeout) as sock:
        try:
            sock.sendall(payload)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server answered and closed before taking it all (a too-long line)
            reset = True
        while True:
            try:
                data = sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                reset = True
                break
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks), reset


def _exchange(url: str, payload: bytes, half_close: bool = True, timeout: float = 10) -> bytes:
    """Send ``payload`` on a fresh connection (then FIN unless told not to); all the bytes answered.

    A server that closes with bytes of the request unread makes the kernel reset the connection,
    which may discard the answer before it is read (either front): such an exchange is tried again."""
    for _ in range(5):
        reply, reset = _exchange_once(url, payload, half_close, timeout)
        if not reset or reply:
            return reply
    return reply


def _send_body(chain: DevChain, to: str, value: int, req_id: Any = 1, proof: Any = False) -> bytes:
    raw = tx3(chain, to, set_call(value))
    return json.dumps({"jsonrpc": "2.0", "id": req_id, "method": "sendTransaction",
                       "params": ["group0", "", "0x" + raw.hex(), proof]}).encode()


def _deploy(url: str) -> Contract:
    client = connect(Settings(chain_id="chain0", urls=(url,)))
    return Contract.deploy(client, (STORE["abi"], STORE["bytecode"]), 1, signer=SIGNER)


# ------------------------------------------------------------------ the same answers
def test_the_sdk_and_raw_requests_get_the_threaded_servers_answers(both: tuple[DevChain, str, str]) -> None:
    chain, loop, threaded = both
    v3 = chain.config.dialect.value == "v3"
    group: Any = "group0" if v3 else 1
    chain_id = "chain0" if v3 else "1"
    client = connect(Settings(chain_id=chain_id, urls=(loop,), dialect=chain.config.dialect, group=group))
    store = Contract.deploy(client, (STORE["abi"], STORE["bytecode"]), 42, signer=SIGNER)
    store.transact("set", 7)
    assert store.call("value") == 7
    other = connect(Settings(chain_id=chain_id, urls=(threaded,), dialect=chain.config.dialect, group=group))
    assert Contract(other, STORE["abi"], store.address).call("value") == 7
    if v3:
        cases = [("getBlockNumber", ["group0", ""]), ("getBlockByNumber", ["group0", "", 1, True, True]),
                 ("sendTransaction", ["group9", "", "0x00", False]), ("sendTransaction", ["group0", "", "0x00", False]),
                 ("sendTransaction", ["group0", "", "0xzz", False]), ("sendTransaction", ["group0"]),
                 ("sendTransaction", ["group0", "", 7, False]), ("nope", [])]
    else:
        cases = [("getBlockNumber", [1]), ("getBlockByNumber", [1, "0x1", True]),
                 ("sendRawTransaction", [1, "0x00"]), ("nope", [])]
    for method, params in cases:
        assert _rpc(loop, method, params) == _rpc(threaded, method, params), method
    for body in (b"{nope", b"[]", b"[1,2]", b"7", b'{"id":1}', b'{"jsonrpc":"2.0","id":"x","method":"sendTransaction"}',
                 b'{"jsonrpc":"2.0","id":1.5,"method":"getBlockNumber","params":[]}', b"\xff\xfe", b"[" * 100_000):
        assert _post(loop, body) == _post(threaded, body), body[:40]
    client.close()
    other.close()


def test_a_send_answer_is_the_in_process_answer(loop3: tuple[DevChain, ServerHandle]) -> None:
    """A fast-path send's answer (built by the loop) equals the envelope's for the same kind of tx."""
    chain, handle = loop3
    store = _deploy(handle.url)
    for proof in (False, True, None):
        over_http = _post(handle.url, _send_body(chain, store.address, 3, proof=proof))[1]
        in_process = json.loads(chain.handle_raw(_send_body(chain, store.address, 3, proof=proof)))
        for answer in (over_http, in_process):
            result = answer["result"]
            del result["transactionHash"], result["hash"], result["blockNumber"], result["input"]
        assert over_http == in_process
    # a proof flag that is not a boolean: the envelope's own path (its error, after the send)
    assert _post(handle.url, _send_body(chain, store.address, 4, proof="yes"))[1] == {
        "jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "Invalid params: param 3 must be a boolean"}}
    # an id that is not an integer: the envelope refuses it
    assert _post(handle.url, _send_body(chain, store.address, 5, req_id="a"))[1]["error"]["code"] == -32600


def test_a_refused_send_gets_the_nodes_refusal(loop3: tuple[DevChain, ServerHandle]) -> None:
    chain, handle = loop3
    store = _deploy(handle.url)
    body = _send_body(chain, store.address, 9)
    assert _post(handle.url, body)[1]["result"]["status"] == 0
    again = _post(handle.url, body)[1]
    assert again == json.loads(chain.handle_raw(body))  # a replay: the same refusal both ways
    assert "error" in again


# ------------------------------------------------------------------ malformed input, byte for byte
_HEADS = [b"POST / HTTP/1.1\r\n", b"POST / HTTP/1.0\r\n", b"GET / HTTP/1.1\r\n", b"OPTIONS / HTTP/1.1\r\n",
          b"PUT /x HTTP/1.1\r\n", b"POST / HTTP/2\r\n", b"POST /\r\n", b"garbage\r\n", b"\r\n", b"\n",
          b"POST / HTTP/1.1\n", b"POST  /  HTTP/1.1 \r\n", b"BREW / HTTP/1.1\r\n"]
_HEADERS = [b"Content-Length: %d\r\n", b"content-length:%d\r\n", b"Connection: close\r\n", b"Connection: keep-alive\r\n",
            b"Transfer-Encoding: chunked\r\n", b"Content-Length: -1\r\n", b"Content-Length: 1x\r\n",
            b"Host: x\r\n", b"X: " + b"y" * 70_000 + b"\r\n", b"no colon\r\n", b"Content-Length: 99999999\r\n",
            b"Upgrade: h2c\r\n"]


def _random_request(rng: random.Random) -> bytes:
    body = rng.choice([BLOCK_NUMBER, b"{nope", b"", b"[" * 50, bytes(rng.randrange(256) for _ in range(20))])
    out = rng.choice(_HEADS)
    for _ in range(rng.randrange(4)):
        header = rng.choice(_HEADERS)
        out += header % len(body) if b"%d" in header else header
    if rng.random() < 0.9:
        out += rng.choice([b"\r\n", b"\n"])
    out += body
    cut = rng.random()
    if cut < 0.2:  # a half request
        out = out[:rng.randrange(len(out) + 1)]
    elif cut < 0.3:  # noise
        out = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    return out


def test_malformed_http_gets_the_threaded_servers_bytes(both: tuple[DevChain, str, str]) -> None:
    _, loop, threaded = both
    fixed = [b"", b"garbage\r\n\r\n", b"x" * 70_000, b"POST / HTTP/1.1\r\n" + b"H%d: v\r\n" * 0
             + b"".join(b"H%d: v\r\n" % i for i in range(101)) + b"\r\n",
             b"POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n{}",  # body cut short by the FIN
             b"POST / HTTP/1.1\r\n",  # request line, then FIN
             b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}POST / HTTP/1.1\r\nConnection: close\r\n"
             b"Content-Length: 2\r\n\r\n[]",  # pipelined
             b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(BLOCK_NUMBER) + BLOCK_NUMBER
             + b"\r\n\r\nGET / HTTP/1.1\r\n\r\n"]
    rng = random.Random(18)
    for payload in fixed + [_random_request(rng) for _ in range(150)]:
        assert _exchange(loop, payload) == _exchange(threaded, payload), payload[:120]


def test_a_giant_body_is_read_whole_and_an_oversized_one_refused(loop3: tuple[DevChain, ServerHandle]) -> None:
    _, handle = loop3
    padded = BLOCK_NUMBER[:-1] + b"," + b'"pad":"' + b"x" * (8 * 1024 * 1024) + b'"}'
    status, answer = _post(handle.url, padded)
    assert status == 200 and answer["result"] == 0
    reply = _exchange(handle.url, b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (10 * 1024 * 1024 + 1),
                      half_close=False)
    assert reply.startswith(b"HTTP/1.1 413 ") and b"Connection: close" in reply


def test_a_slow_client_does_not_hold_up_the_others(loop3: tuple[DevChain, ServerHandle]) -> None:
    chain, handle = loop3
    store = _deploy(handle.url)
    slow = socket.create_connection(hostport(handle.url), timeout=10)
    body = _send_body(chain, store.address, 11)
    request = b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    try:
        for i in range(0, len(request) - 10, 7):  # drip-fed, while another client is served
            slow.sendall(request[i:i + 7])
            if i % 70 == 0:
                assert _rpc(handle.url, "getBlockNumber", ["group0", ""])["result"] >= 1
        slow.sendall(request[i + 7:])
        reply = b""
        while b'"status"' not in reply:
            reply += slow.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200 OK") and b'"status":0' in reply
    finally:
        slow.close()


def test_a_client_that_floods_while_its_send_is_held_is_held_back(loop3: tuple[DevChain, ServerHandle]) -> None:
    """What a client sends while its request is answered is not read without bound: like a thread
    per connection, the loop stops reading it (the kernel's buffers fill and the client blocks)."""
    chain, handle = loop3
    store = _deploy(handle.url)
    _rpc(handle.url, "dev_setMining", ["manual"])
    body = _send_body(chain, store.address, 12)
    flood = socket.create_connection(hostport(handle.url), timeout=3)
    try:
        flood.sendall(b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        for _ in range(500):
            if chain.chain.pool.pending_count():
                break
            time.sleep(0.01)
        chunk = b"x" * (1 << 20)
        sent = 0
        with pytest.raises(socket.timeout):
            for _ in range(200):  # 200 MB: far more than the socket buffers hold
                flood.sendall(chunk)
                sent += len(chunk)
        assert sent < 100 << 20
        assert _rpc(handle.url, "getBlockNumber", ["group0", ""])["result"] == chain.block_number  # others served
        assert _rpc(handle.url, "dev_mine", [1])["result"] == chain.block_number
        flood.settimeout(10)
        reply = b""
        while b'"status"' not in reply:
            reply += flood.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200 OK")  # the held send is answered once mined
    finally:
        flood.close()
        _rpc(handle.url, "dev_setMining", ["auto"])


# ------------------------------------------------------------------ mining modes
def test_manual_mining_holds_a_send_and_the_loop_keeps_serving(loop3: tuple[DevChain, ServerHandle]) -> None:
    chain, handle = loop3
    url = handle.url
    store = _deploy(url)
    assert _rpc(url, "dev_setMining", ["manual"])["result"] is True
    answers: list[Any] = []
    bodies = [_send_body(chain, store.address, 20 + i, req_id=i) for i in range(3)]
    bodies.append(_send_body(chain, store.address, 30, req_id=3, proof="yes"))  # the worker path, held too
    senders = [threading.Thread(target=lambda b=b: answers.append(_post(url, b)[1])) for b in bodies]
    for s in senders:
        s.start()
    for _ in range(500):
        if chain.chain.pool.pending_count() == 4:
            break
        time.sleep(0.01)
    assert chain.chain.pool.pending_count() == 4
    assert not answers and _rpc(url, "getBlockNumber", ["group0", ""])["result"] == chain.block_number
    assert _rpc(url, "dev_mine", [1])["result"] == chain.block_number
    for s in senders:
        s.join(10)
    by_id = {a["id"]: a for a in answers}
    assert [by_id[i]["result"]["status"] for i in range(3)] == [0, 0, 0]
    assert by_id[3]["error"]["code"] == -32602
    assert _rpc(url, "dev_setMining", ["auto"])["result"] is True


def test_interval_mining_answers_a_send_when_its_block_is_sealed(loop3: tuple[DevChain, ServerHandle]) -> None:
    chain, handle = loop3
    store = _deploy(handle.url)
    assert _rpc(handle.url, "dev_setMining", ["interval", 300])["result"] is True
    try:
        started = time.monotonic()
        answer = _post(handle.url, _send_body(chain, store.address, 41))[1]
        assert answer["result"]["status"] == 0 and time.monotonic() - started >= 0.05
    finally:
        _rpc(handle.url, "dev_setMining", ["auto"])


def test_many_concurrent_senders_share_rounds(loop3: tuple[DevChain, ServerHandle]) -> None:
    chain, handle = loop3
    store = _deploy(handle.url)
    bodies = [_send_body(chain, store.address, i, req_id=i) for i in range(160)]
    results: list[Any] = []
    lock = threading.Lock()

    def send(chunk: list[bytes]) -> None:
        conn = http.client.HTTPConnection(*hostport(handle.url), timeout=30)  # keep-alive: one connection each
        for body in chunk:
            conn.request("POST", "/", body, {"Content-Type": "application/json"})
            got = json.loads(conn.getresponse().read())
            with lock:
                results.append(got)
        conn.close()

    threads = [threading.Thread(target=send, args=(bodies[i::8],)) for i in range(8)]
    before = chain.block_number
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r["id"] for r in results) == list(range(160))
    assert all(r["result"]["status"] == 0 for r in results)
    assert chain.chain.total_txs == 161 and chain.block_number - before <= 160


# ------------------------------------------------------------------ failures and shutdown
def test_a_round_that_raises_is_answered_and_the_loop_keeps_serving(loop3: tuple[DevChain, ServerHandle],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    chain, handle = loop3
    store = _deploy(handle.url)
    real = chain.chain.run_round
    calls = []

    def broken(waiters: list) -> None:
        calls.append(len(waiters))
        if len(calls) == 1:
            raise RuntimeError("engine bug")
        real(waiters)

    monkeypatch.setattr(chain.chain, "run_round", broken)
    assert _post(handle.url, _send_body(chain, store.address, 50))[1] == {
        "jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "Internal error: RuntimeError: engine bug"}}
    assert _post(handle.url, _send_body(chain, store.address, 51))[1]["result"]["status"] == 0
    methods = chain.methods
    monkeypatch.setattr(methods, "receipt_json", lambda receipt, tx: 1 / 0)
    assert _post(handle.url, _send_body(chain, store.address, 52))[1]["error"]["message"] == (
        "Internal error: ZeroDivisionError: division by zero")
    monkeypatch.undo()
    assert _rpc(handle.url, "getBlockNumber", ["group0", ""])["result"] == chain.block_number
    assert Contract(connect(Settings(chain_id="chain0", urls=(handle.url,))), STORE["abi"],
                    store.address).call("value") == 52  # the round ran: only its answer failed


def test_a_closed_chain_answers_sends_with_its_error(loop3: tuple[DevChain, ServerHandle]) -> None:
    chain, handle = loop3
    store = _deploy(handle.url)
    body = _send_body(chain, store.address, 60)
    chain.chain.close()
    answer = _post(handle.url, body)[1]
    assert answer == {"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "the chain is closed"}}


def test_stop_closes_connections_and_the_port_even_with_a_send_held() -> None:
    with DevChain(DevChainConfig()) as chain:
        handle = serve(chain, front="loop")
        store = _deploy(handle.url)
        _rpc(handle.url, "dev_setMining", ["manual"])
        idle = socket.create_connection(hostport(handle.url), timeout=10)
        held = socket.create_connection(hostport(handle.url), timeout=10)
        body = _send_body(chain, store.address, 70)
        held.sendall(b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        for _ in range(500):
            if chain.chain.pool.pending_count():
                break
            time.sleep(0.01)
        threads = {t.name for t in threading.enumerate()}
        assert "devchain-http-loop" in threads
        started = time.monotonic()
        handle.stop()
        assert time.monotonic() - started < 5
        assert "devchain-http-loop" not in {t.name for t in threading.enumerate()}
        for sock in (idle, held):
            assert sock.recv(1) == b""
            sock.close()
        with pytest.raises(OSError):
            socket.create_connection(hostport(handle.url), timeout=2).close()
        handle.stop()  # twice: nothing happens


def test_a_started_chain_can_use_the_loop_front() -> None:
    from fisco_drugtrace.devchain import runner
    from fisco_drugtrace.errors import DevChainError

    running = runner.start(runner.StartOptions(port=0, http_front="loop"))
    try:
        assert _deploy(running.url).call("value") == 1
    finally:
        running.close()
    for options, loop_thread in ((runner.StartOptions(port=0), True), (runner.StartOptions(port=0, tls=True), True),
                                 (runner.StartOptions(port=0, tls=True, http_front="thread"), False)):
        running = runner.start(options)  # the default: the loop, with or without TLS
        try:
            assert running.url.startswith("https://" if options.tls else "http://")
            assert ("devchain-http-loop" in {t.name for t in threading.enumerate()}) is loop_thread
            assert running.front == ("loop" if loop_thread else "thread")
        finally:
            running.close()
    with pytest.raises(DevChainError, match="plain HTTP"):
        runner.start(runner.StartOptions(port=0, http_front="process", tls=True))
    with pytest.raises(ValueError, match="unknown HTTP front"):
        serve(object(), front="fibres")  # type: ignore[arg-type]


@pytest.mark.parametrize(("argv", "front"), [((), "loop"), (("--http-front", "loop"), "loop"),
                                             (("--tls",), "loop"), (("--http-front", "thread"), "thread"),
                                             (("--tls", "--http-front", "thread"), "thread")],
                         ids=["default", "asked", "tls", "thread", "tls-thread"])
def test_devchain_start_says_which_front_serves(tmp_path: Any, argv: tuple[str, ...], front: str) -> None:
    """``devchain start`` serves the loop front (with or without TLS) unless the threaded one is asked for,
    and says which one in its summary; the chain answers through it."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "fisco_drugtrace.cli.main", "devchain", "start", "--port", "0",
                             "--json", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:  # the summary is one JSON document, printed before serving
            lines.append(line)
            try:
                summary = json.loads(b"".join(lines))
                break
            except ValueError:
                continue
        else:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "no summary")
        assert summary["http_front"] == front
        assert summary["url"].startswith("https://" if "--tls" in argv else "http://")
        if "--tls" not in argv:
            assert _deploy(summary["url"]).call("value") == 1
    finally:
        proc.terminate()
        assert proc.wait(20) == 0  # a clean stop
