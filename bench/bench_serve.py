"""Web service benchmark: patients' verifications over HTTP, against a static file from the same server.

A server process holds an in-process dev chain with the story's cast, one product and one batch
of ``--codes`` unit codes in the code store, and serves ``fisco-drugtrace serve``'s application
with uvicorn on 127.0.0.1. Sender processes (``--clients``, keep-alive sessions) then ask
``GET /api/v1/verify_code?code=…`` for random codes of the batch, and the same number of
``GET /static/app.css`` (the baseline: what the server costs with no lookup at all), alternating
rounds. Printed: requests/s, p50/p99 per kind, and the ratio verification/static.

Targets (issue 14, this 2-core machine): >= 2,000 verifications/s, p99 <= 20 ms, at 10^7 codes.

Usage: python bench/bench_serve.py [--codes 1000000] [--clients 4] [--requests 2000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server(port: int, codes: int, ready: "mp.synchronize.Event", picked: "mp.Queue[list[str]]") -> None:
    import uvicorn

    from fisco_drugtrace.accounts import LocalSigner
    from fisco_drugtrace.client import connect
    from fisco_drugtrace.config import Settings
    from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
    from fisco_drugtrace.drugtrace import AddressBook, TraceService
    from fisco_drugtrace.drugtrace.story import ACTORS, story_codes
    from fisco_drugtrace.web import Backend, create_app

    home = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    chain = DevChain(DevChainConfig())
    client = connect(Settings(), handler=chain.handle_raw)
    signers = [LocalSigner(k) for k in dev_keypairs(2)]
    reg = TraceService(client, signers[0], AddressBook.in_home(home), home=home)
    reg.deploy(ACTORS[0].credit_code, region=ACTORS[0].region)
    mah = ACTORS[1]
    reg.register_org(mah.credit_code, mah.kind, mah.region)
    reg.bind_account(signers[1].address, mah.credit_code)
    man = reg.with_signer(signers[1])
    product = reg.register_product("BENCH-1", "box", mah.org_id, min_temp=20, max_temp=80)
    all_codes = story_codes(codes)
    started = time.perf_counter()
    now = man.now_ms()
    batch = man.register_batch(product.product_id, "B1", all_codes, production_date=now,
                               expiry_date=now + 10**11).batch.batch_id
    man.define_process(product.product_id, 1, b"\x9f" * 32)
    reg.approve_process(product.product_id, b"\x9f" * 32)
    man.pass_release_gate(batch)
    man.release_batch(batch)
    print(f"    committed {codes:,} codes in {time.perf_counter() - started:.1f} s", flush=True)
    picked.put(random.Random(7).sample(all_codes, min(5000, codes)))
    backend = Backend(client, home, sync_interval=5.0)
    server = uvicorn.Server(uvicorn.Config(create_app(backend), host="127.0.0.1", port=port, log_level="error",
                                           access_log=False))
    threading.Thread(target=lambda: (time.sleep(0.2), [time.sleep(0.05) for _ in iter(lambda: not server.started, False)],
                                     ready.set()), daemon=True).start()
    server.run()


def _client(base: str, paths: list[str], out: "mp.Queue[tuple[float, float, list[float]]]",
            go: "mp.synchronize.Barrier") -> None:
    import requests

    session = requests.Session()
    session.get(base + "/healthz", timeout=30)  # connect and warm up before the clock starts
    go.wait()
    times = []
    begun = time.time()
    for path in paths:
        t0 = time.perf_counter()
        answer = session.get(base + path, timeout=30)
        times.append(time.perf_counter() - t0)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: HTTP {answer.status_code}: {answer.text[:200]}")
    out.put((begun, time.time(), times))


def _round(base: str, paths: list[str], clients: int) -> tuple[float, list[float]]:
    """Wall time from the first request to the last answer, and every request's latency."""
    out: "mp.Queue[tuple[float, float, list[float]]]" = mp.Queue()
    go = mp.Barrier(clients)
    shares = [paths[i::clients] for i in range(clients)]
    procs = [mp.Process(target=_client, args=(base, share, out, go)) for share in shares]
    for p in procs:
        p.start()
    parts = [out.get() for _ in procs]
    wall = max(end for _, end, _ in parts) - min(begin for begin, _, _ in parts)
    times = [t for _, _, ts in parts for t in ts]
    for p in procs:
        p.join()
    return wall, times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=1_000_000, help="codes in the batch (target: 10000000)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000, help="requests per kind per round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    mp.set_start_method("spawn", force=True)
    port = _free_port()
    ready = mp.Event()
    picked: "mp.Queue[list[str]]" = mp.Queue()
    print(f"bench_serve: {args.codes:,} codes, {args.clients} client processes, {args.requests} requests/kind/round")
    server = mp.Process(target=_server, args=(port, args.codes, ready, picked), daemon=True)
    server.start()
    codes = picked.get(timeout=3600)
    if not ready.wait(timeout=120):
        print("server did not start", file=sys.stderr)
        return 1
    base = f"http://127.0.0.1:{port}"
    results: dict[str, list[tuple[float, list[float]]]] = {"verify": [], "static": []}
    rng = random.Random(11)
    try:
        for _ in range(args.rounds):
            verify = [f"/api/v1/verify_code?code={rng.choice(codes)}" for _ in range(args.requests)]
            results["verify"].append(_round(base, verify, args.clients))
            results["static"].append(_round(base, ["/static/app.css"] * args.requests, args.clients))
    finally:
        server.terminate()
        server.join(timeout=10)
    rates = {}
    for kind, runs in results.items():
        total = sum(len(t) for _, t in runs)
        wall = sum(w for w, _ in runs)
        times = [x for _, t in runs for x in t]
        rates[kind] = total / wall
        print(f"  {kind:7s} {rates[kind]:8.0f} req/s   p50 {_pct(times, 0.5):6.2f} ms   p99 {_pct(times, 0.99):6.2f} ms")
    print(f"  ratio verify/static: {rates['verify'] / rates['static']:.2f}  "
          f"(targets: >= 2,000 verifications/s, p99 <= 20 ms at 10^7 codes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
