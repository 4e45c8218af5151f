"""Fault test: ``kill -9`` the dev chain while it pushes events, restart it on the same data dir
and port, and the subscriber resumes by itself — every committed event exactly once, in order."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from fisco_drugtrace import Settings, connect
from fisco_drugtrace.devchain.runfile import read_run_info
from fisco_drugtrace.errors import DrugTraceError
from fisco_drugtrace.types import Dialect

from push_helpers import SIGNERS, collect, deploy_probe, key, stored_value

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data_dir: Path, dialect: str, port: int, channel_port: int) -> subprocess.Popen:
    argv = [sys.executable, "-m", "fisco_drugtrace.cli.main", "devchain", "start", "--dialect", dialect,
            "--port", str(port), "--data-dir", str(data_dir)]
    if dialect == "v2":
        argv += ["--channel-port", str(channel_port)]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        info = read_run_info(data_dir)
        if info is not None and info.pid == proc.pid:
            return proc
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "devchain exited")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("devchain did not start")


@pytest.mark.parametrize("dialect", ["v3", "v2"])
def test_kill_dash_nine_mid_stream_then_restart_loses_and_repeats_nothing(dialect: str, tmp_path: Path) -> None:
    port, channel_port = _free_port(), _free_port()
    proc = _start(tmp_path, dialect, port, channel_port)
    d = Dialect(dialect)
    group = "group0" if d is Dialect.V3 else 1
    push_url = f"ws://127.0.0.1:{port}" if d is Dialect.V3 else f"channel://127.0.0.1:{channel_port}"
    http = connect(Settings(urls=(f"http://127.0.0.1:{port}",), dialect=d, group=group, retries=0))
    push = connect(Settings(urls=(push_url,), dialect=d, group=group))
    try:
        probe = deploy_probe(http)
        start = http.block_number() + 1
        sub = push.subscribe_logs(address=probe.address, from_block=start)
        stop = threading.Event()
        sent = [0]

        def load(worker: int) -> None:
            n = worker
            while not stop.is_set():
                try:
                    probe.transact("tag", n.to_bytes(32, "big"), "x", signer=SIGNERS[worker])
                    sent[0] += 1
                except DrugTraceError:
                    time.sleep(0.1)  # the chain is down: try the next one later
                n += 2

        workers = [threading.Thread(target=load, args=(w,)) for w in range(2)]
        for w in workers:
            w.start()
        before = collect(sub, 150, timeout=30)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(0.5)
        proc = _start(tmp_path, dialect, port, channel_port)
        transport = push.rpc.transport
        deadline = time.monotonic() + 30
        while transport.reconnects == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert transport.reconnects >= 1
        after_restart = http.block_number()
        while http.block_number() < after_restart + 20:
            time.sleep(0.05)
        stop.set()
        for w in workers:
            w.join()
        head = http.block_number()
        truth = list(http.subscribe_logs(address=probe.address, from_block=start, to_block=head))
        pushed = before + collect(sub, len(truth) - len(before), timeout=30)
        assert sub.get(timeout=1.0) is None  # the load stopped: nothing more, in particular no repeat
        sub.close()
        assert [key(e) for e in pushed] == [key(e) for e in truth]
        values = [stored_value(probe, e) for e in pushed]
        assert len(values) == len(set(values)) and len(values) > 150
    finally:
        push.close()
        http.close()
        proc.kill()
        proc.wait()


def test_a_frozen_node_is_noticed_by_the_heartbeat_and_the_stream_resumes(tmp_path: Path) -> None:
    """SIGSTOP the node (the TCP connection stays up, nothing answers): three missed heartbeats
    drop the connection; after SIGCONT the transport reconnects and no event is lost or repeated."""
    from fisco_drugtrace.client import client_for_transport
    from fisco_drugtrace.rpc.ws import WsTransport

    port = _free_port()
    proc = _start(tmp_path, "v3", port, 0)
    settings = Settings(urls=(f"ws://127.0.0.1:{port}",), retries=0)
    http = connect(Settings(urls=(f"http://127.0.0.1:{port}",), retries=0))
    transport = WsTransport(f"ws://127.0.0.1:{port}", timeout=2.0, heartbeat=0.2)
    push = client_for_transport(transport, settings)
    try:
        probe = deploy_probe(http)
        start = http.block_number() + 1
        sub = push.subscribe_logs(address=probe.address, from_block=start)
        for n in range(10):
            probe.transact("tag", n.to_bytes(32, "big"), "x", signer=SIGNERS[0])
        first = collect(sub, 10)
        time.sleep(1.0)
        assert transport.reconnects == 0  # idle but alive: pongs keep the connection
        os.kill(proc.pid, signal.SIGSTOP)
        time.sleep(1.5)
        os.kill(proc.pid, signal.SIGCONT)
        deadline = time.monotonic() + 20
        while transport.reconnects == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert transport.reconnects >= 1
        for n in range(10, 20):
            probe.transact("tag", n.to_bytes(32, "big"), "x", signer=SIGNERS[0])
        rest = collect(sub, 10)
        assert sub.get(timeout=1.0) is None
        assert [stored_value(probe, e) for e in first + rest] == list(range(20))
        sub.close()
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        push.close()
        http.close()
        proc.kill()
        proc.wait()
