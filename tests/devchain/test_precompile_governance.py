"""3.x permission governance (``--auth ADMIN``, as ``build_chain.sh -a``), enforced as a node does.

Behaviour read from FISCO-BCOS/bcos-auth ``CommitteeManager.sol``, ``ProposalManager.sol``,
``Committee.sol``, ``VoteComputer.sol`` (proposals, votes, require messages) and FISCO-BCOS
``bcos-executor/src/executive/TransactionExecutive.cpp`` (``checkAuth``: statuses 18/21/22 and the
``Error(string)`` outputs), ``precompiled/extension/AuthManagerPrecompiled.cpp``,
``ContractAuthMgrPrecompiled.cpp``, ``AccountManagerPrecompiled.cpp`` (who may change what)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from eth_abi import decode

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.errors import DataDirError, DevChainError

from devchain_helpers import SIGNERS, result, selector, send3, set_call, store_deploy, tx3
from precompile_helpers import call3, code3, data_of, error_text, send

ADMIN, GOV2, USER = SIGNERS
SYS = "0x0000000000000000000000000000000000001000"
AUTH = "0x0000000000000000000000000000000000001005"
COMMITTEE = "0x0000000000000000000000000000000000010001"
ACCOUNTS = "0x0000000000000000000000000000000000010003"
EXEC_RESULT = "0x" + __import__("fisco_drugtrace.crypto.ecdsa", fromlist=["keccak256"]).keccak256(
    b"execResult(int256)").hex()


@pytest.fixture
def gov() -> Iterator[DevChain]:
    with DevChain(DevChainConfig(auth_admin=ADMIN.address)) as chain:
        yield chain


def proposal_id(receipt: dict) -> int:
    assert receipt["status"] == 0, receipt
    return decode(["uint256"], bytes.fromhex(receipt["output"][2:]))[0]


def status_of(chain: DevChain, pid: int) -> int:
    proposal_manager = call3(chain, COMMITTEE, "_proposalMgr()", ["address"])[0].lower()
    return call3(chain, proposal_manager, "getProposalStatus(uint256)", ["uint8"], pid)[0]


def config(chain: DevChain, key: str) -> str:
    return result(chain, "getSystemConfigByKey", ["group0", "", key])["value"]


def deploy_as(chain: DevChain, signer) -> dict:  # noqa: ANN001
    return send3(chain, tx3(chain, "", store_deploy(), signer=signer))["result"]


def add_governor_and_raise_rates(chain: DevChain) -> None:
    """Two governors of weight 1, then participation and win rates of 51 %: one vote is not enough."""
    assert status_of(chain, proposal_id(send(chain, COMMITTEE, "createUpdateGovernorProposal(address,uint32,uint256)",
                                             GOV2.address, 1, 100))) == 2
    assert status_of(chain, proposal_id(send(chain, COMMITTEE, "createSetRateProposal(uint8,uint8,uint256)",
                                             51, 51, 100))) == 2


def test_the_chain_reports_governance(gov: DevChain) -> None:
    assert config(gov, "auth_check_status") == "1"
    info = result(gov, "getGroupInfo", ["group0"])
    assert '"isAuthCheck": true' in info["genesisConfig"] or '"isAuthCheck":true' in info["genesisConfig"]
    committee = call3(gov, COMMITTEE, "_committee()", ["address"])[0].lower()
    rates_and_members = call3(gov, committee, "getCommitteeInfo()", ["uint8", "uint8", "address[]", "uint32[]"])
    assert rates_and_members[:2] == (0, 0)
    assert [a.lower() for a in rates_and_members[2]] == [ADMIN.address] and list(rates_and_members[3]) == [1]


def test_system_config_only_through_a_proposal(gov: DevChain) -> None:
    assert code3(send(gov, SYS, "setValueByKey(string,string)", "tx_count_limit", "9")) == -50000
    receipt = send(gov, COMMITTEE, "createSetSysConfigProposal(string,string,uint256)", "tx_count_limit", "9", 100)
    pid = proposal_id(receipt)
    assert status_of(gov, pid) == 2  # the only governor's own vote passes it (genesis rates 0/0)
    (event,) = [e for e in receipt["logEntries"] if e["topics"] == [EXEC_RESULT]]
    assert int(event["data"], 16) == 0
    assert config(gov, "tx_count_limit") == "9"


def test_a_proposal_passes_only_with_its_votes(gov: DevChain) -> None:
    add_governor_and_raise_rates(gov)
    pid = proposal_id(send(gov, COMMITTEE, "createSetSysConfigProposal(string,string,uint256)",
                           "tx_count_limit", "11", 100))
    assert status_of(gov, pid) == 1 and config(gov, "tx_count_limit") == "1000"  # half the weight voted
    outsider = send(gov, COMMITTEE, "voteProposal(uint256,bool)", pid, True, signer=USER)
    assert outsider["status"] == 16 and error_text(outsider) == "you must be governor"
    again = send(gov, COMMITTEE, "voteProposal(uint256,bool)", pid, True)
    assert again["status"] == 16 and error_text(again) == "Already voted"
    assert send(gov, COMMITTEE, "voteProposal(uint256,bool)", pid, True, signer=GOV2)["status"] == 0
    assert status_of(gov, pid) == 2 and config(gov, "tx_count_limit") == "11"
    closed = send(gov, COMMITTEE, "voteProposal(uint256,bool)", pid, True, signer=GOV2)
    assert error_text(closed) == "Proposal is not votable"


def test_a_rejected_and_a_revoked_proposal_change_nothing(gov: DevChain) -> None:
    add_governor_and_raise_rates(gov)
    pid = proposal_id(send(gov, COMMITTEE, "createSetSysConfigProposal(string,string,uint256)",
                           "tx_count_limit", "12", 100))
    assert send(gov, COMMITTEE, "voteProposal(uint256,bool)", pid, False, signer=GOV2)["status"] == 0
    assert status_of(gov, pid) == 3 and config(gov, "tx_count_limit") == "1000"
    pid = proposal_id(send(gov, COMMITTEE, "createSetSysConfigProposal(string,string,uint256)",
                           "tx_count_limit", "13", 100))
    assert error_text(send(gov, COMMITTEE, "revokeProposal(uint256)", pid, signer=GOV2)) == "Only proposer can revoke"
    assert send(gov, COMMITTEE, "revokeProposal(uint256)", pid)["status"] == 0
    assert status_of(gov, pid) == 4


def test_an_outdated_proposal_is_not_renewed_by_a_late_vote(gov: DevChain) -> None:
    add_governor_and_raise_rates(gov)
    pid = proposal_id(send(gov, COMMITTEE, "createSetSysConfigProposal(string,string,uint256)",
                           "tx_count_limit", "14", 0))  # deadline: this very block
    proposal_manager = call3(gov, COMMITTEE, "_proposalMgr()", ["address"])[0].lower()
    assert send(gov, proposal_manager, "refreshProposalStatus(uint256)", pid)["status"] == 0
    assert status_of(gov, pid) == 5
    assert error_text(send(gov, COMMITTEE, "voteProposal(uint256,bool)", pid, True, signer=GOV2)) == \
        "Proposal is not votable"


def test_deploy_allow_list(gov: DevChain) -> None:
    assert deploy_as(gov, USER)["status"] == 0  # type 0: anyone deploys
    send(gov, COMMITTEE, "createSetDeployAuthTypeProposal(uint8,uint256)", 1, 100)  # white list
    refused = deploy_as(gov, USER)
    assert refused["status"] == 18 and error_text(refused) == "Create permission denied."
    assert refused["contractAddress"] in ("", None) or int(refused["contractAddress"] or "0", 16) == 0
    assert call3(gov, AUTH, "hasDeployAuth(address)", ["bool"], USER.address) == (False,)
    send(gov, COMMITTEE, "createModifyDeployAuthProposal(address,bool,uint256)", USER.address, True, 100)
    assert call3(gov, AUTH, "hasDeployAuth(address)", ["bool"], USER.address) == (True,)
    assert deploy_as(gov, USER)["status"] == 0
    again = send(gov, COMMITTEE, "createSetDeployAuthTypeProposal(uint8,uint256)", 1, 100)
    assert error_text(again) == "the current deploy auth type is the same as you want to set"


def test_method_acl_set_by_the_contract_admin(gov: DevChain) -> None:
    address = deploy_as(gov, GOV2)["contractAddress"]
    assert call3(gov, AUTH, "getAdmin(address)", ["address"], address)[0].lower() == GOV2.address
    fn = selector("set(uint256)")
    assert code3(send(gov, AUTH, "setMethodAuthType(address,bytes4,uint8)", address, fn, 1)) == -50000  # not admin
    assert code3(send(gov, AUTH, "setMethodAuthType(address,bytes4,uint8)", address, fn, 1, signer=GOV2)) == 0
    refused = send3(gov, tx3(gov, address, set_call(5), signer=USER))["result"]
    assert refused["status"] == 18 and error_text(refused) == "Call permission denied."
    assert refused["message"] == "Call permission denied"  # the receipt's message, as the node's
    assert code3(send(gov, AUTH, "openMethodAuth(address,bytes4,address)", address, fn, USER.address,
                      signer=GOV2)) == 0
    assert send3(gov, tx3(gov, address, set_call(5), signer=USER))["result"]["status"] == 0
    kind, allowed, blocked = call3(gov, AUTH, "getMethodAuth(address,bytes4)", ["uint8", "string[]", "string[]"],
                                   address, fn)
    assert kind == 1 and list(allowed) == [USER.address[2:]] and list(blocked) == []
    assert call3(gov, AUTH, "checkMethodAuth(address,bytes4,address)", ["bool"], address, fn, ADMIN.address) == \
        (False,)


def test_frozen_contract_and_frozen_account(gov: DevChain) -> None:
    address = deploy_as(gov, GOV2)["contractAddress"]
    assert code3(send(gov, AUTH, "setContractStatus(address,bool)", address, True, signer=GOV2)) == 0
    frozen = send3(gov, tx3(gov, address, set_call(1)))["result"]
    assert frozen["status"] == 21 and error_text(frozen) == "Contract is frozen."
    assert call3(gov, AUTH, "contractAvailable(address)", ["bool"], address) == (False,)
    assert code3(send(gov, AUTH, "setContractStatus(address,bool)", address, False, signer=GOV2)) == 0
    assert send3(gov, tx3(gov, address, set_call(1), signer=USER))["result"]["status"] == 0

    assert code3(send(gov, ACCOUNTS, "setAccountStatus(address,uint8)", USER.address, 1, signer=USER)) == -50000
    assert code3(send(gov, ACCOUNTS, "setAccountStatus(address,uint8)", USER.address, 1)) == 0
    refused = send3(gov, tx3(gov, address, set_call(2), signer=USER))["result"]
    assert refused["status"] == 22 and error_text(refused) == "Account is frozen."
    assert refused["message"] == "Account's status is abnormal"
    assert call3(gov, ACCOUNTS, "getAccountStatus(address)", ["uint8"], USER.address) == (1,)
    governor = send(gov, ACCOUNTS, "setAccountStatus(address,uint8)", ADMIN.address, 1)
    assert governor["status"] == 15 and error_text(governor) == "Should not set governor's status."
    assert code3(send(gov, ACCOUNTS, "setAccountStatus(address,uint8)", USER.address, 0)) == 0
    assert send3(gov, tx3(gov, address, set_call(2), signer=USER))["result"]["status"] == 0


def test_governance_survives_restart_and_the_admin_is_part_of_the_chain(tmp_path: Path) -> None:
    with DevChain(DevChainConfig(data_dir=tmp_path, auth_admin=ADMIN.address)) as chain:
        send(chain, COMMITTEE, "createSetDeployAuthTypeProposal(uint8,uint256)", 1, 100)
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:  # the dir remembers --auth
        assert deploy_as(chain, USER)["status"] == 18
        assert config(chain, "auth_check_status") == "1"
    with pytest.raises(DataDirError, match="auth admin"):
        DevChain(DevChainConfig(data_dir=tmp_path, auth_admin=GOV2.address))


def test_without_auth_there_is_no_committee_and_config_is_open(v3: DevChain) -> None:
    assert config(v3, "auth_check_status") == "0"
    assert code3(send(v3, SYS, "setValueByKey(string,string)", "tx_count_limit", "9")) == 0
    assert send(v3, COMMITTEE, "createSetSysConfigProposal(string,string,uint256)", "k", "v", 1)["status"] == 19
    with pytest.raises(DevChainError, match="3.x"):
        DevChainConfig(dialect="v2", auth_admin=ADMIN.address)
    with pytest.raises(DevChainError, match="address"):
        DevChainConfig(auth_admin="regulator")


def test_consensus_changes_only_through_the_committee(gov: DevChain) -> None:
    node = "ef" * 64
    consensus = "0x0000000000000000000000000000000000001003"
    assert code3(send(gov, consensus, "addObserver(string)", node)) == -50000  # governed: not directly
    receipt = send(gov, COMMITTEE, "createSetConsensusWeightProposal(string,uint32,bool,uint256)", node, 0, True, 100)
    assert status_of(gov, proposal_id(receipt)) == 2
    assert result(gov, "getObserverList", ["group0", ""]) == [node]
    receipt = send(gov, COMMITTEE, "createSetConsensusWeightProposal(string,uint32,bool,uint256)", node, 3, True, 100)
    assert [n["nodeID"] for n in result(gov, "getSealerList", ["group0", ""])][-1] == node
    assert status_of(gov, proposal_id(receipt)) == 2
    receipt = send(gov, COMMITTEE, "createRmNodeProposal(string,uint256)", node, 100)
    (event,) = [e for e in receipt["logEntries"] if e["topics"] == [EXEC_RESULT]]
    assert int(event["data"], 16) == 0 and len(result(gov, "getSealerList", ["group0", ""])) == 1


def test_dev_revert_takes_precompile_state_back(gov: DevChain) -> None:
    """A ``dev_`` snapshot/revert rebuilds the state by replay: the committee's and SystemConfig's
    tables go back with the EVM's."""
    snapshot = result(gov, "dev_snapshot", [])
    send(gov, COMMITTEE, "createSetDeployAuthTypeProposal(uint8,uint256)", 1, 100)
    assert deploy_as(gov, USER)["status"] == 18
    result(gov, "dev_revert", [snapshot])  # (its answer is devtools' to test)
    assert call3(gov, AUTH, "deployType()", ["uint256"]) == (0,)
    assert deploy_as(gov, USER)["status"] == 0


