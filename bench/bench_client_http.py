"""What the SDK's HTTP transport costs over a bare ``requests`` session (the peer), same server, same run.

``HttpTransport`` is a ``requests.Session`` plus what makes it safe against a hostile node: one
total deadline per call (a shared watchdog thread that shuts the socket down at the deadline,
the answer streamed from ``resp.raw``), the answer cap, ``Accept-Encoding: identity``, no
redirects, the answer checks. This prints what a call costs on loopback keep-alive, for a
small answer (``getBlockNumber``) and a 1 MiB one, with the ratio against a bare
``requests.Session.post(...).content`` measured in the same run: the price of the hardening.
The server is a minimal keep-alive HTTP/1.1 responder in a child process, so its work does not
share our GIL.

    .venv/bin/python bench/bench_client_http.py [--calls 3000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fisco_drugtrace.rpc import HttpTransport  # noqa: E402

SMALL = b'{"jsonrpc":"2.0","id":1,"result":123456}'
LARGE = b'{"jsonrpc":"2.0","id":1,"result":"0x' + b"ab" * (512 * 1024) + b'"}'
REQUEST = b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":["group0",""]}'


def _serve(sock: socket.socket, answer: bytes) -> None:
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(answer)).encode() + b"\r\n\r\n")
    while True:
        conn, _ = sock.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    data = conn.recv(65536)
                    if not data:
                        raise ConnectionError
                    buffer += data
                header, _, rest = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in header.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                while len(rest) < length:
                    rest += conn.recv(65536)
                buffer = rest[length:]
                conn.sendall(head + answer)
        except (ConnectionError, OSError):
            conn.close()


def _measure(call: Callable[[], bytes], calls: int) -> tuple[float, float]:
    for _ in range(min(200, calls)):
        call()
    samples = []
    start = time.perf_counter()
    for _ in range(calls):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - start
    return calls / elapsed, statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    import requests

    print(f"{'answer':<8} {'client':<24} {'calls/s':>9} {'median µs':>10}", flush=True)
    for label, answer, calls in (("small", SMALL, args.calls), ("1 MiB", LARGE, max(args.calls // 20, 50))):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        process = multiprocessing.get_context("fork").Process(target=_serve, args=(sock, answer), daemon=True)
        process.start()
        try:
            ours = HttpTransport(url, timeout=10)
            session = requests.Session()
            session.trust_env = False
            headers = {"Content-Type": "application/json"}
            ours_rate, ours_median = _measure(lambda: ours.send(REQUEST), calls)
            assert ours.send(REQUEST) == answer
            ours.close()  # the toy server serves one connection at a time
            peer_rate, peer_median = _measure(lambda: session.post(url, data=REQUEST, headers=headers,
                                                                   timeout=10).content, calls)
            print(f"{label:<8} {'HttpTransport (ours)':<24} {ours_rate:>9,.0f} {ours_median:>10,.0f}")
            print(f"{label:<8} {'requests.Session (peer)':<24} {peer_rate:>9,.0f} {peer_median:>10,.0f}")
            print(f"{label:<8} ratio ours/peer: {ours_rate / peer_rate:.2f}x calls/s")
            session.close()
        finally:
            process.terminate()
            process.join()
            sock.close()


if __name__ == "__main__":
    main()
