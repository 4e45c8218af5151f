"""What the system precompiles cost on the dev chain, against the EVM call they sit beside.

Run: ``.venv/bin/python bench/bench_precompiles.py [--calls 5000] [--rounds 3]``. Each figure is
the best of ``--rounds`` interleaved runs (so a change in machine load affects them alike):

* an EVM contract call (``Store.set``) through the executor with no precompile host, with the
  host (the dispatch hook every transaction passes), and with governance on (``--auth``: the
  account / contract / method checks of ``checkAuth`` before every transaction);
* a BFS ``readlink`` and a SystemConfig ``getValueByKey`` answered in Python, beside the EVM call
  of the same run (ratio precompile / EVM).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Callable

import eth_abi

from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.devchain.evm import Executor
from fisco_drugtrace.devchain.precompiles import PrecompileHost
from fisco_drugtrace.types import Dialect

_STORE = json.loads((Path(__file__).resolve().parents[1] / "tests" / "devchain" / "data" / "Store.json").read_text())
_SENDER = "0x" + "11" * 20


def _executor(host: PrecompileHost | None) -> tuple[Executor, str]:
    ex = Executor(Dialect.V3, gas_limit=3_000_000_000, evm_chain_id=0,
                  address_rule=lambda b, c, s, k: "0x" + "ab" * 20, precompiles=host)
    ex.set_block(1, 1)
    deployed = ex.apply(_SENDER, "", bytes.fromhex(_STORE["bytecode"]) + eth_abi.encode(["uint256"], [1]), 0)
    return ex, deployed.contract_address


def _per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    set_call = keccak256(b"set(uint256)")[:4] + eth_abi.encode(["uint256"], [7])
    readlink = keccak256(b"readlink(string)")[:4] + eth_abi.encode(["string"], ["/sys/bfs"])
    get_value = keccak256(b"getValueByKey(string)")[:4] + eth_abi.encode(["string"], ["tx_gas_limit"])
    bare, bare_addr = _executor(None)
    hosted, hosted_addr = _executor(PrecompileHost(Dialect.V3, keccak256, system_config={"tx_gas_limit": "3000000000"}))
    governed, governed_addr = _executor(PrecompileHost(Dialect.V3, keccak256, auth_admin=_SENDER))
    bfs, sysconfig = "0x" + format(0x100E, "040x"), "0x" + format(0x1000, "040x")
    cases: dict[str, Callable[[], object]] = {
        "EVM set(), no precompile host": lambda: bare.apply(_SENDER, bare_addr, set_call, 0),
        "EVM set(), with the host": lambda: hosted.apply(_SENDER, hosted_addr, set_call, 0),
        "EVM set(), governance on": lambda: governed.apply(_SENDER, governed_addr, set_call, 0),
        "BFS readlink (call)": lambda: hosted.call(_SENDER, bfs, readlink),
        "SystemConfig getValueByKey (call)": lambda: hosted.call(_SENDER, sysconfig, get_value),
    }
    best = {name: float("inf") for name in cases}
    for _ in range(args.rounds):
        for name, fn in cases.items():
            best[name] = min(best[name], _per_call(fn, args.calls))
    evm = best["EVM set(), no precompile host"]
    for name, micros in best.items():
        print(f"{name:38s} {micros:8.2f} us/call  {1e6 / micros:10,.0f} /s  ratio to bare EVM set(): {micros / evm:5.2f}")


if __name__ == "__main__":
    main()
