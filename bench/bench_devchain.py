"""Dev chain throughput and latency: custody ``dispatch`` transactions signed by the SDK.

Run: ``.venv/bin/python bench/bench_devchain.py [--txs 4000] [--serial 300] [--store memory|sqlite|both|none]
[--restart-txs 10000,100000]``.

What is measured: the chain, not the client. Every transaction is signed by the SDK
(``FiscoClient.sign_transaction``) and wrapped in its JSON-RPC body BEFORE the timed loop; the
timed loop only sends the bodies (3.x ``sendTransaction``, which answers once the receipt is
committed) and waits for the answers. Senders are threads for the in-process runs (they call
``DevChain.handle_raw``, what ``InProcessTransport`` calls) and separate processes for the HTTP
runs (``http.client`` keep-alive, one connection each), so client-side HTTP work does not share
the server's interpreter. Latency = request sent -> receipt answered. Every run is made twice:
with the in-memory store (what the tests and a foreground ``devchain start`` use) and with a
temporary data dir (SQLite WAL, as ``devchain start --data-dir``); ``--store`` picks one.

Setup (not timed): the five-contract suite is deployed with ``deploy_suite``, a manufacturer,
distributor and carrier are registered and bound, a product is listed and a batch committed;
each ``dispatch`` ships one unit from the manufacturer to the distributor.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.contracts.binding import Contract
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs, serve
from fisco_drugtrace.drugtrace.suite import ZERO32, deploy_suite, suite_abi
from fisco_drugtrace.encoding.abi import ContractAbi
from fisco_drugtrace.crypto.ecdsa import keccak256
from eth_abi import encode

DAY_MS = 86_400_000
WAVE = 400  # transactions signed per wave (at most one block each, still inside blockLimit's 500)
KIND = {"MANUFACTURER": 3, "DISTRIBUTOR": 4, "LOGISTICS": 5}


def _org(label: str) -> bytes:
    return keccak256(f"91110000BENCH{label}".encode())


def setup(chain: DevChain) -> tuple[Any, LocalSigner, str, bytes]:
    """Deploy the suite and prepare a batch to dispatch from; returns (client, sender, custody, batch)."""
    client = connect(Settings(chain_id="chain0"), handler=chain.handle_raw)
    keys = [LocalSigner(k) for k in dev_keypairs(4)]
    regulator, manufacturer = keys[0], keys[1]
    deployment = deploy_suite(client, regulator, root_org_id=_org("ROOT"), region=110000, chain_id="chain0",
                              group_id="group0")
    c = deployment.contracts
    orgs = Contract(client, suite_abi("OrgRegistry").entries, c["OrgRegistry"], signer=regulator)
    drugs = Contract(client, suite_abi("DrugRegistry").entries, c["DrugRegistry"], signer=regulator)
    for i, (label, kind) in enumerate(KIND.items()):
        orgs.transact("registerOrg", _org(label), kind, 110000, 0, ZERO32)
        orgs.transact("bindAccount", keys[i + 1].address, _org(label))
    product = drugs.transact("registerProduct", "国药准字H20249999", "10片/盒", _org("MANUFACTURER"), 2, 8, ZERO32)
    product_id = keccak256(encode(["string", "string"], ["国药准字H20249999", "10片/盒"]))
    assert product.receipt.ok
    now = int(time.time() * 1000)
    drugs_as_maker = Contract(client, suite_abi("DrugRegistry").entries, c["DrugRegistry"], signer=manufacturer)
    drugs_as_maker.transact("commitBatch", product_id, "BENCH-1", now - DAY_MS, now + 700 * DAY_MS, 10_000_000,
                            keccak256(b"root"), ZERO32)
    batch_id = keccak256(encode(["bytes32", "string"], [product_id, "BENCH-1"]))
    # release gate (T0b): a 1-step process defined and approved, its step and an OK release test
    log = {k: Contract(client, suite_abi("ObservationLog").entries, c["ObservationLog"], signer=k)
           for k in (regulator, manufacturer)}
    # the regulator approves with the same step count (an approval binds it, issue 12)
    for signer, point, subject, steps in ((manufacturer, 1, product_id, 1), (regulator, 1, product_id, 1),
                                          (manufacturer, 2, batch_id, 0), (manufacturer, 6, batch_id, 0)):
        log[signer].transact("recordObservation", point, subject, 0, 0, 0, steps, ZERO32)
    assert drugs_as_maker.transact("releaseBatch", batch_id, ZERO32).receipt.ok
    return client, manufacturer, c["CustodyLedger"], batch_id


def presign(client: Any, signer: LocalSigner, custody: str, batch_id: bytes, count: int) -> list[bytes]:
    """``count`` signed dispatch transactions as ready-to-send JSON-RPC bodies."""
    abi = ContractAbi(suite_abi("CustodyLedger").entries)
    data = abi.encode_call("dispatch", [batch_id, _org("DISTRIBUTOR"), _org("LOGISTICS"), 1, ZERO32])
    bodies = []
    for i in range(count):
        raw = client.sign_transaction(signer, custody, data).raw
        bodies.append(json.dumps({"jsonrpc": "2.0", "id": i, "method": "sendTransaction",
                                  "params": ["group0", "", "0x" + raw.hex(), False]}).encode())
    return bodies


def _check(answer: bytes) -> None:
    reply = json.loads(answer)
    if "error" in reply or reply["result"]["status"] != 0:
        raise RuntimeError(f"dispatch failed: {reply}")


def run_threads(send: Callable[[bytes], bytes], bodies: Sequence[bytes], senders: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(chunk: Sequence[bytes]) -> None:
        mine = []
        try:
            for body in chunk:
                t0 = time.perf_counter()
                answer = send(body)
                mine.append(time.perf_counter() - t0)
                _check(answer)
        except BaseException as exc:  # surfaced after the run
            errors.append(exc)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(bodies[i::senders],)) for i in range(senders)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start, latencies


def run_processes(url: str, bodies: Sequence[bytes], senders: int) -> tuple[float, list[float]]:
    """The bodies from ``senders`` processes over keep-alive HTTP (:mod:`_senders`: started from a
    forkserver, not forked from this process, which hosts the chain)."""
    from _senders import run_senders

    return run_senders(url, [list(bodies[i::senders]) for i in range(senders)], "fisco")


def report(label: str, senders: int, elapsed: float, latencies: list[float], blocks: int) -> dict[str, Any]:
    lat = sorted(latencies)
    row = {"mode": label, "senders": senders, "txs": len(lat), "tx_per_s": round(len(lat) / elapsed),
           "p50_ms": round(statistics.median(lat) * 1000, 2), "p99_ms": round(lat[int(len(lat) * 0.99) - 1] * 1000, 2),
           "txs_per_block": round(len(lat) / max(blocks, 1), 1)}
    print(f"{label:<18} senders={senders}  {row['txs']:>5} txs  {row['tx_per_s']:>6} tx/s  "
          f"p50 {row['p50_ms']:>7.2f} ms  p99 {row['p99_ms']:>7.2f} ms  {row['txs_per_block']:>6} txs/block",
          flush=True)
    return row


def _wal_mb(store: Any) -> float:
    return round(store.wal_size() / 2**20, 1) if hasattr(store, "wal_size") else float("nan")


def measure_restart(count: int) -> dict[str, Any]:
    """Fill a data dir with ``count`` dispatch transactions (continuous load: 16 senders, no pause
    between waves), note the WAL's size at the end of the load, close, and time the reopen (replay)."""
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as tmp:
        chain = DevChain(DevChainConfig(data_dir=Path(tmp)))
        client, signer, custody, batch_id = setup(chain)
        peak_wal = 0
        loaded = time.perf_counter()
        for start in range(0, count, WAVE):
            bodies = presign(client, signer, custody, batch_id, min(WAVE, count - start))
            run_threads(chain.handle_raw, bodies, 16)
            peak_wal = max(peak_wal, chain.chain.store.wal_size())
        loaded = time.perf_counter() - loaded
        height, total = chain.block_number, chain.chain.total_txs
        wal_mb = _wal_mb(chain.chain.store)
        db_mb = round((Path(tmp) / "chain.sqlite").stat().st_size / 2**20, 1)
        print(f"load        {total} txs in {height} blocks ({loaded:.0f} s, signing included): WAL {wal_mb} MB at "
              f"the end (largest seen between waves {peak_wal / 2**20:.1f} MB), database {db_mb} MB", flush=True)
        chain.close()
        started, cpu = time.perf_counter(), time.process_time()
        reopened = DevChain(DevChainConfig(data_dir=Path(tmp)))
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert reopened.block_number == height and reopened.chain.total_txs == total
        reopened.close()
    row = {"mode": "restart", "txs": total, "blocks": height, "seconds": round(took, 2), "cpu_seconds": round(cpu, 2),
           "target_seconds_100k": 15, "load_average": round(os.getloadavg()[0], 1), "wal_mb_end_of_load": wal_mb,
           "wal_mb_peak": round(peak_wal / 2**20, 1), "db_mb": db_mb}
    print(f"restart     {total} txs in {height} blocks: reopened (verify + replay) in {took:.2f} s "
          f"({cpu:.2f} s CPU; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus; target <= 15 s "
          "for 100k)", flush=True)
    return row