def test_auth_check_status_turns_the_checks_off_and_on_from_the_next_block(gov: DevChain) -> None:
    """``auth_check_status`` is what a node checks (``HostContext::execute``: ``authCheckStatus() !=
    0``, read into the ledger config by ``LedgerConfigFetcher::fetchAuthCheckStatus``): the committee
    voting it to 0 lifts the deploy white list, account freezing and the committee-only SystemConfig
    from the block after the vote; while it is 0 anyone may set it back."""
    send(gov, COMMITTEE, "createSetDeployAuthTypeProposal(uint8,uint256)", 1, 100)  # white list
    assert deploy_as(gov, USER)["status"] == 18
    # the vote and a deployment sealed in the same block: the deployment is still checked
    off = tx3(gov, COMMITTEE, data_of("createSetSysConfigProposal(string,string,uint256)", "auth_check_status",
                                      "0", 100))
    early = tx3(gov, "", store_deploy(), signer=USER)
    gov.chain.set_sealing(False)
    hashes = [gov.chain.submit(gov.chain.decode(raw)) for raw in (off, early)]
    start = gov.block_number
    gov.chain.set_sealing(True)
    assert gov.chain.wait_for_block(start + 1, 10)
    vote, refused = (result(gov, "getTransactionReceipt", ["group0", "", "0x" + h.hex(), False]) for h in hashes)
    assert vote["blockNumber"] == refused["blockNumber"] == start + 1
    assert status_of(gov, proposal_id(vote)) == 2 and refused["status"] == 18
    assert config(gov, "auth_check_status") == "0"
    # from the next block: no checks
    assert deploy_as(gov, USER)["status"] == 0
    assert code3(send(gov, ACCOUNTS, "setAccountStatus(address,uint8)", USER.address, 1)) == 0  # a governor still may
    assert deploy_as(gov, USER)["status"] == 0  # frozen, but nobody checks
    assert code3(send(gov, SYS, "setValueByKey(string,string)", "tx_count_limit", "17", signer=USER)) == 0
    # and anyone turns them back on, directly
    assert code3(send(gov, SYS, "setValueByKey(string,string)", "auth_check_status", "1", signer=USER)) == 0
    frozen = deploy_as(gov, USER)
    assert frozen["status"] == 22 and error_text(frozen) == "Account is frozen."
    assert code3(send(gov, SYS, "setValueByKey(string,string)", "tx_count_limit", "18")) == -50000


