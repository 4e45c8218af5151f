"""HTTP sender processes for the benchmarks, started from a small process of their own.

Why not ``fork`` from the benchmark: the benchmark process hosts our dev chains (their threads,
EVM state, stores). Eight children forked from it share its pages copy-on-write, so while they
live every page the chain writes for the first time is copied — a cost only OUR side paid (the
peers run in processes of their own). Nor ``forkserver``/``spawn``: their children import the
benchmark's main module again. Here each round runs this file as a fresh interpreter (standard
library only), which forks the senders from itself and hands back the figures (pickle over its
pipes: both ends are this benchmark).

The timed part starts when every sender is connected and waiting (a shared event), not at a
guessed instant: a sender that took long to start does not shorten or stretch the measurement.
Each sender sends its bodies one at a time, in order, on ONE keep-alive connection, and records
request -> answer latencies.

``check`` says what an answer must show:

- ``"fisco"``: a 3.x ``sendTransaction`` answer whose receipt has ``status`` 0;
- ``"eth-receipt"``: an Ethereum receipt with ``status`` 0x1 (``eth_sendRawTransactionSync``);
- ``"eth-poll"``: a transaction hash; the sender then asks ``eth_getTransactionReceipt`` on the
  same connection until the receipt is there (status 0x1), and the latency runs to that answer;
- ``"eth-hash"``: any result (an admission answer).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import pickle
import subprocess
import sys
import time
from typing import Any, Sequence
from urllib.parse import urlparse

__all__ = ["run_senders"]

_CTX = mp.get_context("fork")  # in the hub: a small process with one thread
#: How long the hub waits for every sender to be connected (s).
_READY_TIMEOUT = 60.0


def _check(check: str, answer: dict[str, Any]) -> Any:
    if "error" in answer:
        raise RuntimeError(f"refused: {answer['error']}")
    result = answer["result"]
    if check == "fisco" and result["status"] != 0:
        raise RuntimeError(f"failed: {result}")
    if check == "eth-receipt" and int(result["status"], 16) != 1:
        raise RuntimeError(f"failed: {result}")
    return result


def _poll(conn: http.client.HTTPConnection, tx_hash: str) -> None:
    body = json.dumps({"jsonrpc": "2.0", "id": 0, "method": "eth_getTransactionReceipt", "params": [tx_hash]})
    while True:
        conn.request("POST", "/", body, {"Content-Type": "application/json"})
        receipt = json.loads(conn.getresponse().read()).get("result")
        if receipt is not None:
            if int(receipt["status"], 16) != 1:
                raise RuntimeError(f"failed: {receipt}")
            return
        time.sleep(0.0005)  # not a busy loop: eight of them would take the cores from the node


def _sender(url: str, bodies: list[bytes], check: str, ready: Any, go: Any, out: Any) -> None:
    latencies: list[float] = []
    try:
        parsed = urlparse(url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        conn.connect()
    except Exception as exc:  # reported by the parent
        ready.put(f"{type(exc).__name__}: {exc}")
        return
    ready.put("ready")
    go.wait()
    try:
        for body in bodies:
            t0 = time.perf_counter()
            conn.request("POST", "/", body, {"Content-Type": "application/json"})
            result = _check(check, json.loads(conn.getresponse().read()))
            if check == "eth-poll":
                _poll(conn, result)
            latencies.append(time.perf_counter() - t0)
    except Exception as exc:  # reported by the parent
        out.put(f"{type(exc).__name__}: {exc}")
        return
    finally:
        conn.close()
    out.put(latencies)


def _hub(url: str, per_sender: Sequence[Sequence[bytes]], check: str) -> tuple[float, list[float]]:
    """In the hub process: fork the senders, release them together, time them."""
    ready, go, out = _CTX.Queue(), _CTX.Event(), _CTX.Queue()
    procs = [_CTX.Process(target=_sender, args=(url, list(b), check, ready, go, out), daemon=True)
             for b in per_sender]
    for p in procs:
        p.start()
    try:
        failures = [got for got in (ready.get(timeout=_READY_TIMEOUT) for _ in procs) if got != "ready"]
        if failures:
            raise RuntimeError(failures[0])
        start = time.perf_counter()
        go.set()
        latencies: list[float] = []
        for _ in procs:
            got = out.get(timeout=600)
            if isinstance(got, str):
                failures.append(got)
            else:
                latencies.extend(got)
        elapsed = time.perf_counter() - start
    finally:
        go.set()
        for p in procs:
            p.join(timeout=30)
    if failures:
        raise RuntimeError(failures[0])
    return elapsed, latencies


def run_senders(url: str, per_sender: Sequence[Sequence[bytes]], check: str) -> tuple[float, list[float]]:
    """Send each list from its own process; returns (elapsed seconds, latencies).

    Elapsed runs from the moment every sender is connected and released to the last answer."""
    job = pickle.dumps((url, [list(b) for b in per_sender], check))
    done = subprocess.run([sys.executable, __file__], input=job, capture_output=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"sender hub failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")
    result = pickle.loads(done.stdout)
    if isinstance(result, str):
        raise RuntimeError(result)
    return result


if __name__ == "__main__":
    _url, _per_sender, _check_kind = pickle.loads(sys.stdin.buffer.read())
    try:
        _result: object = _hub(_url, _per_sender, _check_kind)
    except Exception as _exc:  # the parent raises it
        _result = f"{type(_exc).__name__}: {_exc}"
    sys.stdout.buffer.write(pickle.dumps(_result))