def run_store(label: str, data_dir: Path | None, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The four runs (in-process and HTTP, 1 and 8 senders) on one chain with the given store."""
    chain = DevChain(DevChainConfig(data_dir=data_dir))
    client, signer, custody, batch_id = setup(chain)
    rows = []
    handle = serve(chain)
    try:
        for mode, senders, count in (("in-process", 1, args.serial), ("in-process", 8, args.txs),
                                     ("http", 1, args.serial), ("http", 8, args.txs)):
            elapsed, latencies, blocks = 0.0, [], 0
            # signed in waves of <= WAVE: each wave must be sent before its blockLimit (+500) passes
            for start in range(0, count, WAVE):
                bodies = presign(client, signer, custody, batch_id, min(WAVE, count - start))
                first = chain.block_number
                if mode == "in-process":
                    took, lat = run_threads(chain.handle_raw, bodies, senders)
                else:
                    took, lat = run_processes(handle.url, bodies, senders)
                elapsed += took
                latencies += lat
                blocks += chain.block_number - first
            row = report(f"{mode}/{label}", senders, elapsed, latencies, blocks)
            row["store"] = label
            rows.append(row)
    finally:
        handle.stop()
        if data_dir is not None:
            print(f"sqlite      WAL {_wal_mb(chain.chain.store)} MB at the end of the load runs", flush=True)
        chain.close()
    return rows


# ------------------------------------------------------------------ the peer run (Anvil, Hardhat, Ganache)
def _ours_for(workload: str, chain: DevChain) -> tuple[Any, LocalSigner, str, bytes]:
    """Set our chain up for ``workload``; returns (client, signer, to, call data)."""
    if workload == "dispatch":
        client, signer, custody, batch_id = setup(chain)
        abi = ContractAbi(suite_abi("CustodyLedger").entries)
        return client, signer, custody, abi.encode_call("dispatch", [batch_id, _org("DISTRIBUTOR"),
                                                                     _org("LOGISTICS"), 1, ZERO32])
    from _peers import STORE, _set_call

    client = connect(Settings(chain_id="chain0"), handler=chain.handle_raw)
    signer = LocalSigner(dev_keypairs(1)[0])
    receipt = client.send_transaction(signer, None, bytes.fromhex(STORE["bytecode"]) + encode(["uint256"], [1]))
    assert receipt.ok and receipt.contract_address
    return client, signer, receipt.contract_address, _set_call(7)


class _Ours:
    """Our chain served over HTTP (FISCO ``sendTransaction``, answered with the committed receipt)."""

    check = "fisco"

    def __init__(self, workload: str, store: str, split: bool = False, front: str = "thread") -> None:
        self.name = f"ours-split/{store}" if split else f"ours/{store}" if front == "thread" else f"ours-{front}/{store}"
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-peer-ours-")
        self.chain = DevChain(DevChainConfig(data_dir=Path(self._tmp.name) if store == "sqlite" else None))
        self.client, self.signer, self.to, self.data = _ours_for(workload, self.chain)
        if split:  # the HTTP front in a child process, the chain's work in one engine thread
            from fisco_drugtrace.devchain.frontproc import serve_split

            self.handle = serve_split(self.chain)
        else:
            self.handle = serve(self.chain, front=front)
        self.url = self.handle.url

    def round(self, count: int, senders: int) -> list[list[bytes]]:
        # signed per round: a FISCO blockLimit allows 500 blocks after signing
        bodies = []
        for i in range(count):
            raw = self.client.sign_transaction(self.signer, self.to, self.data).raw
            bodies.append(json.dumps({"jsonrpc": "2.0", "id": i, "method": "sendTransaction",
                                      "params": ["group0", "", "0x" + raw.hex(), False]}).encode())
        return [bodies[i::senders] for i in range(senders)]

    def close(self) -> None:
        self.handle.stop()
        self.chain.close()
        self._tmp.cleanup()


class _EthPeer:
    """A peer started from its npm package, set up for the workload, its calls signed up front."""

    def __init__(self, peer: Any, workload: str, senders: int, total: int) -> None:
        from _peers import prepare, presign_eth

        self.peer, self.name, self.url = peer, peer.name, peer.url
        self.check = ("eth-receipt" if peer.send_method.endswith("Sync")
                      else "eth-poll" if peer.send_method.endswith("+receipt") else "eth-hash")
        keys = [keccak256(f"bench-peer-sender-{i}".encode()) for i in range(senders)]
        to, data = prepare(peer, workload, keys)
        self._signed = presign_eth(peer, keys, to, data, -(-total // senders))
        self._next = 0

    def round(self, count: int, senders: int) -> list[list[bytes]]:
        share = count // senders
        out = [bodies[self._next:self._next + share] for bodies in self._signed]
        self._next += share
        return out

    def close(self) -> None:
        self.peer.stop()


def run_peer_comparison(args: argparse.Namespace) -> list[dict[str, Any]]:
    """For each workload: ours (both stores) and every peer running side by side, measured in
    interleaved rounds (each round sends ``--peer-txs / --rounds`` calls to every system in
    turn), so that a change in the machine's load hits all of them alike. Prints each system's
    median round tx/s (and the range), p50/p99 over all rounds, and the ratios ours/peer."""
    from _peers import run_eth_senders, start_peer

    rows: list[dict[str, Any]] = []
    stores = ("memory", "sqlite") if args.store == "both" else (args.store,)
    per_round = max(args.peer_txs // args.rounds // args.senders, 1) * args.senders
    for workload in args.workloads.split(","):
        print(f"--- peer run: {workload}; {args.rounds} interleaved rounds of {per_round} txs per system "
              f"(Ganache: {min(per_round, 80)}) from {args.senders} sender processes over keep-alive HTTP, "
              "each answered once mined (anvil-async: at admission, for reference)", flush=True)
        systems: list[Any] = []
        try:
            for store in stores:
                for front in [f for f in args.fronts.split(",") if f]:
                    systems.append(_Ours(workload, store, front=front))
                if args.split:
                    systems.append(_Ours(workload, store, split=True))
            for name in [p for p in args.peers.split(",") if p]:
                peer = start_peer(name)
                if peer is None:
                    print(f"{name:<14} skipped: its npm package is not installed (npm ci)", flush=True)
                    continue
                count = min(per_round, 80) if name == "ganache" else per_round
                systems.append(_EthPeer(peer, workload, args.senders, count * args.rounds))
            rates: dict[str, list[float]] = {s.name: [] for s in systems}
            latencies: dict[str, list[float]] = {s.name: [] for s in systems}
            for _ in range(args.rounds):
                for system in systems:
                    count = min(per_round, 80) if system.name == "ganache" else per_round
                    elapsed, lat = run_eth_senders(system.url, system.round(count, args.senders), system.check)
                    rates[system.name].append(len(lat) / elapsed)
                    latencies[system.name] += lat
        finally:
            for system in systems:
                system.close()
        medians = {}
        for name, got in rates.items():
            lat = sorted(latencies[name])
            medians[name] = statistics.median(got)
            row = {"workload": workload, "system": name, "txs": len(lat), "tx_per_s": round(medians[name]),
                   "tx_per_s_range": [round(min(got)), round(max(got))],
                   "p50_ms": round(statistics.median(lat) * 1000, 2),
                   "p99_ms": round(lat[max(int(len(lat) * 0.99) - 1, 0)] * 1000, 2)}
            rows.append(row)
            print(f"{workload:<9} {name:<12} {row['txs']:>5} txs  median {row['tx_per_s']:>6} tx/s "
                  f"({row['tx_per_s_range'][0]}-{row['tx_per_s_range'][1]})  p50 {row['p50_ms']:>7.2f} ms  "
                  f"p99 {row['p99_ms']:>8.2f} ms", flush=True)
        for ours in [n for n in medians if n.startswith("ours")]:
            mine = medians[ours]
            for name, other in medians.items():
                if name.startswith("ours"):
                    continue
                ratio = mine / max(other, 1e-9)
                print(f"{workload:<9} ratio {ours} : {name} = {ratio:.2f}x", flush=True)
                rows.append({"workload": workload, "ratio": f"{ours}:{name}", "value": round(ratio, 2)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--txs", type=int, default=4000, help="transactions per concurrent run")
    parser.add_argument("--serial", type=int, default=300, help="transactions for the 1-sender runs")
    parser.add_argument("--store", choices=("memory", "sqlite", "both", "none"), default="both",
                        help="memory: what tests and a foreground `devchain start` use; sqlite: a data dir; "
                             "none: only the restart measurements (no peer run either)")
    parser.add_argument("--restart-txs", default="10000",
                        help="comma-separated transaction counts of the restart measurements, e.g. 10000,100000 "
                             "(100k takes a few minutes to fill); 0 = skip")
    parser.add_argument("--peers", default="anvil,anvil-sync,anvil-async,hardhat,ganache",
                        help="peers for the comparison run (comma-separated; empty = no peer run)")
    parser.add_argument("--workloads", default="set,dispatch", help="peer run workloads: set, dispatch")
    parser.add_argument("--peer-txs", type=int, default=2000, help="transactions per system in the peer run")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds in the peer run")
    parser.add_argument("--no-split", dest="split", action="store_false",
                        help="peer run: leave out our split HTTP front (frontproc.serve_split)")
    parser.add_argument("--fronts", default="thread,loop",
                        help="peer run: our HTTP fronts to measure (comma-separated: thread, loop)")
    parser.add_argument("--senders", type=int, default=8, help="sender processes in the peer run")
    parser.add_argument("--only", choices=("all", "own", "peers"), default="all",
                        help="own: the in-process/HTTP figures; peers: the comparison run")
    args = parser.parse_args()
    print(f"workload: CustodyLedger.dispatch (1 unit) signed by the SDK, pre-signed outside the timed loop; "
          f"cpus: {os.cpu_count()}; targets: >= 5,000 tx/s in-process, >= 1,000 tx/s over HTTP with 8 senders")
    rows = []
    if args.only == "peers":
        rows += run_peer_comparison(args)
        print(json.dumps(rows))
        return
    if args.store in ("memory", "both"):
        rows += run_store("memory", None, args)
    if args.store in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="bench-devchain-") as tmp:
            rows += run_store("sqlite", Path(tmp), args)
    for count in (int(c) for c in str(args.restart_txs).split(",") if c.strip()):
        if count:
            rows.append(measure_restart(count))
    if args.only == "all" and args.peers and args.store != "none":  # none: the restart measurements only
        rows += run_peer_comparison(args)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
