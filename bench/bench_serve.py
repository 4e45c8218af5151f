"""Web service benchmark: patients' verifications over HTTP, against a static file from the same server.

A chain process runs the dev chain (HTTP on 127.0.0.1) and makes, in a fresh home, the story's
cast, one product and one released batch of ``--codes`` unit codes in the code store (the
manufacturer's ``register_batch``: Merkle tree and store import). Then ``fisco-drugtrace serve``
itself is started on that home for each ``--workers`` count (``python -m fisco_drugtrace.cli.main
serve --workers N``: one syncing process plus N request workers), and sender processes
(``--clients``, one keep-alive connection each, a minimal HTTP/1.1 client on raw sockets so that
the load generator costs little of the 2 cores) ask ``GET /api/v1/verify_code?code=…`` for random
codes of the batch — every answer must say ``"genuine": true`` — and as many ``GET /static/app.css``
(the baseline: the same server answering with no lookup at all), alternating rounds. Printed per
worker count: requests/s, p50/p99 per kind, and the ratio verification/static.

``--backends sqlite,postgresql`` measures both stores in the same run, one after the other with
the same codes, senders and worker counts. PostgreSQL is the server at ``--database`` or, without
it, a throw-away local cluster started as the tests start theirs (``tests/pgserver.py``: a unix
socket in a temporary directory, no TCP port); each run's schemas get a prefix of their own and
are dropped at the end. The load average is printed before and after every measurement: the
machine is shared, so figures mean little without it.

Targets (issue 14, this 2-core machine): >= 2,000 verifications/s, p99 <= 20 ms, at 10^7 codes.

Usage: python bench/bench_serve.py [--codes 10000000] [--workers 1,2] [--clients 4] [--requests 4000]
       [--backends sqlite,postgresql] [--database postgresql://...]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.I)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _chain(codes: int, home: str, database: str, prefix: str, ready: "mp.Queue[tuple[str, list[str], float]]") -> None:
    """The dev chain over HTTP, with the cast and one batch of ``codes`` codes made in ``home``."""
    from fisco_drugtrace.accounts import LocalSigner
    from fisco_drugtrace.client import connect
    from fisco_drugtrace.config import Settings
    from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
    from fisco_drugtrace.devchain.server import serve
    from fisco_drugtrace.drugtrace import AddressBook, TraceService
    from fisco_drugtrace.drugtrace.story import ACTORS, story_codes

    chain = DevChain(DevChainConfig())
    handle = serve(chain, "127.0.0.1", 0)
    client = connect(Settings(), handler=chain.handle_raw)
    signers = [LocalSigner(k) for k in dev_keypairs(2)]
    root = Path(home)
    reg = TraceService(client, signers[0], AddressBook.in_home(root), home=root, database=database,
                       schema_prefix=prefix)
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
    made = time.perf_counter() - started
    man.define_process(product.product_id, 1, b"\x9f" * 32)
    reg.approve_process(product.product_id, b"\x9f" * 32)
    man.pass_release_gate(batch)
    man.release_batch(batch)
    man.close()
    reg.close()
    ready.put((handle.url, random.Random(7).sample(all_codes, min(20_000, codes)), made))
    while True:
        time.sleep(3600)


def _client(port: int, paths: list[str], want: bytes, out: "mp.Queue[tuple[float, float, list[float]]]",
            go: "mp.synchronize.Barrier") -> None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode() for p in paths]
    recv, buf = sock.recv, b""

    def answer() -> tuple[bytes, bytes]:
        nonlocal buf
        while b"\r\n\r\n" not in buf:
            chunk = recv(65536)
            if not chunk:
                raise SystemExit("the server closed the connection")
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        found = _LENGTH.search(head)
        if found is None:
            raise SystemExit(f"no Content-Length in {head[:200]!r}")
        length = int(found.group(1))
        while len(buf) < length:
            buf += recv(65536)
        body, buf = buf[:length], buf[length:]
        return head, body

    sock.sendall(requests[0])  # connect and warm up before the clock starts
    answer()
    go.wait()
    times = []
    begun = time.time()
    clock = time.perf_counter
    for request in requests:
        t0 = clock()
        sock.sendall(request)
        head, body = answer()
        times.append(clock() - t0)
        if head[9:12] != b"200" or want not in body:
            raise SystemExit(f"{request[:80]!r}: {head[:40]!r} {body[:300]!r}")
    out.put((begun, time.time(), times))
    sock.close()


def _round(port: int, paths: list[str], want: bytes, clients: int) -> tuple[float, list[float]]:
    """Wall time from the first request to the last answer, and every request's latency."""
    out: "mp.Queue[tuple[float, float, list[float]]]" = mp.Queue()
    go = mp.Barrier(clients)
    shares = [paths[i::clients] for i in range(clients)]
    procs = [mp.Process(target=_client, args=(port, share, want, out, go)) for share in shares]
    for p in procs:
        p.start()
    parts = [out.get(timeout=600) for _ in procs]
    wall = max(end for _, end, _ in parts) - min(begin for begin, _, _ in parts)
    times = [t for _, _, ts in parts for t in ts]
    for p in procs:
        p.join()
    return wall, times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _serve(home: str, rpc_url: str, port: int, workers: int, database: str, prefix: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, FISCO_DRUGTRACE_HOME=home)
    env.pop("FISCO_DRUGTRACE_DATABASE", None)
    if database:
        env["FISCO_DRUGTRACE_DATABASE"] = database
        env["FISCO_DRUGTRACE_DB_SCHEMA"] = prefix
    env.pop("FISCO_DRUGTRACE_CONFIG", None)
    cmd = [sys.executable, "-m", "fisco_drugtrace.cli.main", "--rpc-url", rpc_url, "serve", "--port", str(port),
           "--workers", str(workers), "--sync-interval", "5"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    line = proc.stdout.readline() if proc.stdout else b""  # "serving http://…" once bound
    if not line.startswith(b"serving "):
        proc.kill()
        rest = proc.stdout.read() if proc.stdout else b""
        raise SystemExit(f"serve did not start: {(line + rest).decode(errors='replace')[-2000:]}")
    return proc


def _wait_ready(port: int, timeout: float = 60.0) -> None:
    """Until /healthz answers 200 (the index synced) on a fresh connection."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64)[9:12] == b"200":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("serve never reported a synced index on /healthz")


def _load() -> str:
    return "load average " + " / ".join(f"{x:.2f}" for x in os.getloadavg())


def _pg_server() -> tuple[str, object]:
    """A throw-away local PostgreSQL (the tests' own helper), and the object that stops it."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.pgserver import PgServer, find_pg_bin

    bindir = find_pg_bin()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries: apt-get install postgresql, or pass --database")
    return (server := PgServer(bindir).start()).dsn, server


def _drop_schemas(database: str, prefix: str) -> None:
    import psycopg

    with psycopg.connect(database, autocommit=True) as db:
        names = [r[0] for r in db.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s",
                                          (prefix + "\\_%",))]
        for name in names:
            db.execute(f'DROP SCHEMA "{name}" CASCADE')


def _measure(args: argparse.Namespace, backend: str, database: str) -> list[tuple[str, int, dict[str, float]]]:
    """Build a home with one batch of ``--codes`` codes on ``backend`` and measure every worker count."""
    home = tempfile.mkdtemp(prefix="bench-serve-")
    prefix = f"b{os.getpid()}{random.randrange(16**6):06x}"
    ready: "mp.Queue[tuple[str, list[str], float]]" = mp.Queue()
    print(f"  {backend}: building the store ({_load()})", flush=True)
    chain = mp.Process(target=_chain, args=(args.codes, home, database, prefix, ready), daemon=True)
    chain.start()
    rows: list[tuple[str, int, dict[str, float]]] = []
    try:
        rpc_url, codes, made = ready.get(timeout=7200)
        print(f"    register_batch of {args.codes:,} codes (tree + code store) {made:.1f} s "
              f"({args.codes / made:,.0f} codes/s; {_load()})", flush=True)
        rng = random.Random(11)
        for workers in [int(w) for w in args.workers.split(",") if w.strip()]:
            port = _free_port()
            server = _serve(home, rpc_url, port, workers, database, prefix)
            try:
                _wait_ready(port, 60.0 + args.codes / 50_000)  # the syncer lays out the proof file first
                # warm the page cache (first touches of a 10^7-code store's pages are disk reads)
                _round(port, [f"/api/v1/verify_code?code={c}" for c in codes[:4000]], b'"genuine":true',
                       args.clients)
                before = _load()
                results: dict[str, list[tuple[float, list[float]]]] = {"verify": [], "static": []}
                for _ in range(args.rounds):
                    verify = [f"/api/v1/verify_code?code={rng.choice(codes)}" for _ in range(args.requests)]
                    results["verify"].append(_round(port, verify, b'"genuine":true', args.clients))
                    results["static"].append(_round(port, ["/static/app.css"] * args.requests, b"{", args.clients))
            finally:
                server.terminate()
                server.wait(timeout=30)
            figures: dict[str, float] = {}
            print(f"    {backend} serve --workers {workers} ({before} before, {_load()} after):")
            for kind, runs in results.items():
                total = sum(len(t) for _, t in runs)
                wall = sum(w for w, _ in runs)
                times = [x for _, t in runs for x in t]
                figures[kind] = total / wall
                figures[kind + "_p50"], figures[kind + "_p99"] = _pct(times, 0.5), _pct(times, 0.99)
                print(f"      {kind:7s} {figures[kind]:8.0f} req/s   p50 {figures[kind + '_p50']:6.2f} ms   "
                      f"p99 {figures[kind + '_p99']:6.2f} ms", flush=True)
            print(f"      ratio verify/static: {figures['verify'] / figures['static']:.2f}", flush=True)
            rows.append((backend, workers, figures))
    finally:
        chain.terminate()
        chain.join(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
        if database:
            _drop_schemas(database, prefix)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=1_000_000, help="codes in the batch (target: 10000000)")
    parser.add_argument("--workers", default="1,2", help="comma-separated `serve --workers` counts to measure")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--requests", type=int, default=4000, help="requests per kind per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backends", default="",
                        help="comma-separated: sqlite, postgresql (default: postgresql with --database, else sqlite)")
    parser.add_argument("--database", default="",
                        help="a postgresql:// DSN (default for the postgresql backend: a throw-away local cluster)")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in (args.backends or ("postgresql" if args.database else "sqlite")).split(",")]
    if set(backends) - {"sqlite", "postgresql"}:
        raise SystemExit(f"--backends takes sqlite and postgresql, got {args.backends!r}")
    mp.set_start_method("spawn", force=True)
    print(f"bench_serve: {args.codes:,} codes, backends {', '.join(backends)}, {args.clients} client processes, "
          f"{args.requests} requests/kind/round, {args.rounds} rounds ({_load()})", flush=True)
    database, pg = args.database, None
    rows: list[tuple[str, int, dict[str, float]]] = []
    try:
        for backend in backends:
            if backend == "postgresql" and not database:
                database, pg = _pg_server()
            rows += _measure(args, backend, database if backend == "postgresql" else "")
    finally:
        if pg is not None:
            pg.stop()  # type: ignore[attr-defined]
    print(f"  summary ({args.codes:,} codes):")
    for backend, workers, f in rows:
        print(f"    {backend:10s} --workers {workers}: verify {f['verify']:6.0f}/s p99 {f['verify_p99']:6.2f} ms, "
              f"static {f['static']:6.0f}/s, ratio {f['verify'] / f['static']:.2f}")
    print("  targets: >= 2,000 verifications/s, p99 <= 20 ms at 10^7 codes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
