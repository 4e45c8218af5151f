"""FISCO BCOS 3.x permission governance: the committee, contract ACLs, deploy rules, account status.

Peer: the Java SDK's ``contract/auth/manager/AuthManager.java`` (and its contracts
``CommitteeManager``, ``Committee``, ``ProposalManager``, ``ContractAuthPrecompiled``,
``AccountManager``). ABIs from FISCO-BCOS/bcos-auth (``CommitteeManager.sol``, ``Committee.sol``,
``ProposalManager.sol``) and FISCO-BCOS ``bcos-executor/src/precompiled/solidity/
ContractAuthPrecompiled.sol`` / ``Account.sol``.

Who may do what (as on a node started with ``build_chain.sh -a``): governors create and vote
proposals (system config, consensus, deploy rules, contract admins, governors and vote rates); a
contract's admin (its deployer, unless a proposal reset it) sets its method ACLs and freezes it; a
governor sets an account's status directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from fisco_drugtrace.accounts import Signer
from fisco_drugtrace.client.base import FiscoClient
from fisco_drugtrace.crypto.ecdsa import keccak256
from fisco_drugtrace.encoding.hexutil import normalize_address
from fisco_drugtrace.errors import ContractError, ContractRevert, PrecompiledCallError, TransactionFailed
from fisco_drugtrace.types import Dialect

from ._common import PrecompiledContract, fn

__all__ = ["AuthManager", "AuthType", "AccessStatus", "ProposalType", "ProposalStatus", "CommitteeInfo",
           "ProposalInfo", "MethodAuth", "COMMITTEE_MANAGER_ADDRESS", "CONTRACT_AUTH_ADDRESS",
           "ACCOUNT_MANAGER_ADDRESS", "DEFAULT_BLOCK_NUMBER_INTERVAL", "AUTH_CODES"]

COMMITTEE_MANAGER_ADDRESS = "0x0000000000000000000000000000000000010001"
CONTRACT_AUTH_ADDRESS = "0x0000000000000000000000000000000000001005"
ACCOUNT_MANAGER_ADDRESS = "0x0000000000000000000000000000000000010003"
#: How long a proposal stays open, in blocks (the Java SDK's ``DEFAULT_BLOCK_NUMBER_INTERVAL``).
DEFAULT_BLOCK_NUMBER_INTERVAL = 3600 * 24 * 7
AUTH_CODES = {-50000: "not authorised", -50100: "no admin is recorded for that contract",
              -51003: "the method has no white/black list type", -51900: "that account is a contract"}


class AuthType(IntEnum):
    """Deploy and method ACL modes."""

    NONE = 0
    WHITE_LIST = 1
    BLACK_LIST = 2


class AccessStatus(IntEnum):
    """Contract and account status."""

    NORMAL = 0
    FROZEN = 1
    ABOLISHED = 2


class ProposalType(IntEnum):
    UPDATE_GOVERNOR = 11
    SET_RATE = 12
    UPGRADE_VOTE_COMPUTER = 13
    SET_DEPLOY_AUTH_TYPE = 21
    MODIFY_DEPLOY_AUTH = 22
    RESET_ADMIN = 31
    SET_CONFIG = 41
    SET_NODE_WEIGHT = 51
    REMOVE_NODE = 52


class ProposalStatus(IntEnum):
    UNKNOWN = 0
    NOT_ENOUGH_VOTES = 1
    FINISHED = 2
    FAILED = 3
    REVOKED = 4
    OUTDATED = 5


@dataclass(frozen=True)
class CommitteeInfo:
    participates_rate: int
    win_rate: int
    governors: dict[str, int]  # address -> weight, in the committee's order


@dataclass(frozen=True)
class ProposalInfo:
    id: int
    resource_id: str
    proposer: str
    type: ProposalType | int
    deadline_block: int
    status: ProposalStatus
    agree_voters: tuple[str, ...]
    against_voters: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return self.status is ProposalStatus.FINISHED


@dataclass(frozen=True)
class MethodAuth:
    type: AuthType
    allowed: tuple[str, ...]
    blocked: tuple[str, ...]


def _proposal_type(value: int) -> ProposalType | int:
    try:
        return ProposalType(value)
    except ValueError:
        return value


_I = "blockNumberInterval"
_COMMITTEE_MANAGER_ABI = [
    fn("_committee", [], ["address"], "view"), fn("_proposalMgr", [], ["address"], "view"),
    fn("isGovernor", ["address"], ["bool"], "view"), fn("getProposalType", ["uint256"], ["uint8"], "view"),
    fn("createUpdateGovernorProposal", ["address", "uint32", "uint256"], ["uint256"]),
    fn("createSetRateProposal", ["uint8", "uint8", "uint256"], ["uint256"]),
    fn("createSetDeployAuthTypeProposal", ["uint8", "uint256"], ["uint256"]),
    fn("createModifyDeployAuthProposal", ["address", "bool", "uint256"], ["uint256"]),
    fn("createResetAdminProposal", ["address", "address", "uint256"], ["uint256"]),
    fn("createSetSysConfigProposal", ["string", "string", "uint256"], ["uint256"]),
    fn("createSetConsensusWeightProposal", ["string", "uint32", "bool", "uint256"], ["uint256"]),
    fn("createRmNodeProposal", ["string", "uint256"], ["uint256"]),
    fn("createUpgradeVoteComputerProposal", ["address", "uint256"], ["uint256"]),
    fn("revokeProposal", ["uint256"]), fn("voteProposal", ["uint256", "bool"]),
    {"type": "event", "name": "execResult", "anonymous": False,
     "inputs": [{"name": "code", "type": "int256", "indexed": False}]},
]
_COMMITTEE_ABI = [fn("getCommitteeInfo", [], ["uint8", "uint8", "address[]", "uint32[]"], "view"),
                  fn("isGovernor", ["address"], ["bool"], "view"), fn("getWeight", ["address"], ["uint32"], "view")]
_PROPOSAL_MANAGER_ABI = [
    fn("_proposalCount", [], ["uint256"], "view"),
    fn("getProposalInfo", ["uint256"], ["address", "address", "uint8", "uint256", "uint8", "address[]", "address[]"],
       "view"),
    fn("getProposalStatus", ["uint256"], ["uint8"], "view"),
    fn("refreshProposalStatus", ["uint256"], ["uint8"]),
]
_CONTRACT_AUTH_ABI = [
    fn("getAdmin", ["address"], ["address"], "view"), fn("resetAdmin", ["address", "address"], ["int256"]),
    fn("setMethodAuthType", ["address", "bytes4", "uint8"], ["int256"]),
    fn("openMethodAuth", ["address", "bytes4", "address"], ["int256"]),
    fn("closeMethodAuth", ["address", "bytes4", "address"], ["int256"]),
    fn("checkMethodAuth", ["address", "bytes4", "address"], ["bool"], "view"),
    fn("getMethodAuth", ["address", "bytes4"], ["uint8", "string[]", "string[]"], "view"),
    fn("setContractStatus", ["address", "uint8"], ["int256"]),
    fn("contractAvailable", ["address"], ["bool"], "view"), fn("deployType", [], ["uint256"], "view"),
    fn("hasDeployAuth", ["address"], ["bool"], "view"),
]
_ACCOUNT_MANAGER_ABI = [fn("setAccountStatus", ["address", "uint8"], ["int32"]),
                        fn("getAccountStatus", ["address"], ["uint8"], "view")]


class _Part(PrecompiledContract):
    NAME = "governance"
    CODES = AUTH_CODES
    DIALECTS = (Dialect.V3,)

    def __init__(self, client: FiscoClient, signer: Signer | None, address: str, abi: list[dict[str, Any]],
                 name: str) -> None:
        self.ADDRESS, self.ABI, self.NAME = address, abi, name
        super().__init__(client, signer)

    def _call(self, fn_name: str, *args: Any) -> Any:
        try:
            return super()._call(fn_name, *args)
        except ContractRevert as exc:
            raise _no_committee(exc) from None

    def _transact_receipt(self, fn_name: str, *args: Any) -> tuple[Any, Any]:
        try:
            return super()._transact_receipt(fn_name, *args)
        except TransactionFailed as exc:
            raise _no_committee(exc) from None


def _no_committee(exc: TransactionFailed) -> Exception:
    """A call to a system contract address with nothing there (status 19, "Error address:..."):
    the chain was built without governance."""
    if isinstance(exc, ContractRevert):
        message = str(exc.error_args.get("message", exc.error_args.get("arg0", "")))
    else:
        message = str(exc) if exc.status_name == "CallAddressError" else ""
    if "Error address:" in message:
        return ContractError("this chain has no governance committee (a 3.x chain built with build_chain.sh -a "
                             "has one; the dev chain with --auth ADMIN_ADDRESS)")
    return exc


class AuthManager:
    """``AuthManager(client, signer)``: the governance surface of a 3.x chain started with ``-a``.

    Proposal methods return the proposal's :class:`ProposalInfo` after the transaction (check
    ``.passed``: with several governors it stays open until enough of them vote).
    """

    def __init__(self, client: FiscoClient, signer: Signer | None = None,
                 block_number_interval: int = DEFAULT_BLOCK_NUMBER_INTERVAL) -> None:
        self.client = client
        self.signer = signer
        self.interval = block_number_interval
        self.committee_manager = _Part(client, signer, COMMITTEE_MANAGER_ADDRESS, _COMMITTEE_MANAGER_ABI,
                                       "CommitteeManager")
        self.contract_auth = _Part(client, signer, CONTRACT_AUTH_ADDRESS, _CONTRACT_AUTH_ABI, "ContractAuth")
        self.account_manager = _Part(client, signer, ACCOUNT_MANAGER_ADDRESS, _ACCOUNT_MANAGER_ABI, "AccountManager")
        self._committee: _Part | None = None
        self._proposals: _Part | None = None

    def _selector(self, func: str | bytes) -> bytes:
        """A method: its 4-byte selector, ``0x`` + 8 hex digits, or a signature ``set(uint256)``."""
        if isinstance(func, bytes):
            if len(func) != 4:
                raise ContractError(f"a method selector is 4 bytes, got {len(func)}")
            return func
        text = func.strip()
        if "(" in text:
            hasher = self.signer.suite.hash if self.signer is not None else keccak256
            return hasher(text.replace(" ", "").encode())[:4]
        digits = text.removeprefix("0x")
        if len(digits) != 8 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ContractError(f"not a method: {func!r} (give a signature such as set(uint256) or 0x + 8 hex)")
        return bytes.fromhex(digits)

    # ------------------------------------------------------------------ the committee
    def _committee_part(self) -> _Part:
        if self._committee is None:
            address = self.committee_manager._call("_committee")
            self._committee = _Part(self.client, self.signer, address, _COMMITTEE_ABI, "Committee")
        return self._committee

    def _proposal_part(self) -> _Part:
        if self._proposals is None:
            address = self.committee_manager._call("_proposalMgr")
            self._proposals = _Part(self.client, self.signer, address, _PROPOSAL_MANAGER_ABI, "ProposalManager")
        return self._proposals

    def committee_info(self) -> CommitteeInfo:
        participates, win, governors, weights = self._committee_part()._call("getCommitteeInfo")
        return CommitteeInfo(int(participates), int(win),
                             {normalize_address(g): int(w) for g, w in zip(governors, weights)})

    def is_governor(self, account: str) -> bool:
        return bool(self.committee_manager._call("isGovernor", normalize_address(account)))

    def proposal_count(self) -> int:
        return int(self._proposal_part()._call("_proposalCount"))

    def proposal(self, proposal_id: int) -> ProposalInfo:
        resource, proposer, kind, deadline, status, agree, against = \
            self._proposal_part()._call("getProposalInfo", proposal_id)
        if int(status) == 0:
            raise ContractError(f"no proposal {proposal_id} (there are {self.proposal_count()})")
        return ProposalInfo(proposal_id, normalize_address(resource), normalize_address(proposer),
                            _proposal_type(int(kind)), int(deadline), ProposalStatus(int(status)),
                            tuple(normalize_address(a) for a in agree), tuple(normalize_address(a) for a in against))

    def proposals(self) -> list[ProposalInfo]:
        return [self.proposal(i) for i in range(1, self.proposal_count() + 1)]

    def _propose(self, fn_name: str, *args: Any) -> ProposalInfo:
        pid, receipt = self.committee_manager._transact_receipt(fn_name, *args, self.interval)
        info = self.proposal(int(pid))
        if info.passed:
            self._check_executed(fn_name, receipt)
        return info

    def _check_executed(self, operation: str, receipt: Any) -> None:
        """A passed proposal's ``execResult`` must be 0: anything else is the target's refusal."""
        for event in self.committee_manager.contract.decode_receipt_events(receipt):
            if event.name == "execResult" and int(event.args["code"]) != 0:
                code = int(event.args["code"])
                raise PrecompiledCallError(f"{operation} (passed, executed)", code, "the target refused it")

    def update_governor(self, account: str, weight: int) -> ProposalInfo:
        """Add a governor, change its weight, or (weight 0) remove it."""
        return self._propose("createUpdateGovernorProposal", normalize_address(account), weight)

    def set_rate(self, participates_rate: int, win_rate: int) -> ProposalInfo:
        return self._propose("createSetRateProposal", participates_rate, win_rate)

    def set_deploy_auth_type(self, kind: AuthType | int) -> ProposalInfo:
        return self._propose("createSetDeployAuthTypeProposal", int(kind))

    def modify_deploy_auth(self, account: str, allow: bool) -> ProposalInfo:
        return self._propose("createModifyDeployAuthProposal", normalize_address(account), allow)

    def reset_admin(self, new_admin: str, contract: str) -> ProposalInfo:
        return self._propose("createResetAdminProposal", normalize_address(new_admin), normalize_address(contract))

    def set_sys_config(self, key: str, value: str) -> ProposalInfo:
        return self._propose("createSetSysConfigProposal", key, str(value))

    def set_consensus_weight(self, node_id: str, weight: int, add: bool) -> ProposalInfo:
        """``add``: join as sealer (weight > 0) or observer (weight 0); else change the weight."""
        return self._propose("createSetConsensusWeightProposal", node_id, weight, add)

    def remove_node(self, node_id: str) -> ProposalInfo:
        return self._propose("createRmNodeProposal", node_id)

    def vote(self, proposal_id: int, agree: bool = True) -> ProposalInfo:
        _, receipt = self.committee_manager._transact_receipt("voteProposal", proposal_id, agree)
        info = self.proposal(proposal_id)
        if info.passed:
            self._check_executed(f"proposal {proposal_id}", receipt)
        return info

    def revoke(self, proposal_id: int) -> ProposalInfo:
        self.committee_manager._transact("revokeProposal", proposal_id)
        return self.proposal(proposal_id)

    # ------------------------------------------------------------------ deploy rules
    def deploy_auth_type(self) -> AuthType:
        return AuthType(int(self.contract_auth._call("deployType")))

    def has_deploy_auth(self, account: str) -> bool:
        return bool(self.contract_auth._call("hasDeployAuth", normalize_address(account)))

    # ------------------------------------------------------------------ contract admins, ACLs, status
    def admin_of(self, contract: str) -> str | None:
        admin = normalize_address(self.contract_auth._call("getAdmin", normalize_address(contract)))
        return None if int(admin, 16) == 0 else admin

    def set_method_auth_type(self, contract: str, func: str | bytes, kind: AuthType | int) -> None:
        """(contract admin) Give a method a white or black list."""
        code = self.contract_auth._transact("setMethodAuthType", normalize_address(contract), self._selector(func),
                                            int(kind))
        self.contract_auth._check("setMethodAuthType", int(code))

    def set_method_auth(self, contract: str, func: str | bytes, account: str, allow: bool) -> None:
        """(contract admin) Open or close a method for an account."""
        fn_name = "openMethodAuth" if allow else "closeMethodAuth"
        code = self.contract_auth._transact(fn_name, normalize_address(contract), self._selector(func),
                                            normalize_address(account))
        self.contract_auth._check(fn_name, int(code))

    def check_method_auth(self, contract: str, func: str | bytes, account: str) -> bool:
        return bool(self.contract_auth._call("checkMethodAuth", normalize_address(contract), self._selector(func),
                                             normalize_address(account)))

    def method_auth(self, contract: str, func: str | bytes) -> MethodAuth:
        kind, allowed, blocked = self.contract_auth._call("getMethodAuth", normalize_address(contract),
                                                          self._selector(func))
        return MethodAuth(AuthType(int(kind)), tuple("0x" + a for a in allowed), tuple("0x" + b for b in blocked))

    def set_contract_status(self, contract: str, status: AccessStatus | int) -> None:
        """(contract admin) Freeze, unfreeze or abolish a contract."""
        code = self.contract_auth._transact("setContractStatus", normalize_address(contract), int(status))
        self.contract_auth._check("setContractStatus", int(code))

    def contract_available(self, contract: str) -> bool:
        return bool(self.contract_auth._call("contractAvailable", normalize_address(contract)))

    # ------------------------------------------------------------------ accounts
    def set_account_status(self, account: str, status: AccessStatus | int) -> None:
        """(governor) Freeze, unfreeze or abolish an account."""
        code = self.account_manager._transact("setAccountStatus", normalize_address(account), int(status))
        self.account_manager._check("setAccountStatus", int(code))

    def account_status(self, account: str) -> AccessStatus:
        return AccessStatus(int(self.account_manager._call("getAccountStatus", normalize_address(account))))
