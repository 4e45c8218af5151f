"""Fault test: ``kill -9`` a served chain under load, restart, and find every answered receipt."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain.runfile import read_run_info

from devchain_helpers import SIGNERS, result, set_call, store_deploy, tx3

pytestmark = pytest.mark.slow


class _Height:
    """What tx3 needs from a chain: the block number to derive blockLimit from."""

    block_number = 0


def _start(data_dir: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fisco_drugtrace.cli.main", "devchain", "start", "--port", "0", "--data-dir",
         str(data_dir), "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        info = read_run_info(data_dir)
        if info is not None and info.pid == proc.pid:
            return proc, info.url
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "devchain exited")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("devchain did not start")


def _send(session: requests.Session, url: str, raw: bytes) -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": "sendTransaction", "params": ["group0", "", "0x" + raw.hex(), False]}
    return session.post(url, data=json.dumps(body), timeout=30).json()


def test_kill_dash_nine_under_load_loses_no_answered_transaction(tmp_path: Path) -> None:
    proc, url = _start(tmp_path)
    height = _Height()
    with requests.Session() as session:
        deploy = _send(session, url, tx3(height, "", store_deploy()))["result"]  # type: ignore[arg-type]
    address = deploy["contractAddress"]
    answered: list[dict] = [deploy]
    lock = threading.Lock()
    stop = threading.Event()

    def load(worker: int) -> None:
        with requests.Session() as session:
            n = 0
            while not stop.is_set():
                raw = tx3(height, address, set_call(worker * 100_000 + n), signer=SIGNERS[worker % 3])  # type: ignore[arg-type]
                n += 1
                try:
                    got = _send(session, url, raw)
                except (requests.RequestException, ValueError):
                    return  # the node died mid-request: that transaction was never answered
                if "result" in got:
                    with lock:
                        answered.append(got["result"])

    workers = [threading.Thread(target=load, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    time.sleep(2.0)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    stop.set()
    for w in workers:
        w.join(timeout=30)
    assert len(answered) > 20, "the load did not get going"

    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        for receipt in answered:
            stored = result(chain, "getTransactionReceipt", ["group0", "", receipt["transactionHash"], False])
            assert stored == receipt
        assert chain.block_number >= max(r["blockNumber"] for r in answered)
        last = max(answered, key=lambda r: (r["blockNumber"], r["transactionHash"]))
        assert last["status"] == 0
