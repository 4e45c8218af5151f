"""``fisco-drugtrace serve`` as an operator starts it: 127.0.0.1 by default, HTTPS with
``--tls-cert/--tls-key`` (a certificate made here with openssl), the two options only together, and
the node and home from one settings file."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time

import pytest

from fisco_drugtrace.devchain.server import serve as serve_chain

OPENSSL = shutil.which("openssl")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> set[str]:
    """The IPv4 addresses a socket listens on at ``port`` (``/proc/net/tcp``, state 0A)."""
    found = set()
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hexport = local.partition(":")
        if state == "0A" and int(hexport, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def _serve(home, url: str, *extra: str) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    env = dict(os.environ, FISCO_DRUGTRACE_HOME=str(home))
    for name in ("FISCO_DRUGTRACE_CONFIG", "FISCO_WEB_HOST", "FISCO_WEB_PORT", "FISCO_DRUGTRACE_DATABASE"):
        env.pop(name, None)
    return subprocess.Popen([sys.executable, "-m", "fisco_drugtrace.cli.main", "--rpc-url", url, "serve", *extra],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.skipif(OPENSSL is None, reason="needs the openssl command to make a test certificate")
def test_https_with_a_certificate_on_127_0_0_1_by_default(world, org_home, tmp_path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    chain = serve_chain(world.chain, "127.0.0.1", 0)
    port = _free_port()
    proc = _serve(org_home, chain.url, "--port", str(port), "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        line = proc.stdout.readline().decode() if proc.stdout else ""
        assert line.startswith(f"serving https://127.0.0.1:{port}/"), line
        context = ssl.create_default_context(cafile=str(cert))
        deadline, answer = time.monotonic() + 60, b""
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as raw, \
                        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                    tls.sendall(f"GET /api/v1/verify_code?code={world.listed_codes[2]} HTTP/1.1\r\n"
                                "Host: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                    answer = b""
                    while chunk := tls.recv(65536):
                        answer += chunk
            except ConnectionRefusedError:  # announced before uvicorn has bound
                answer = b""
            if answer[9:12] == b"200":
                break
            time.sleep(0.3)  # not bound yet, or the first sync round is still running
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head[9:12] == b"200", answer[:300]
        assert json.loads(body)["verdict"] == "genuine"
        # plain HTTP on the HTTPS port gets no page
        with socket.create_connection(("127.0.0.1", port), timeout=30) as plain:
            plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert b'"ok"' not in plain.recv(65536)
        assert _listening(port) == {"127.0.0.1"}  # bound to loopback only
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        chain.stop()


def test_a_certificate_without_its_key_is_a_usage_error(world, tmp_path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not used\n")
    proc = _serve(world.home, "http://127.0.0.1:9", "--tls-cert", str(cert))
    out = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 2 and "--tls-cert and --tls-key go together" in out and "Traceback" not in out


def test_one_settings_file_names_the_node_and_the_home(world, org_home, tmp_path) -> None:
    """``serve --config FILE`` with nothing else: the node and the home come from the settings
    file every command reads (no --rpc-url, no FISCO_DRUGTRACE_HOME)."""
    chain = serve_chain(world.chain, "127.0.0.1", 0)
    settings = tmp_path / "fisco-drugtrace.toml"
    settings.write_text(f'[network]\nurls = ["{chain.url}"]\n\n[home]\ndir = "{org_home}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FISCO_DRUGTRACE_", "FISCO_RPC", "FISCO_WEB"))}
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fisco_drugtrace.cli.main", "--config", str(settings), "serve",
                             "--port", str(port)], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    try:
        line = proc.stdout.readline().decode() if proc.stdout else ""
        assert line.startswith(f"serving http://127.0.0.1:{port}/"), line
        deadline, status, body = time.monotonic() + 60, 0, b""
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                    s.sendall(f"GET /api/v1/verify_code?code={world.listed_codes[4]} HTTP/1.1\r\nHost: x\r\n"
                              "Connection: close\r\n\r\n".encode())
                    data = b""
                    while chunk := s.recv(65536):
                        data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                status = int(head[9:12] or 0)
            except (ConnectionRefusedError, ValueError):
                status = 0
            if status == 200:
                break
            time.sleep(0.3)
        assert status == 200, body[:300]
        assert json.loads(body)["verdict"] == "genuine" and json.loads(body)["index"] == 4
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        chain.stop()


def _get(port: int, path: str, deadline_s: float = 60) -> tuple[int, bytes]:
    deadline, status, body = time.monotonic() + deadline_s, 0, b""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            status = int(head[9:12] or 0)
        except (ConnectionRefusedError, ValueError):
            status = 0
        if status:
            return status, body
        time.sleep(0.3)
    return status, body


def test_serve_started_while_the_node_is_down_answers_from_the_index(world, org_home, tmp_path) -> None:
    """A server that once ran with its node up keeps the chain's identity in its home; started
    again with the node down it says so and answers scans from the index, 503 for /healthz."""
    chain = serve_chain(world.chain, "127.0.0.1", 0)
    url = chain.url
    port = _free_port()
    first = _serve(org_home, url, "--port", str(port))
    try:
        line = first.stdout.readline().decode() if first.stdout else ""
        assert line.startswith("serving"), line
        deadline = time.monotonic() + 60
        while _get(port, "/healthz")[0] != 200:  # until its first sync round (which keeps the identity)
            assert time.monotonic() < deadline, "the first server never synced"
            time.sleep(0.3)
    finally:
        first.terminate()
        first.wait(timeout=30)
        chain.stop()
    assert (org_home / "web" / "chain.json").is_file()
    port = _free_port()
    again = _serve(org_home, url, "--port", str(port))  # nothing listens at the node's URL now
    try:
        warning = again.stdout.readline().decode() if again.stdout else ""
        assert warning.startswith("warning: the node cannot be reached"), warning
        line = again.stdout.readline().decode() if again.stdout else ""
        assert line.startswith(f"serving http://127.0.0.1:{port}/"), line
        status, body = _get(port, f"/api/v1/verify_code?code={world.listed_codes[5]}")
        assert status == 200 and json.loads(body)["verdict"] == "genuine", body[:300]
        assert _get(port, "/healthz")[0] == 503
    finally:
        again.terminate()
        again.wait(timeout=30)
