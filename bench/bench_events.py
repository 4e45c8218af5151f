"""Event delivery benchmark: events/s delivered and delay from block commit to callback,
pushed over the 3.x WebSocket transport vs polled with getLogs over HTTP, in one run.

1. Throughput — a dev chain (in memory, served over HTTP + WebSocket on one port) is filled with
   ``--events`` events (one ``Tagged`` event per transaction, 8 senders in-process); then a
   subscriber reads all of them from block 1, once pushed (``ws://``) and once polled
   (``http://``, getLogs in 500-block ranges). Target: >= 10,000 events/s pushed.
2. Delay — a live load (``--live`` transactions from 4 senders over HTTP) while one subscriber
   follows the head (pushed, then polled, one after the other in the same run); for each event, callback time minus the moment its block was committed
   (taken in the sealer thread right after the block is written). Target: p99 <= 50 ms pushed.
   Polling waits ``--poll-interval`` seconds between polls once caught up (the SDK default, 0.5).

Usage: python bench/bench_events.py [--events 20000] [--live 2000] [--poll-interval 0.5] [--dialect v3|v2]
(``--dialect v2``: pushed over the 2.x channel port instead; the live senders then wait for
receipts by polling, as the 2.x client does, so fewer transactions per second arrive.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fisco_drugtrace import Contract, LocalSigner, Settings, connect  # noqa: E402
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs, serve  # noqa: E402
from fisco_drugtrace.devchain.channel_server import serve_channel  # noqa: E402
from fisco_drugtrace.types import Dialect  # noqa: E402
from tests.conformance.probe import PROBE_INITIAL, load_probe  # noqa: E402

SIGNERS = [LocalSigner(k) for k in dev_keypairs(8)]


def _fill(probe: Contract, count: int, senders: int, base: int = 0) -> float:
    start = time.perf_counter()

    def work(worker: int) -> None:
        for n in range(worker, count, senders):
            probe.transact("tag", (base + n).to_bytes(32, "big"), "b", signer=SIGNERS[worker])

    threads = [threading.Thread(target=work, args=(w,)) for w in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def _read_all(client: object, address: str, count: int, first: int) -> float:
    start = time.perf_counter()
    sub = client.subscribe_logs(address=address, from_block=first)  # type: ignore[attr-defined]
    got = 0
    while got < count:
        if sub.get(timeout=30) is None:
            raise SystemExit(f"only {got} of {count} events arrived")
        got += 1
    elapsed = time.perf_counter() - start
    sub.close()
    return elapsed


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--live", type=int, default=2_000)
    parser.add_argument("--poll-interval", type=float, default=0.5)
    parser.add_argument("--dialect", choices=["v3", "v2"], default="v3",
                        help="v3: WebSocket on the RPC port; v2: the channel port")
    args = parser.parse_args()

    dialect = Dialect(args.dialect)
    chain = DevChain(DevChainConfig(dialect=dialect, tx_count_limit=1000))
    server = serve(chain, port=0)
    base = Settings(dialect=dialect, group="group0" if dialect is Dialect.V3 else 1)
    if dialect is Dialect.V3:
        push_url, channel = server.url.replace("http", "ws", 1), None
    else:
        channel = serve_channel(chain, port=0)
        push_url = channel.url
    inproc = connect(base, handler=chain.handle_raw)
    http = connect(replace(base, urls=(server.url,)))
    ws = connect(replace(base, urls=(push_url,)))
    http_poll = connect(replace(base, urls=(server.url,)))
    print(f"dialect {args.dialect}: pushed over {push_url.split(':')[0]}://, polled over http://")
    probe = Contract.deploy(inproc, load_probe(), PROBE_INITIAL, signer=SIGNERS[0])
    first = inproc.block_number() + 1
    fill = _fill(Contract(inproc, probe.abi, probe.address), args.events, 8)
    blocks = inproc.block_number() - first + 1
    print(f"chain: {args.events} events in {blocks} blocks, filled in {fill:.1f} s")

    push_s = _read_all(ws, probe.address, args.events, first)
    poll_s = _read_all(http, probe.address, args.events, first)
    push_rate, poll_rate = args.events / push_s, args.events / poll_s
    print(f"throughput pushed (from block {first}):     {push_rate:,.0f} events/s  ({push_s:.2f} s)")
    print(f"throughput polled (http getLogs):         {poll_rate:,.0f} events/s  ({poll_s:.2f} s)")
    print(f"  push / poll: {push_rate / poll_rate:.2f}x   target >= 10,000 events/s pushed: "
          f"{'met' if push_rate >= 10_000 else 'NOT met'}")

    delays: dict[str, list[float]] = {"push": [], "poll": []}
    commits: dict[int, float] = {}
    store = chain.chain.store
    write_block = store.write_block

    def timed_write(block: object, *rest: object) -> None:  # the commit moment, in the sealer thread
        write_block(block, *rest)  # type: ignore[arg-type]
        commits[block.number] = time.time() * 1000  # type: ignore[attr-defined]

    store.write_block = timed_write  # type: ignore[method-assign]

    def stamp(number: int) -> float:
        return commits[number]

    def follow(name: str, client: object, interval: float, head: int) -> tuple[object, threading.Thread]:
        sub = client.subscribe_logs(address=probe.address, from_block=head + 1,  # type: ignore[attr-defined]
                                    poll_interval=interval)

        def on_event(log: object) -> None:
            delays[name].append(time.time() * 1000 - stamp(log.block_number))  # type: ignore[attr-defined]
        return sub, sub.run(on_event)

    live = Contract(http, probe.abi, probe.address)
    for name, client in (("push", ws), ("poll", http_poll)):  # one follower at a time: no contention between them
        head = inproc.block_number()
        sub, _thread = follow(name, client, args.poll_interval, head)
        live_s = _fill(live, args.live, 4, base=10**9 + (0 if name == "push" else 10**6))
        deadline = time.monotonic() + 30
        while len(delays[name]) < args.live and time.monotonic() < deadline:
            time.sleep(0.05)
        sub.close()  # type: ignore[attr-defined]
        values = delays[name]
        print(f"live, {name}: {args.live} transactions from 4 senders over HTTP in {live_s:.1f} s "
              f"({args.live / live_s:,.0f} tx/s)")
        if len(values) < args.live:
            print(f"  {name}: only {len(values)} of {args.live} events arrived")
            continue
        print(f"  delay commit -> callback, {name:<4}: p50 {statistics.median(values):6.1f} ms   "
              f"p99 {_pct(values, 0.99):6.1f} ms   max {max(values):6.1f} ms"
              + (f"   (poll interval {args.poll_interval:g} s)" if name == "poll" else ""))
    p99 = _pct(delays["push"], 0.99) if delays["push"] else float("inf")
    print(f"  target p99 <= 50 ms pushed: {'met' if p99 <= 50 else 'NOT met'}")
    for client in (ws, http, http_poll, inproc):
        client.close()
    if channel is not None:
        channel.stop()
    server.stop()
    chain.close()


if __name__ == "__main__":
    main()
