"""The dev chain stores' ``write_block`` cost per transaction: SQLite ``:memory:`` (ChainStore)
against MemoryStore, interleaved in one process.

Run: ``.venv/bin/python bench/bench_store.py [--rounds 30] [--blocks 250]``.

Blocks hold 8 dispatch-like transactions (~350-byte raw 3.x transaction, 132-byte input), each
receipt with 2 logs (3 topics, 64 bytes of data), as the custody ``dispatch`` benchmark produces.
The records are built before timing; each round writes ``--blocks`` blocks into a fresh store of
each kind, alternating which goes first, and the minimum per kind is reported (this VM's speed
drifts, so only interleaved minima are compared).

``--data-dir-blocks N`` also writes N such blocks into a ChainStore on a temporary data dir (WAL,
head mark, checkpointer, the lazy hash index's flushes: what a ``--data-dir`` chain pays per
block), building each block outside the timed call, and reports the mean, p50, p99 and maximum
per block. To compare two checkouts, run it under each one's PYTHONPATH, interleaved.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from fisco_drugtrace.devchain.memstore import MemoryStore
from fisco_drugtrace.devchain.records import ChainBlock, ChainLog, ChainReceipt, ChainTx
from fisco_drugtrace.devchain.storage import ChainStore

TXS_PER_BLOCK = 8
Block = tuple[ChainBlock, list[ChainTx], list[ChainReceipt], dict[str, str]]


def _block(number: int) -> Block:
    sender, contract = "0x" + os.urandom(20).hex(), "0x" + os.urandom(20).hex()
    txs = [ChainTx(os.urandom(32), os.urandom(350), sender, contract, os.urandom(132), os.urandom(16).hex(),
                   number + 500, "", 1_700_000_000_000) for _ in range(TXS_PER_BLOCK)]
    receipts = [ChainReceipt(t.hash, number, i, 0, b"", 60_000, tuple(
        ChainLog(contract, (os.urandom(32), os.urandom(32), os.urandom(32)), os.urandom(64)) for _ in range(2)),
        "", t.sender, t.to, os.urandom(32)) for i, t in enumerate(txs)]
    header = ChainBlock(number, os.urandom(32), os.urandom(32), number, os.urandom(32), os.urandom(32),
                        os.urandom(32), 60_000 * TXS_PER_BLOCK, tuple(t.hash for t in txs))
    return header, txs, receipts, {}


def _round(make: Callable[[], ChainStore | MemoryStore], blocks: list[Block]) -> float:
    """Seconds per transaction to write all ``blocks`` into a fresh store."""
    store = make()
    write = store.write_block
    start = time.perf_counter()
    for block in blocks:
        write(*block)
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed / (len(blocks) * TXS_PER_BLOCK)


def _data_dir_run(count: int) -> None:
    """``count`` blocks into a fresh data dir, one write_block timed at a time."""
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        store = ChainStore(Path(tmp) / "dd")
        times = []
        for n in range(count):
            block = _block(n)
            start = time.perf_counter()
            store.write_block(*block)
            times.append(time.perf_counter() - start)
        store.close()
    mean = sum(times) / count
    times.sort()
    print(f"{'sqlite-datadir':>14}: write_block {mean * 1e6:6.0f} µs/block mean, p50 {times[count // 2] * 1e6:.0f} µs, "
          f"p99 {times[int(count * 0.99)] * 1e6:.0f} µs, max {times[-1] * 1e3:.1f} ms "
          f"({count} blocks x {TXS_PER_BLOCK} txs x 2 logs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--blocks", type=int, default=250)
    parser.add_argument("--data-dir-blocks", type=int, default=0,
                        help="also write this many blocks into a temporary data dir (0: skip)")
    args = parser.parse_args()
    if args.data_dir_blocks:
        _data_dir_run(args.data_dir_blocks)
    blocks = [_block(n) for n in range(args.blocks)]
    kinds: dict[str, Callable[[], ChainStore | MemoryStore]] = {
        "sqlite-memory": lambda: ChainStore(None), "MemoryStore": MemoryStore}
    best = {name: float("inf") for name in kinds}
    order = list(kinds)
    for _ in range(args.rounds):
        for name in order:
            best[name] = min(best[name], _round(kinds[name], blocks))
        order.reverse()  # neither kind always runs first
    for name, seconds in best.items():
        print(f"{name:>14}: write_block {seconds * 1e6:6.2f} µs/tx (min of {args.rounds} rounds, "
              f"{args.blocks} blocks x {TXS_PER_BLOCK} txs x 2 logs)")
    print(f"{'ratio':>14}: {best['sqlite-memory'] / best['MemoryStore']:.1f}x")


if __name__ == "__main__":
    main()
