"""The SDK's SystemConfig, Consensus and AuthManager bindings against the dev chain, used as an
operator would use the Java SDK's ``SystemConfigService``/``ConsensusService``/``AuthManager``."""

from __future__ import annotations

from typing import Iterator

import pytest

from fisco_drugtrace.client import connect
from fisco_drugtrace.config import Settings
from fisco_drugtrace.contracts.precompiled import (
    AccessStatus, AuthManager, AuthType, Consensus, ProposalStatus, SystemConfig,
)
from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.errors import ContractRevert, PrecompiledCallError, TransactionFailed
from fisco_drugtrace.types import Dialect

from devchain_helpers import SIGNERS, STORE_CODE

ADMIN, GOV2, USER = SIGNERS
OTHER_NODE = "cd" * 64


@pytest.fixture
def plain() -> Iterator[object]:
    with DevChain(DevChainConfig()) as chain:
        client = connect(Settings(), handler=chain.handle_raw)
        yield client
        client.close()


@pytest.fixture
def governed() -> Iterator[object]:
    with DevChain(DevChainConfig(auth_admin=ADMIN.address)) as chain:
        client = connect(Settings(), handler=chain.handle_raw)
        yield client
        client.close()


def deploy(client, signer):  # noqa: ANN001, ANN201
    return client.send_transaction(signer, None, STORE_CODE + bytes(32))


def test_system_config_set_get_and_reasons(plain) -> None:  # noqa: ANN001
    sys_config = SystemConfig(plain, ADMIN)
    sys_config.set("tx_count_limit", "77")
    assert sys_config.get("tx_count_limit") == ("77", plain.get_block_number() + 1)  # from the next block
    assert plain.get_system_config_by_key("tx_count_limit").value == "77"
    assert sys_config.get("no_such") is None
    with pytest.raises(TransactionFailed, match="must be no less than 100000"):
        sys_config.set("tx_gas_limit", "5")


def test_consensus_binding(plain) -> None:  # noqa: ANN001
    consensus = Consensus(plain, ADMIN)
    with pytest.raises(PrecompiledCallError) as info:
        consensus.add_sealer(OTHER_NODE)
    assert info.value.code == -51104
    consensus.add_observer(OTHER_NODE)
    consensus.add_sealer(OTHER_NODE, 3)
    consensus.set_weight(OTHER_NODE, 4)
    consensus.remove(OTHER_NODE)
    with pytest.raises(PrecompiledCallError) as info:
        consensus.remove(OTHER_NODE)
    assert info.value.code == -51103


def test_v2_system_config_and_consensus() -> None:
    with DevChain(DevChainConfig(dialect="v2")) as chain:
        client = connect(Settings(dialect=Dialect.V2, group=1), handler=chain.handle_raw)
        SystemConfig(client, ADMIN).set("tx_count_limit", "40")
        with pytest.raises(PrecompiledCallError) as info:
            SystemConfig(client, ADMIN).set("tx_count_limit", "0")
        assert info.value.code == -51300
        Consensus(client, ADMIN).add_sealer(OTHER_NODE)
        client.close()


def test_committee_flow_with_two_governors(governed) -> None:  # noqa: ANN001
    admin, second, outsider = (AuthManager(governed, s) for s in SIGNERS)
    info = admin.committee_info()
    assert info.governors == {ADMIN.address: 1} and (info.participates_rate, info.win_rate) == (0, 0)
    assert admin.update_governor(GOV2.address, 1).passed
    assert admin.set_rate(51, 51).passed
    pending = admin.set_sys_config("tx_count_limit", "21")
    assert pending.status is ProposalStatus.NOT_ENOUGH_VOTES and pending.agree_voters == (ADMIN.address,)
    with pytest.raises(ContractRevert, match="you must be governor"):
        outsider.vote(pending.id)
    done = second.vote(pending.id)
    assert done.passed and SystemConfig(governed).get("tx_count_limit")[0] == "21"
    assert [p.id for p in admin.proposals()][-1] == pending.id and admin.proposal_count() == pending.id


def test_deploy_and_method_rules_and_status(governed) -> None:  # noqa: ANN001
    admin, _, user = (AuthManager(governed, s) for s in SIGNERS)
    assert admin.set_deploy_auth_type(AuthType.WHITE_LIST).passed
    assert admin.deploy_auth_type() is AuthType.WHITE_LIST
    refused = deploy(governed, USER)
    assert refused.status == 18 and refused.status_name == "PermissionDenied"
    assert admin.modify_deploy_auth(ADMIN.address, True).passed and admin.has_deploy_auth(ADMIN.address)
    contract = deploy(governed, ADMIN).contract_address
    assert admin.admin_of(contract) == ADMIN.address
    admin.set_method_auth_type(contract, "set(uint256)", AuthType.BLACK_LIST)
    admin.set_method_auth(contract, "set(uint256)", USER.address, allow=False)
    assert not user.check_method_auth(contract, "set(uint256)", USER.address)
    assert admin.method_auth(contract, "set(uint256)").blocked == (USER.address,)
    with pytest.raises(PrecompiledCallError) as refused:
        user.set_method_auth_type(contract, "0x60fe47b1", AuthType.WHITE_LIST)  # not its admin
    assert refused.value.code == -50000
    admin.set_contract_status(contract, AccessStatus.FROZEN)
    assert not admin.contract_available(contract)
    admin.set_account_status(USER.address, AccessStatus.FROZEN)
    assert admin.account_status(USER.address) is AccessStatus.FROZEN
    assert admin.reset_admin(USER.address, contract).passed and admin.admin_of(contract) == USER.address


def test_a_passed_proposal_whose_target_refuses_is_reported(governed) -> None:  # noqa: ANN001
    admin = AuthManager(governed, ADMIN)
    with pytest.raises(PrecompiledCallError) as info:
        admin.set_consensus_weight(OTHER_NODE, 2, add=True)  # not an observer yet
    assert info.value.code == -51104


def test_auth_manager_on_a_chain_without_governance_says_so(plain) -> None:  # noqa: ANN001
    from fisco_drugtrace.errors import ContractError

    with pytest.raises(ContractError, match="no governance committee"):
        AuthManager(plain, ADMIN).committee_info()
    with pytest.raises(ContractError, match="no governance committee"):
        AuthManager(plain, ADMIN).set_sys_config("tx_count_limit", "5")
    assert AuthManager(plain).deploy_auth_type() is AuthType.NONE  # ContractAuth exists on every 3.x chain
