"""Helpers for the tests where several organisations, each with its own home, share one chain."""

from __future__ import annotations

import itertools

from fisco_drugtrace.drugtrace import AddressBook, TraceService
from fisco_drugtrace.drugtrace.story import story_codes

DAY = 86_400_000
PROCESS = b"\x7e" * 32
_lots = itertools.count(1)


def released_batch(market, units: int = 30, prefix: str | None = None, product=None, *, bind: bool = True,
                   mah: str = "manufacturer"):
    """A batch committed and released by ``mah`` (codes in its home): of a fresh product with its
    own drug identifier code (bound to it on chain by the regulator unless ``bind`` is false), or
    of ``product`` with ``prefix``."""
    reg, man = market.svc["regulator"], market.svc[mah]
    n = next(_lots)
    approval = f"国药准字M2026{n:04d}"
    if product is None:
        product = reg.register_product(approval, "6 capsules", market.orgs[mah], min_temp=20, max_temp=80,
                                       drug_code=(prefix or f"86{n:05d}") if bind else None)
        man.define_process(product.product_id, 1, PROCESS)
        reg.approve_process(product.product_id, PROCESS)
    codes = story_codes(n * 1000 + units, prefix or f"86{n:05d}")[n * 1000:]
    now = man.now_ms()
    batch = man.register_batch(product.product_id, f"M{n}", codes, production_date=now,
                               expiry_date=now + 365 * DAY).batch
    man.pass_release_gate(batch.batch_id)
    return man.release_batch(batch.batch_id), codes


def other_home(market, tmp_path, role: str = "pharmacy", stores=None) -> TraceService:
    """Another organisation's machine: same chain and account, its own home, attached; its code
    store and audit index where ``stores`` (a ``store_backend``) says, else SQLite files."""
    database, prefix = (stores.database, stores.schema_prefix) if stores is not None else ("", "fdt")
    svc = TraceService(market.client, market.svc[role].signer, AddressBook.in_home(tmp_path), home=tmp_path,
                       database=database, schema_prefix=prefix)
    svc.attach(market.svc["regulator"].deployment.address("OrgRegistry"))
    return svc
