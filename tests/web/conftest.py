"""A served deployment: the demo story on an in-process dev chain, plus a listed batch, a
recall nobody notified and a level I recall notified with one progress report, behind a real
Starlette app with tokens bound to keystore accounts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.crypto.keystore import AccountStore
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.drugtrace import AddressBook, RecallLevel, TraceService
from fisco_drugtrace.drugtrace.ids import text_hash
from fisco_drugtrace.drugtrace.story import ACTORS, DAY_MS, DRUG_PREFIX, PROCESS_STEPS, play_story, story_codes
from fisco_drugtrace.web import Backend

PASSWORD = "web-test-password"


@dataclass
class World:
    home: Path
    client: Any
    chain: DevChain
    story: Any
    listed_codes: list[str]
    listed_batch: bytes
    recalled_codes: list[str]
    recall_id: int
    account_dir: Path
    #: a level I case, notified, one progress report filed (the next due a day after it)
    notified_recall_id: int = 0


def _released_batch(man: Any, product: bytes, lot: str, codes: list[str]) -> bytes:
    now = man.now_ms()
    batch = man.register_batch(product, lot, codes, production_date=now - DAY_MS,
                               expiry_date=now + 700 * DAY_MS, expected_prefix=DRUG_PREFIX).batch.batch_id
    for step in range(PROCESS_STEPS):
        man.record_process_step(batch, step, evidence_hash=text_hash(f"{lot} step {step}"))
    man.record_release_test(batch, passed=True, evidence_hash=text_hash(f"{lot} QC"))
    man.release_batch(batch, evidence_hash=text_hash(f"{lot} release"))
    return batch


@pytest.fixture(scope="package")
def world(tmp_path_factory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("web-home")
    chain = DevChain(DevChainConfig())
    client = connect(Settings(), handler=chain.handle_raw)
    keys = dev_keypairs(len(ACTORS))
    signers = [LocalSigner(k) for k in keys]
    story = play_story(client, signers, home, units=100)
    man = story.services["manufacturer"]
    all_codes = story_codes(400)
    listed_codes, recalled_codes = all_codes[100:200], all_codes[200:300]
    listed = _released_batch(man, story.product_id, "L2026-0100", listed_codes)
    recalled = _released_batch(man, story.product_id, "L2026-0200", recalled_codes)
    regulator = story.services["regulator"]
    regulator.stop(recalled, reason_id=7)
    case = man.open_recall(RecallLevel.II, batch=recalled, reason_hash=text_hash("impurity"))
    # a level I case notified at once, with one progress report: the next is due a day later
    urgent = _released_batch(man, story.product_id, "L2026-0300", all_codes[300:400])
    regulator.stop(urgent, reason_id=7)
    urgent_case = man.open_recall(RecallLevel.I, batch=urgent, reason_hash=text_hash("contamination"))
    man.issue_notice(urgent_case.recall_id, text_hash("notice L2026-0300"))
    man.report_progress(urgent_case.recall_id, text_hash("progress 1 L2026-0300"))
    account_dir = home / "accounts"
    store = AccountStore(account_dir, kdf="fast")
    for actor, key in zip(ACTORS, keys):
        store.add(actor.role, key, PASSWORD)
    regulator.audit_sync()
    yield World(home, client, chain, story, listed_codes, listed, recalled_codes, case.recall_id, account_dir,
                urgent_case.recall_id)
    for svc in story.services.values():
        svc.close()
    client.close()
    chain.close()


@pytest.fixture(scope="package")
def make_backend(world: World) -> Any:
    """Backends over the world's home, or ``home`` (each test module its own; closed at the end)."""
    made: list[Backend] = []

    def make(*, clock: Any = None, client: Any = None, sync_interval: float = 0, database: str = "",
             schema_prefix: str = "fdt", home: Path | None = None) -> Backend:
        backend = Backend(client or world.client, home or world.home, account_dir=world.account_dir,
                          password=lambda _account: PASSWORD, sync_interval=sync_interval, clock=clock,
                          database=database, schema_prefix=schema_prefix)
        made.append(backend)
        return backend

    yield make
    for backend in made:
        backend.close()


@pytest.fixture(scope="package")
def pg_home(world: World, pg_server: Any) -> tuple[str, str]:
    """The world's stores in PostgreSQL: ``(database, schema prefix)`` for a Backend. Every batch
    the home's SQLite code store holds travels there as its manifest (``import_manifest``: root
    checked against the chain), and the product's details document; the audit index is synced from the chain."""
    from fisco_drugtrace.drugtrace import AddressBook, TraceService
    from tests.pgserver import PgServer

    prefix = PgServer.new_prefix()
    local = world.story.services["regulator"]
    remote = TraceService(world.client, None, AddressBook.in_home(world.home), home=world.home,
                          database=pg_server.dsn, schema_prefix=prefix)
    for batch in local.codes.batches():
        remote.import_manifest(local.export_manifest(batch.batch_id))
    remote.audit_sync()
    remote.import_product_details(local.export_product_details(world.story.product_id))  # the product's names
    assert len(remote.codes.batches()) == len(local.codes.batches())
    remote.close()
    return pg_server.dsn, prefix


@pytest.fixture
def org_home(world, tmp_path):
    """Another organisation's machine: attached to the story's suite, the listed batch's manifest imported."""
    home = tmp_path / "org2"
    svc = TraceService(world.client, None, AddressBook.in_home(home), home=home)
    svc.attach(world.story.services["regulator"].deployment.address("OrgRegistry"))
    svc.import_manifest(world.story.services["manufacturer"].export_manifest(world.listed_batch))
    svc.close()
    return home
