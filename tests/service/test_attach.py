"""Joining a deployment from another home: read the suite from its OrgRegistry, check its code."""

from __future__ import annotations

import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.devchain import DevChain, DevChainConfig, dev_keypairs
from fisco_drugtrace.types import Dialect
from fisco_drugtrace.contracts.artifacts import SUITE_CONTRACTS, load_artifact
from fisco_drugtrace.drugtrace import AddressBook, TraceService
from fisco_drugtrace.drugtrace.attach import SuiteCodeMismatch, code_difference, read_linked_suite
from fisco_drugtrace.drugtrace.ids import org_ref
from fisco_drugtrace.errors import AddressBookError, HexError


def _newcomer(market, tmp_path) -> TraceService:
    return TraceService(market.client, None, AddressBook.in_home(tmp_path), home=tmp_path)


def test_a_second_home_has_no_suite_and_is_told_to_attach(market, tmp_path) -> None:
    with pytest.raises(AddressBookError) as err:
        _newcomer(market, tmp_path).status()
    assert "contracts attach" in err.value.user_message and "contracts deploy" not in err.value.user_message


def test_attach_records_the_deployers_suite_and_checks_every_contract(market, tmp_path) -> None:
    deployed = market.svc["regulator"].deployment
    newcomer = _newcomer(market, tmp_path)
    done = newcomer.attach(deployed.address("OrgRegistry"))
    assert dict(done.deployment.contracts) == dict(deployed.contracts)
    assert [c.name for c in done.checks] == list(SUITE_CONTRACTS) and done.differing == []
    assert done.deployment.block_number == 0  # an address alone does not say where events start
    status = newcomer.status()
    assert status.root_org_id == market.orgs["regulator"] and all(status.code_present.values())
    # the same book entry in a fresh service: it really was recorded on disk
    assert _newcomer(market, tmp_path).deployment.contracts == deployed.contracts


def test_attach_refuses_an_address_without_a_suite(market, tmp_path) -> None:
    newcomer = _newcomer(market, tmp_path)
    with pytest.raises(AddressBookError, match="no contract"):
        newcomer.attach("0x" + "12" * 20)
    with pytest.raises(AddressBookError):  # a suite contract that is not an OrgRegistry
        newcomer.attach(market.svc["regulator"].deployment.address("CustodyLedger"))
    with pytest.raises(HexError, match="not a contract address"):  # bad input, not a missing suite
        newcomer.attach("0x1234")
    assert AddressBook.in_home(tmp_path).all() == []


def test_code_difference_masks_only_immutable_operands() -> None:
    art = load_artifact("CustodyLedger").deployed_bytecode
    at = art.index(b"\x7f" + b"\x00" * 32) + 1
    with_immutable = art[:at] + b"\x11" * 32 + art[at + 32:]
    assert code_difference(with_immutable, art) is None
    patched = bytearray(art)
    patched[0] ^= 0xFF
    assert "from byte 0" in code_difference(bytes(patched), art)
    assert "bytes" in code_difference(art + b"\x00", art)
    assert code_difference(b"", art) == "no code at this address"


def test_attach_names_the_contract_whose_code_differs(market, tmp_path, monkeypatch) -> None:
    deployed = market.svc["regulator"].deployment
    real_get_code = market.client.get_code
    recall = deployed.address("RecallManager")

    def tampered(address: str) -> bytes:
        code = real_get_code(address)
        return code[:-1] + bytes([code[-1] ^ 1]) if address.lower() == recall.lower() else code

    monkeypatch.setattr(market.client, "get_code", tampered)
    newcomer = _newcomer(market, tmp_path)
    with pytest.raises(SuiteCodeMismatch) as err:
        newcomer.attach(deployed.address("OrgRegistry"))
    assert [c.name for c in err.value.checks if not c.matches] == ["RecallManager"]
    assert AddressBook.in_home(tmp_path).all() == []
    done = newcomer.attach(deployed.address("OrgRegistry"), accept_different_code=True)
    assert done.differing == ["RecallManager"]


def test_read_linked_suite_lists_the_five(market) -> None:
    deployed = market.svc["regulator"].deployment
    assert read_linked_suite(market.client, deployed.address("OrgRegistry").upper().replace("0X", "0x")) == \
        dict(deployed.contracts)


def test_attach_with_no_address_finds_the_suite_in_the_name_service(market, tmp_path) -> None:
    deployed = market.svc["regulator"].deployment
    assert deployed.name_service.startswith("/apps/fisco-drugtrace/suite-")
    done = _newcomer(market, tmp_path).attach()
    assert done.source == deployed.name_service and dict(done.deployment.contracts) == dict(deployed.contracts)
    assert done.deployment.block_number == deployed.block_number > 0  # the published note