def test_auth_check_status_set_on_a_chain_without_governance(v3: DevChain) -> None:
    """Without ``--auth`` the checks are off, but a contract's admin (its deployer, from block
    version 3.3) may still set method ACLs; setting ``auth_check_status`` to 1 makes them bind — and,
    with no committee on the chain, nobody may change the system config after that."""
    address = deploy_as(v3, GOV2)["contractAddress"]
    fn = selector("set(uint256)")
    assert code3(send(v3, AUTH, "setMethodAuthType(address,bytes4,uint8)", address, fn, 1, signer=GOV2)) == 0
    assert send3(v3, tx3(v3, address, set_call(5), signer=USER))["result"]["status"] == 0  # not checked
    assert code3(send(v3, SYS, "setValueByKey(string,string)", "auth_check_status", "1", signer=USER)) == 0
    refused = send3(v3, tx3(v3, address, set_call(6), signer=USER))["result"]
    assert refused["status"] == 18 and error_text(refused) == "Call permission denied."
    assert config(v3, "auth_check_status") == "1"
    assert code3(send(v3, SYS, "setValueByKey(string,string)", "auth_check_status", "0")) == -50000


def test_auth_check_status_replays_the_same_after_a_restart(tmp_path: Path) -> None:
    """The replay on start re-executes every block under the checks in force for it (a receipt
    that came out differently would be refused as damage): the refused deployment before the vote
    and the accepted one after it both replay as stored."""
    with DevChain(DevChainConfig(data_dir=tmp_path, auth_admin=ADMIN.address)) as chain:
        send(chain, COMMITTEE, "createSetDeployAuthTypeProposal(uint8,uint256)", 1, 100)
        assert deploy_as(chain, USER)["status"] == 18
        send(chain, COMMITTEE, "createSetSysConfigProposal(string,string,uint256)", "auth_check_status", "0", 100)
        assert deploy_as(chain, USER)["status"] == 0
        height = chain.block_number
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        assert chain.block_number == height and config(chain, "auth_check_status") == "0"
        assert deploy_as(chain, USER)["status"] == 0  # still off
