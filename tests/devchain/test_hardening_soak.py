"""Issue 19 soak: 20 `kill -9` cycles of a served chain under load; after every restart every
transaction ever acknowledged is re-read and must be exactly what was answered. 0 lost."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from devchain_helpers import SIGNERS, set_call, store_deploy, tx3
from hardening_helpers import start_chain

pytestmark = pytest.mark.slow

CYCLES = 20


class _Height:
    block_number = 0


def _send(session: requests.Session, url: str, raw: bytes) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": "sendTransaction", "params": ["group0", "", "0x" + raw.hex(), False]}
    return session.post(url, data=json.dumps(body), timeout=30).json()


def _receipt(session: requests.Session, url: str, tx_hash: str) -> dict | None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "getTransactionReceipt", "params": ["group0", "", tx_hash, False]}
    return session.post(url, data=json.dumps(body), timeout=30).json().get("result")


def test_twenty_kill_nine_cycles_under_load_lose_nothing(tmp_path: Path) -> None:
    height = _Height()
    proc, url = start_chain(tmp_path)
    with requests.Session() as session:
        deploy = _send(session, url, tx3(height, "", store_deploy()))["result"]  # type: ignore[arg-type]
    address = deploy["contractAddress"]
    answered: dict[str, dict] = {deploy["transactionHash"]: deploy}
    restarts: list[float] = []
    lost: list[str] = []
    for cycle in range(CYCLES):
        lock = threading.Lock()
        stop = threading.Event()

        def load(worker: int) -> None:
            with requests.Session() as session:
                n = 0
                while not stop.is_set():
                    raw = tx3(height, address, set_call(cycle * 10**6 + worker * 10**4 + n),  # type: ignore[arg-type]
                              signer=SIGNERS[worker % 3])
                    n += 1
                    try:
                        got = _send(session, url, raw)
                    except (requests.RequestException, ValueError):
                        return  # the node died mid-request: never acknowledged
                    if "result" in got:
                        with lock:
                            answered[got["result"]["transactionHash"]] = got["result"]
                            height.block_number = max(height.block_number, got["result"]["blockNumber"])

        workers = [threading.Thread(target=load, args=(i,)) for i in range(3)]
        for w in workers:
            w.start()
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)  # mid-load, no warning
        proc.wait(timeout=10)
        stop.set()
        for w in workers:
            w.join(timeout=30)
        began = time.monotonic()
        proc, url = start_chain(tmp_path, timeout=120)
        restarts.append(time.monotonic() - began)
        with requests.Session() as session:
            for tx_hash, receipt in answered.items():
                if _receipt(session, url, tx_hash) != receipt:
                    lost.append(tx_hash)
        assert not lost, f"cycle {cycle}: {len(lost)} acknowledged receipts lost or changed"
    proc.terminate()
    proc.wait(timeout=30)
    print(f"\nsoak: {CYCLES} kill -9 cycles, {len(answered)} acknowledged transactions re-checked after every "
          f"restart, 0 lost; restart (process start + replay) s: " + ", ".join(f"{t:.2f}" for t in restarts))
    assert len(answered) > CYCLES * 10, "the load did not get going"