def test_discovery_names_a_suite_of_another_release_instead_of_taking_it(tmp_path, monkeypatch) -> None:
    from fisco_drugtrace.drugtrace import discovery

    chain = DevChain(DevChainConfig())
    client = connect(Settings(), handler=chain.handle_raw)
    try:
        newcomer = TraceService(client, None, AddressBook.in_home(tmp_path / "b"), home=tmp_path / "b")
        with pytest.raises(AddressBookError, match="none published"):
            newcomer.attach()
        monkeypatch.setattr(discovery, "suite_version", lambda: "suite-0000000000000000")
        TraceService(client, LocalSigner(dev_keypairs(1)[0]), AddressBook.in_home(tmp_path / "a"),
                     home=tmp_path / "a").deploy("11100000000013127X", region=110000)
        monkeypatch.undo()
        with pytest.raises(AddressBookError) as err:
            newcomer.attach()
        assert "suite-0000000000000000" in err.value.user_message and "another release" in err.value.user_message
    finally:
        client.close()
        chain.close()


def test_a_2x_deployment_is_found_through_cns(tmp_path) -> None:
    chain = DevChain(DevChainConfig(dialect=Dialect.V2))
    client = connect(Settings(dialect=Dialect.V2, group=1), handler=chain.handle_raw)
    try:
        deployed = TraceService(client, LocalSigner(dev_keypairs(1)[0]), AddressBook.in_home(tmp_path / "a"),
                                home=tmp_path / "a").deploy("11100000000013127X", region=110000)
        assert deployed.name_service.startswith("cns:fisco-drugtrace/suite-")
        done = TraceService(client, None, AddressBook.in_home(tmp_path / "b"), home=tmp_path / "b").attach()
        assert dict(done.deployment.contracts) == dict(deployed.contracts) and done.differing == []
        assert done.deployment.block_number == deployed.block_number
    finally:
        client.close()
        chain.close()


@pytest.mark.parametrize("dialect", [Dialect.V3, Dialect.V2], ids=["bfs", "cns"])
def test_a_second_suite_does_not_take_over_the_published_name(tmp_path, dialect) -> None:
    """The name service is not authenticated (a 3.x BFS link is overwritten by the next one): an
    account that deploys its own suite later must not become what newcomers discover, while the
    regulator redeploying its own suite still moves the name. ``attach`` names the root found."""
    chain = DevChain(DevChainConfig(dialect=dialect))
    client = connect(Settings(dialect=dialect, group=1 if dialect is Dialect.V2 else "group0"),
                     handler=chain.handle_raw)
    regulator, rogue = (LocalSigner(k) for k in dev_keypairs(2))
    steps: list[str] = []
    try:
        first = TraceService(client, regulator, AddressBook.in_home(tmp_path / "reg"), home=tmp_path / "reg") \
            .deploy("11100000000013127X", region=110000)
        second = TraceService(client, rogue, AddressBook.in_home(tmp_path / "rogue"), home=tmp_path / "rogue") \
            .deploy("91110000MA0ROGUE1X", region=110000, on_step=steps.append)
        assert first.name_service and second.name_service == ""
        if dialect is Dialect.V3:  # CNS refuses a second record itself; BFS would have relinked
            assert any(s.startswith("! not published") and first.address("OrgRegistry") in s for s in steps)
        found = TraceService(client, None, AddressBook.in_home(tmp_path / "new"), home=tmp_path / "new").attach()
        assert found.deployment.address("OrgRegistry") == first.address("OrgRegistry")
        assert found.root_org_id == org_ref("11100000000013127X")
        # a home on the first suite switches to another live one only when told to
        newcomer = TraceService(client, None, AddressBook.in_home(tmp_path / "new"), home=tmp_path / "new")
        with pytest.raises(AddressBookError, match="already names the suite"):
            newcomer.attach(second.address("OrgRegistry"))
        assert newcomer.deployment.address("OrgRegistry") == first.address("OrgRegistry")
        switched = newcomer.attach(second.address("OrgRegistry"), replace=True)
        assert switched.root_org_id == org_ref("91110000MA0ROGUE1X")
        assert TraceService(client, None, AddressBook.in_home(tmp_path / "new"), home=tmp_path / "new") \
            .deployment.address("OrgRegistry") == second.address("OrgRegistry")
        if dialect is Dialect.V3:  # the root's own redeploy moves the name
            again = TraceService(client, regulator, AddressBook.in_home(tmp_path / "reg"), home=tmp_path / "reg") \
                .deploy("11100000000013127X", region=110000, replace=True)
            assert again.name_service == first.name_service
            moved = TraceService(client, None, AddressBook.in_home(tmp_path / "n2"), home=tmp_path / "n2").attach()
            assert moved.deployment.address("OrgRegistry") == again.address("OrgRegistry")
    finally:
        client.close()
        chain.close()
