"""Peak memory of one call against hostile answers: our transport vs a ``requests`` session (the peer).

Each measurement runs in a fresh child process (peak RSS is per process) against a loopback fake
node from ``tests/fakes.py``: a 300 MB-declared answer, an endless chunked answer, and a gzip
bomb inflating to ``--inflated`` MiB. Ours refuses each at the cap (``max_answer_bytes``,
default 64 MiB) or before reading; the peer reads (and inflates) whatever it is sent, so its
figures are cut at ``--peer-mib`` to stay gentle on a shared machine.

    .venv/bin/python bench/bench_client_limits.py [--inflated 256] [--peer-mib 256]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes import serve_http  # noqa: E402

_OURS = """
import resource, sys
from fisco_drugtrace.rpc import HttpTransport
from fisco_drugtrace.errors import TransportError
try:
    HttpTransport(sys.argv[1], timeout=120).send(b'{}')
    outcome = "read it all"
except TransportError as exc:
    outcome = type(exc).__name__
print(outcome, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""

_PEER = """
import resource, sys, requests
limit = int(sys.argv[2]) * 1024 * 1024
with requests.post(sys.argv[1], data=b'{}', stream=True, timeout=120) as response:
    size = 0
    kept = []
    for chunk in response.iter_content(1 << 20):   # decompresses, as .content would
        kept.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
print(f"read {size >> 20} MiB and still going" if size >= limit else f"read {size >> 20} MiB",
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _child(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT, timeout=300)
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}"
    outcome, rss = done.stdout.strip().rsplit(" ", 1)
    return f"{outcome:<32} peak RSS {int(rss):>5} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inflated", type=int, default=256, help="MiB the gzip bomb inflates to")
    parser.add_argument("--peer-mib", type=int, default=256, help="where the peer's reading is stopped")
    args = parser.parse_args()
    cases = [("300 MB declared", "giant_declared", {}), ("endless chunked", "giant_chunked", {}),
             (f"gzip bomb ({args.inflated} MiB)", "gzip", {"inflated": args.inflated << 20})]
    for label, mode, options in cases:
        with serve_http(mode, **options) as server:
            print(f"{label:<22} ours: {_child(_OURS, server.url)}", flush=True)
        with serve_http(mode, **options) as server:
            print(f"{label:<22} peer: {_child(_PEER, server.url, str(args.peer_mib))}", flush=True)


if __name__ == "__main__":
    main()
