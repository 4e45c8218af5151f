"""Signing throughput on one core: raw libsecp256k1 vs our 3.x/2.x sign+encode vs eth-account.

Run: ``.venv/bin/python bench/bench_sign.py [--seconds 1] [--rounds 4]``. Each figure is the best
of ``--rounds`` timed runs, interleaved across the candidates so a change in machine load affects
them alike (after a warm-up). Every transaction gets a fresh nonce and is
hashed, signed and encoded in full, as a client would do before sending it.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Callable

from coincurve import PrivateKey
from eth_account import Account

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.crypto import ECDSA, KeyPair
from fisco_drugtrace.encoding import tx_v2, tx_v3

# A throw-away, well-known test key (eth-account docs); never used on a real chain.
_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
_TO = "0x7029c502b4f824d19bd7921e9cb74ef92392fb1b"
# set(string) with "Hello, FISCO BCOS": the payload of the 2.x doc's vector A.
_INPUT = bytes.fromhex(
    "4ed3885e0000000000000000000000000000000000000000000000000000000000000020"
    "000000000000000000000000000000000000000000000000000000000000001148656c6c6f2c20464953434f2042434f53"
    "000000000000000000000000000000"
)


def _timed(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second over one run of about ``seconds``."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(100):
            fn()
        count += 100
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def _rates(candidates: dict[str, Callable[[], object]], seconds: float, rounds: int) -> dict[str, float]:
    """Best rate of each candidate over ``rounds`` interleaved runs (fair under varying load)."""
    for fn in candidates.values():
        for _ in range(200):  # warm-up
            fn()
    best = dict.fromkeys(candidates, 0.0)
    for _ in range(rounds):
        for name, fn in candidates.items():
            best[name] = max(best[name], _timed(fn, seconds))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one timed run (default 1)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds; the best run counts (default 4)")
    args = parser.parse_args()
    pinned = "no"
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        pinned = f"cpu {min(os.sched_getaffinity(0))}"

    raw_key = PrivateKey(_KEY)
    digest = os.urandom(32)

    def raw_sign() -> object:
        return raw_key.sign_recoverable(digest, hasher=None)

    signer = LocalSigner(KeyPair.from_private_key(_KEY, ECDSA))
    TransactionData = tx_v3.TransactionData
    new_nonce = tx_v3.new_nonce
    sign_v3 = tx_v3.sign_transaction
    encode_v3 = tx_v3.encode_transaction

    def ours_v3() -> bytes:
        data = TransactionData(0, "chain0", "group0", 1500, new_nonce(), _TO, _INPUT)
        return encode_v3(sign_v3(data, signer))

    TransactionV2 = tx_v2.TransactionV2
    new_nonce_v2 = tx_v2.new_nonce_v2
    sign_and_encode_v2 = tx_v2.sign_and_encode_v2

    def ours_v2() -> bytes:
        tx = TransactionV2(new_nonce_v2(), 30_000_000, 30_000_000, 1500, _TO, 0, _INPUT, 1, 1)
        return sign_and_encode_v2(tx, signer)[1]

    account = Account.from_key(_KEY)
    nonce = [0]

    def eth_account() -> bytes:
        nonce[0] += 1
        tx = {"nonce": nonce[0], "gasPrice": 30_000_000, "gas": 30_000_000, "to": account.address,
              "value": 0, "data": _INPUT, "chainId": 1}
        return account.sign_transaction(tx).raw_transaction

    results = _rates({
        "raw coincurve sign_recoverable (sig/s)": raw_sign,
        "fisco 3.x build+hash+sign+Tars (tx/s)": ours_v3,
        "fisco 2.x build+hash+sign+RLP (tx/s)": ours_v2,
        "eth-account sign_transaction legacy (tx/s)": eth_account,
    }, args.seconds, args.rounds)
    raw = results["raw coincurve sign_recoverable (sig/s)"]
    eth = results["eth-account sign_transaction legacy (tx/s)"]
    print(f"one core ({pinned}), best of {args.rounds} interleaved runs of {args.seconds:g} s")
    for name, value in results.items():
        print(f"  {name:<44} {value:>10,.0f}   {value / raw:5.2f} x raw   {value / eth:5.2f} x eth-account")


if __name__ == "__main__":
    main()
