"""Helpers of the hardening tests: a dev chain in its own process (as ``devchain start`` runs it)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

from fisco_drugtrace.devchain.runfile import read_run_info


def start_chain(data_dir: Path, *extra: str, dialect: str = "v3", timeout: float = 60) -> tuple[subprocess.Popen, str]:
    """A foreground ``devchain start`` on ``data_dir`` in a child process; returns it and its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fisco_drugtrace.cli.main", "devchain", "start", "--port", "0", "--dialect", dialect,
         "--data-dir", str(data_dir), "--json", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = read_run_info(data_dir)
        if info is not None and info.pid == proc.pid:
            return proc, info.url
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "devchain exited")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("devchain did not start")


def post_raw(url: str, body: bytes, timeout: float = 30) -> tuple[int, bytes]:
    """POST ``body`` on a fresh connection; (status, response body). Raises OSError if the server drops it."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    reply = b"".join(chunks)
    head, _, payload = reply.partition(b"\r\n\r\n")
    if not head:
        raise OSError("connection closed without an answer")
    return int(head.split()[1]), payload


def rpc_raw(url: str, method: str, params: Sequence, dialect: str = "v3") -> dict:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    status, payload = post_raw(url, json.dumps(body).encode())
    assert status == 200, (status, payload)
    return json.loads(payload)


def block_number(url: str, dialect: str = "v3") -> int:
    params = ["group0"] if dialect == "v3" else [1]
    value = rpc_raw(url, "getBlockNumber", params, dialect)["result"]
    return value if isinstance(value, int) else int(value, 16)
