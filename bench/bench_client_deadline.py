"""Deadline precision against a drip-feeding node: ours vs a bare ``requests`` session (the peer).

The fake node (``tests/fakes.py``, mode ``drip``) sends a valid answer one byte every 2 s,
status line and headers included. ``HttpTransport`` must end each call at its deadline (issue
19 item 5: within 10 %); ``requests.Session.post(timeout=deadline)`` restarts its per-read
timeout with every byte, so it would take ~5 minutes for this ~150-byte answer — the peer runs
in a thread and is given up on after ``--peer-wait`` × the deadline.

    .venv/bin/python bench/bench_client_deadline.py [--deadline 3] [--runs 5] [--peer-wait 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fisco_drugtrace.errors import RequestTimeout  # noqa: E402
from fisco_drugtrace.rpc import HttpTransport, JsonRpc  # noqa: E402
from tests.fakes import serve_http  # noqa: E402


def _ours(deadline: float) -> float:
    with serve_http("drip", delay=2.0) as server:
        rpc = JsonRpc(HttpTransport(server.url), timeout=deadline)
        start = time.monotonic()
        try:
            rpc.request("getBlockNumber", ["group0", ""])
        except RequestTimeout:
            pass
        else:
            raise SystemExit("the drip-feeder answered within the deadline: the bench measured nothing")
        return time.monotonic() - start


def _peer(deadline: float, wait: float) -> float | None:
    import requests

    with serve_http("drip", delay=2.0) as server:
        session = requests.Session()
        session.trust_env = False
        finished = threading.Event()
        start = time.monotonic()
        took: list[float] = []

        def call() -> None:
            try:
                session.post(server.url, data=b"{}", timeout=deadline).content
            except requests.RequestException:
                pass
            took.append(time.monotonic() - start)
            finished.set()

        threading.Thread(target=call, daemon=True).start()
        finished.wait(deadline * wait)
        session.close()
        return took[0] if took else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deadline", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer-wait", type=float, default=3.0)
    args = parser.parse_args()
    samples = [_ours(args.deadline) for _ in range(args.runs)]
    over = [(s / args.deadline - 1) * 100 for s in samples]
    print(f"HttpTransport (ours), deadline {args.deadline:g} s, {args.runs} runs: "
          f"median {statistics.median(samples):.3f} s, worst {max(samples):.3f} s "
          f"(+{statistics.median(over):.2f} % / +{max(over):.2f} %; target +10 %)")
    peer = _peer(args.deadline, args.peer_wait)
    if peer is None:
        print(f"requests.Session (peer), timeout={args.deadline:g}: still going after "
              f"{args.deadline * args.peer_wait:g} s (given up on); ratio peer/ours > "
              f"{args.deadline * args.peer_wait / max(samples):.1f}x")
    else:
        print(f"requests.Session (peer), timeout={args.deadline:g}: {peer:.3f} s; ratio peer/ours "
              f"{peer / max(samples):.1f}x")


if __name__ == "__main__":
    main()
