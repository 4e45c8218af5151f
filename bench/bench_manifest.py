"""Code manifest import benchmark: a 100,000-code batch's manifest imported into a fresh home.

The manufacturer commits one batch of N codes on an in-process dev chain and exports its
manifest; a second home (another organisation) attaches and imports it: parse and check every
code line, rebuild the Merkle tree, compare its root with the chain's, store codes and levels.
The peer, measured in the same run: the older path for the same list, ``import_codes`` (a plain
code list through the line-by-line validator, same tree, same store).

Target: >= 100,000 codes/s for the import.

Usage: python bench/bench_manifest.py [--codes 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.drugtrace import AddressBook, TraceService
from fisco_drugtrace.drugtrace.manifest import parse_manifest
from fisco_drugtrace.drugtrace.merkle import build_batch_tree
from fisco_drugtrace.drugtrace.story import ACTORS, story_codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    chain = DevChain(DevChainConfig())
    client = connect(Settings(), handler=chain.handle_raw)
    signers = [LocalSigner(k) for k in dev_keypairs(2)]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "maker"
        reg = TraceService(client, signers[0], AddressBook.in_home(home), home=home)
        reg.deploy(ACTORS[0].credit_code, region=ACTORS[0].region)
        reg.register_org(ACTORS[1].credit_code, ACTORS[1].kind, ACTORS[1].region)
        reg.bind_account(signers[1].address, ACTORS[1].credit_code)
        product = reg.register_product("BENCH-M", "box", ACTORS[1].org_id, min_temp=20, max_temp=80)
        man = reg.with_signer(signers[1])
        codes = story_codes(args.codes)
        batch = man.register_batch(product.product_id, "M1", codes, production_date=0, expiry_date=10**13).batch
        data = man.export_manifest(batch.batch_id)
        org_registry = reg.deployment.address("OrgRegistry")
        print(f"batch of {len(codes):,} codes; manifest {len(data):,} bytes")
        ours, peer = [], []
        for run in range(args.runs):
            other = Path(tmp) / f"pharmacy{run}"
            svc = TraceService(client, None, AddressBook.in_home(other), home=other)
            svc.attach(org_registry)
            t0 = time.perf_counter()
            parsed = parse_manifest(data)
            t1 = time.perf_counter()
            build_batch_tree(batch.batch_id, parsed.codes)
            t2 = time.perf_counter()
            svc.import_manifest(data)
            t3 = time.perf_counter()
            ours.append(len(codes) / (t3 - t2))
            print(f"run {run + 1}: import-manifest {len(codes) / (t3 - t2):,.0f} codes/s "
                  f"({(t3 - t2) * 1000:.0f} ms; of which, measured apart: parse {(t1 - t0) * 1000:.0f} ms, "
                  f"tree {(t2 - t1) * 1000:.0f} ms)")
            peer_home = Path(tmp) / f"peer{run}"
            psvc = TraceService(client, None, AddressBook.in_home(peer_home), home=peer_home)
            psvc.attach(org_registry)
            t4 = time.perf_counter()
            psvc.import_codes(batch.batch_id, codes)
            t5 = time.perf_counter()
            peer.append(len(codes) / (t5 - t4))
            print(f"        peer import_codes {len(codes) / (t5 - t4):,.0f} codes/s ({(t5 - t4) * 1000:.0f} ms)")
            svc.close()
            psvc.close()
        best, best_peer = max(ours), max(peer)
        print(f"import-manifest best {best:,.0f} codes/s ({'meets' if best >= 100_000 else 'BELOW'} "
              f"target 100,000); {best / best_peer:.2f}x import_codes ({best_peer:,.0f})")
    client.close()
    chain.close()


if __name__ == "__main__":
    main()
