"""``fisco-drugtrace serve --workers N`` as an operator runs it: a second organisation's home on the
story's chain (over HTTP), one syncing process and two request workers on one port; the workers
read the sync status the syncer publishes, answer from the same stores, a killed worker is
started again, and SIGTERM stops them all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fisco_drugtrace.devchain.server import serve as serve_chain


def _get(port: int, path: str, timeout: float = 45.0) -> tuple[int, bytes]:
    """One request on a fresh connection (so the kernel may hand it to either worker)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head[9:12]), body


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(p) for p in text.split()}


def _workers(pid: int) -> set[int]:
    """The serve process's worker children (spawn also starts a resource tracker: not a worker)."""
    out = set()
    for child in _children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            out.add(child)
    return out


def _until(check, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_workers_serve_one_port_from_the_syncers_index(world, org_home) -> None:
    chain = serve_chain(world.chain, "127.0.0.1", 0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, FISCO_DRUGTRACE_HOME=str(org_home))
    env.pop("FISCO_DRUGTRACE_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "fisco_drugtrace.cli.main", "--rpc-url", chain.url, "serve",
                             "--port", str(port), "--workers", "2", "--sync-interval", "0.5"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith(f"serving http://127.0.0.1:{port}/") and "2 workers" in line, line
        workers = _until(lambda: len(_workers(proc.pid)) == 2 and _workers(proc.pid), 60, "two workers")
        # the workers do not sync: /healthz is green only through the status the syncer publishes
        _until(lambda: _get(port, "/healthz")[0] == 200, 60, "a synced index on /healthz")
        health = json.loads(_get(port, "/healthz")[1])
        assert health["ok"] and health["indexed_block"] >= 1
        code = world.listed_codes[3]
        answers = [json.loads(_get(port, f"/api/v1/verify_code?code={code}")[1]) for _ in range(20)]
        assert all(a["verdict"] == "genuine" and a["state"] == "listed" and a["evidence"]["proof_checked"]
                   for a in answers)
        assert {a["as_of_block"] for a in answers} <= {health["indexed_block"], world.client.block_number()}
        # no manifest here lists it: the worker asks the chain, which knows the product has batches
        # this home holds no manifest of, so: cannot tell here (never counterfeit)
        forged = json.loads(_get(port, f"/api/v1/verify_code?code={code[:7]}9999999990000")[1])
        assert forged["verdict"] == "cannot_tell_here" and forged["as_of_block"] is None, forged
        assert "manifest" in forged["reason"]
        status, page = _get(port, f"/v/{code}?lang=en")
        assert status == 200 and b"genuine" in page.lower()
        # a worker that dies is started again, and the port keeps answering meanwhile
        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        assert _get(port, f"/api/v1/verify_code?code={code}")[0] == 200
        replaced = _until(lambda: (lambda w: len(w) == 2 and victim not in w and w)(_workers(proc.pid)), 30,
                          "the killed worker's replacement")
        assert replaced - workers
        _until(lambda: _get(port, f"/api/v1/verify_code?code={code}")[0] == 200, 30, "answers after restart")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert all(not Path(f"/proc/{w}").exists() or b"zombie" in Path(f"/proc/{w}/status").read_bytes().lower()
                   for w in replaced)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        chain.stop()
