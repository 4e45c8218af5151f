"""A deployed suite with onboarded organisations on a fresh in-process dev chain (per module)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.drugtrace import AddressBook, TraceService
from fisco_drugtrace.drugtrace.story import ACTORS


@dataclass
class Market:
    chain: DevChain
    client: object
    home: object
    svc: dict[str, TraceService]
    orgs: dict[str, bytes]


@pytest.fixture(scope="module")
def market(tmp_path_factory) -> Iterator[Market]:
    home = tmp_path_factory.mktemp("svc-home")
    chain = DevChain(DevChainConfig())
    client = connect(Settings(), handler=chain.handle_raw)
    signers = [LocalSigner(k) for k in dev_keypairs(len(ACTORS) + 1)]
    regulator = TraceService(client, signers[0], AddressBook.in_home(home), home=home)
    root = ACTORS[0]
    regulator.deploy(root.credit_code, region=root.region, name=root.name)
    svc = {"regulator": regulator, "stranger": regulator.with_signer(signers[len(ACTORS)])}
    for actor, signer in zip(ACTORS[1:], signers[1:]):
        regulator.register_org(actor.credit_code, actor.kind, actor.region, name=actor.name)
        regulator.bind_account(signer.address, actor.credit_code)
        svc[actor.role] = regulator.with_signer(signer)
    yield Market(chain, client, home, svc, {a.role: a.org_id for a in ACTORS})
    for s in svc.values():
        s.close()
    client.close()  # type: ignore[attr-defined]
    chain.close()
