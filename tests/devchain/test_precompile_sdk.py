"""The SDK's precompile bindings (``fisco_drugtrace.contracts.precompiled``) against the dev chain,
in both dialects, as a user would use them: a client, a signer, typed answers and typed errors."""

from __future__ import annotations

from typing import Iterator

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.contracts.precompiled import Bfs, Cns
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.errors import ContractError, PrecompiledCallError
from fisco_drugtrace.types import Dialect

from devchain_helpers import STORE_CODE

SIGNER = LocalSigner(dev_keypairs(1)[0])


@pytest.fixture
def client3() -> Iterator[object]:
    with DevChain(DevChainConfig(dialect="v3")) as chain:
        client = connect(Settings(), handler=chain.handle_raw)
        yield client
        client.close()


@pytest.fixture
def client2() -> Iterator[object]:
    with DevChain(DevChainConfig(dialect="v2")) as chain:
        client = connect(Settings(dialect=Dialect.V2, group=1), handler=chain.handle_raw)
        yield client
        client.close()


def deploy(client: object) -> str:
    receipt = client.send_transaction(SIGNER, None, STORE_CODE + bytes(31) + b"\x01")  # type: ignore[attr-defined]
    assert receipt.ok
    return receipt.contract_address


def test_bfs_link_readlink_list(client3: object) -> None:
    bfs = Bfs(client3, SIGNER)  # type: ignore[arg-type]
    address = deploy(client3)
    bfs.link("/apps/DrugTrace/OrgRegistry", address, "[]")
    assert bfs.readlink("/apps/DrugTrace/OrgRegistry") == address
    entries = bfs.list("/apps/DrugTrace")
    assert [(e.name, e.type) for e in entries] == [("OrgRegistry", "link")]
    (own,) = bfs.list("/apps/DrugTrace/OrgRegistry")
    assert own.link_address == address and own.ext[1] == "[]"
    assert bfs.readlink("/apps/DrugTrace/Nothing") is None
    bfs.link_version("Hello", "1.0", address)
    assert bfs.readlink("/apps/Hello/1.0") == address


def test_bfs_errors_are_typed_with_the_node_code(client3: object) -> None:
    bfs = Bfs(client3, SIGNER)  # type: ignore[arg-type]
    bfs.mkdir("/apps/x")
    with pytest.raises(PrecompiledCallError) as info:
        bfs.mkdir("/apps/x")
    assert info.value.code == -53002
    with pytest.raises(PrecompiledCallError) as info:
        bfs.list("/apps/none")
    assert info.value.code == -53001
    with pytest.raises(PrecompiledCallError) as info:
        bfs.link_version("Hello", "1.0", "0x" + "34" * 20)
    assert info.value.code == -51202
    with pytest.raises(ContractError):
        bfs.link("/apps", "0x" + "34" * 20)


def test_cns_insert_and_address_of(client2: object) -> None:
    cns = Cns(client2, SIGNER)  # type: ignore[arg-type]
    first, second = deploy(client2), deploy(client2)
    cns.insert("OrgRegistry", "1", first, "[]")
    cns.insert("OrgRegistry", "2", second)
    assert cns.address_of("OrgRegistry", "1") == first
    assert cns.address_of("OrgRegistry") == second  # latest registration
    assert cns.address_of("Nobody") is None and cns.address_of("OrgRegistry", "9") is None
    assert [e.version for e in cns.select("OrgRegistry")] == ["1", "2"]
    with pytest.raises(PrecompiledCallError) as info:
        cns.insert("OrgRegistry", "1", first)
    assert info.value.code == -51200


def test_each_binding_refuses_the_other_dialect(client2: object, client3: object) -> None:
    with pytest.raises(ContractError, match="3.x|v3"):
        Bfs(client2, SIGNER)  # type: ignore[arg-type]
    with pytest.raises(ContractError, match="2.x|v2"):
        Cns(client3, SIGNER)  # type: ignore[arg-type]
