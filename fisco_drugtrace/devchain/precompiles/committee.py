"""The 3.x governance committee: CommitteeManager at ``0x10001`` and the Committee and
ProposalManager contracts it creates.

On a node these are Solidity contracts written into the genesis block by ``build_chain.sh -a``
(``AuthManagerPrecompiled::initAuth`` deploys CommitteeManager with the admin as the only
governor, weight 1, participation and win rates 0). Their behaviour is read from
FISCO-BCOS/bcos-auth ``CommitteeManager.sol``, ``Committee.sol``, ``ProposalManager.sol``,
``VoteComputer.sol`` and ``LibAddressSet.sol``. They call precompiles (0x1000, 0x1003, 0x1005) from
inside the EVM, which pyrevm cannot route to Python, so the dev chain runs them as Python
precompiles with the same ABI, the same ``require`` messages (status 16 with ``Error(string)``)
and the same ``execResult(int256)`` event when a passed proposal is executed.

Proposal types: 11 update governor, 12 set rates, 13 upgrade vote computer (refused here: the new
computer is EVM code the dev chain cannot call), 21 deploy auth type, 22 modify deploy auth,
31 reset admin, 41 system config, 51 consensus weight, 52 remove node. Status: 1 created (open),
2 passed (and executed), 3 rejected, 4 revoked, 5 outdated.

Vote: a proposal passes when the governors who voted hold at least ``participatesRate`` % of all
weight and those in favour at least ``winRate`` % of the votes cast; it is rejected when enough
voted but too few agreed. Creating a proposal is the proposer's "yes" vote, so with the genesis
rates (0 and 0) any governor's proposal passes at once; raise the rates (a type-12 proposal) for
votes to matter.

The Committee and ProposalManager addresses are the dev chain's (the Ethereum CREATE rule from
0x10001, as every internal creation here); read them with ``_committee()`` / ``_proposalMgr()``.
"""

from __future__ import annotations

from typing import Any

from fisco_drugtrace.crypto.ecdsa import keccak256

from .base import CallContext, Hasher, Precompile, Revert, Txn, address_of, encode
from .sysconfig import COMMITTEE_ADDRESS

__all__ = ["CommitteeManagerPrecompile", "CommitteePrecompile", "ProposalManagerPrecompile",
           "COMMITTEE_MANAGER_ADDRESS", "COMMITTEE_CONTRACT_ADDRESS", "PROPOSAL_MANAGER_ADDRESS",
           "VOTE_COMPUTER_ADDRESS", "governors", "genesis_committee"]

COMMITTEE_MANAGER_ADDRESS = COMMITTEE_ADDRESS


def _created(creator: str, nonce: int) -> str:
    """Ethereum ``CREATE``: keccak(rlp([creator, nonce]))[12:] for nonce 1..127."""
    rlp = bytes([0xD6, 0x94]) + bytes.fromhex(creator[2:]) + bytes([nonce])
    return "0x" + keccak256(rlp)[12:].hex()


COMMITTEE_CONTRACT_ADDRESS = _created(COMMITTEE_MANAGER_ADDRESS, 1)
PROPOSAL_MANAGER_ADDRESS = _created(COMMITTEE_MANAGER_ADDRESS, 2)
VOTE_COMPUTER_ADDRESS = _created(PROPOSAL_MANAGER_ADDRESS, 1)

_SYS_CONFIG, _CONSENSUS, _CONTRACT_AUTH = address_of(0x1000), address_of(0x1003), address_of(0x1005)
_COMMITTEE = "s_committee"  # "governors" -> ((address hex, weight), ...) in set order; "rates" -> (p, w)
_PROPOSALS = "s_proposals"  # "count" -> n; id -> proposal tuple; ("index", type, resource) -> id
_INFOS = "s_proposal_infos"  # id -> (type, resource, uint8s, strings, weight, addresses, flag)
_PROPOSAL_INFO = "(address,address,uint8,uint256,uint8,address[],address[])"

#: (resourceId, proposer, type, deadline block, status, agree voters, against voters)
Proposal = tuple[str, str, int, int, int, tuple[str, ...], tuple[str, ...]]


def _hex(address: str) -> str:
    return address.lower().removeprefix("0x")


def genesis_committee(txn: Txn, admin: str) -> None:
    """What ``initAuth`` writes: the admin as the only governor (weight 1), rates 0 and 0."""
    txn.set(_COMMITTEE, "governors", ((_hex(admin), 1),))
    txn.set(_COMMITTEE, "rates", (0, 0))
    txn.set(_PROPOSALS, "count", 0)


def governors(txn: Txn) -> list[str]:
    return [g for g, _ in txn.get(_COMMITTEE, "governors", ())]


def _weights(txn: Txn) -> dict[str, int]:
    return dict(txn.get(_COMMITTEE, "governors", ()))


def _set_weight(txn: Txn, ctx: CallContext, governor: str, weight: int) -> None:
    """``Committee.setWeight`` (LibAddressSet order: a removal moves the last member into the gap)."""
    members = list(txn.get(_COMMITTEE, "governors", ()))
    who = _hex(governor)
    index = next((i for i, (g, _) in enumerate(members) if g == who), None)
    if weight == 0:
        if who == _hex(ctx.origin or ctx.sender):
            raise Revert("You can not remove yourself!")
        if index is None:
            raise Revert("LibAddressSet: value doesn't exist.")
        last = members.pop()
        if index < len(members):
            members[index] = last
    elif index is not None:
        members[index] = (who, weight)
    else:
        if who == _hex(address_of(0)):
            raise Revert("LibAddressSet: value can't be 0x0")
        members.append((who, weight))
    txn.set(_COMMITTEE, "governors", tuple(members))


def _vote_result(txn: Txn, agree: tuple[str, ...], against: tuple[str, ...]) -> int:
    """``VoteComputer.determineVoteResult`` / ``voteResultCalc``."""
    weights = _weights(txn)
    agree_votes = sum(weights.get(v, 0) for v in agree)
    done_votes = agree_votes + sum(weights.get(v, 0) for v in against)
    all_votes = sum(weights.values())
    participates, win = txn.get(_COMMITTEE, "rates", (0, 0))
    if done_votes * 100 < all_votes * participates:
        return 1
    return 2 if agree_votes * 100 >= win * done_votes else 3


class CommitteePrecompile(Precompile):
    """The Committee contract's read interface (its writes are the manager's: "Only owner!")."""

    def __init__(self, hasher: Hasher) -> None:
        super().__init__(COMMITTEE_CONTRACT_ADDRESS, "Committee", hasher)
        reg = self.register
        reg("getCommitteeInfo()", self._info)
        reg("isGovernor(address)", lambda t, c, a: encode(["bool"], [_hex(a) in governors(t)]))
        reg("getWeight(address)", lambda t, c, a: encode(["uint32"], [_weights(t).get(_hex(a), 0)]))
        reg("getWeights()", lambda t, c: encode(["uint32"], [sum(_weights(t).values())]))
        reg("getWeights(address[])", lambda t, c, vs: encode(["uint32"], [sum(_weights(t).get(_hex(v), 0)
                                                                              for v in vs)]))
        reg("_participatesRate()", lambda t, c: encode(["uint8"], [t.get(_COMMITTEE, "rates", (0, 0))[0]]))
        reg("_winRate()", lambda t, c: encode(["uint8"], [t.get(_COMMITTEE, "rates", (0, 0))[1]]))
        reg("_owner()", lambda t, c: encode(["address"], [COMMITTEE_MANAGER_ADDRESS]))
        reg("auth(address)", lambda t, c, a: encode(["bool"], [_hex(a) in (_hex(COMMITTEE_MANAGER_ADDRESS),
                                                                           _hex(COMMITTEE_CONTRACT_ADDRESS))]))
        for sig in ("setWeight(address,uint32)", "setRate(uint8,uint8)", "setOwner(address)"):
            reg(sig, self._only_owner)

    def _only_owner(self, txn: Txn, ctx: CallContext, *args: Any) -> bytes:
        raise Revert("Only owner!")

    def _info(self, txn: Txn, ctx: CallContext) -> bytes:
        members = txn.get(_COMMITTEE, "governors", ())
        participates, win = txn.get(_COMMITTEE, "rates", (0, 0))
        return encode(["uint8", "uint8", "address[]", "uint32[]"],
                      [participates, win, ["0x" + g for g, _ in members], [w for _, w in members]])


class ProposalManagerPrecompile(Precompile):
    """The ProposalManager contract's interface (its writes but ``refreshProposalStatus`` are the manager's)."""

    def __init__(self, hasher: Hasher) -> None:
        super().__init__(PROPOSAL_MANAGER_ADDRESS, "ProposalManager", hasher)
        reg = self.register
        reg("_proposalCount()", lambda t, c: encode(["uint256"], [t.get(_PROPOSALS, "count", 0)]))
        reg("_proposals(uint256)", self._proposal_fields)
        reg("_proposalIndex(uint8,address)", self._index)
        reg("getIdByTypeAndResourceId(uint8,address)", self._index)
        reg("getProposalInfo(uint256)", self._info)
        reg("getProposalInfoList(uint256,uint256)", self._info_list)
        reg("getProposalStatus(uint256)", lambda t, c, i: encode(["uint8"], [proposal(t, i)[4]]))
        reg("refreshProposalStatus(uint256)", self._refresh)
        reg("_voteComputer()", lambda t, c: encode(["address"], [VOTE_COMPUTER_ADDRESS]))
        reg("_owner()", lambda t, c: encode(["address"], [COMMITTEE_MANAGER_ADDRESS]))
        reg("auth(address)", lambda t, c, a: encode(["bool"], [_hex(a) in (_hex(COMMITTEE_MANAGER_ADDRESS),
                                                                           _hex(PROPOSAL_MANAGER_ADDRESS))]))
        for sig in ("create(address,uint8,address,uint256)", "vote(uint256,bool,address)",
                    "revoke(uint256,address)", "setVoteComputer(address)", "setOwner(address)"):
            reg(sig, self._only_owner)

    def _only_owner(self, txn: Txn, ctx: CallContext, *args: Any) -> bytes:
        raise Revert("Only owner!")

    def _proposal_fields(self, txn: Txn, ctx: CallContext, pid: int) -> bytes:
        p = proposal(txn, pid)
        return encode(["address", "address", "uint8", "uint256", "uint8"], ["0x" + p[0], "0x" + p[1], p[2], p[3], p[4]])

    def _index(self, txn: Txn, ctx: CallContext, kind: int, resource: str) -> bytes:
        return encode(["uint256"], [txn.get(_PROPOSALS, ("index", kind, _hex(resource)), 0)])

    def _info(self, txn: Txn, ctx: CallContext, pid: int) -> bytes:
        return encode(["address", "address", "uint8", "uint256", "uint8", "address[]", "address[]"],
                      list(_info_tuple(proposal(txn, pid))))

    def _info_list(self, txn: Txn, ctx: CallContext, first: int, last: int) -> bytes:
        count = txn.get(_PROPOSALS, "count", 0)
        if first > count:
            raise Revert("'from' is greater than 'proposalCount'")
        if first > last:
            raise Revert("'from' is greater than 'to'")
        last, first = min(last, count), max(first, 1)
        return encode([_PROPOSAL_INFO + "[]"], [[_info_tuple(proposal(txn, i)) for i in range(first, last + 1)]])

    def _refresh(self, txn: Txn, ctx: CallContext, pid: int) -> bytes:
        return encode(["uint8"], [refresh(txn, ctx, pid)])


_EMPTY: Proposal = (_hex(address_of(0)), _hex(address_of(0)), 0, 0, 0, (), ())


def proposal(txn: Txn, pid: int) -> Proposal:
    return txn.get(_PROPOSALS, pid, _EMPTY)


def _info_tuple(p: Proposal) -> tuple:
    return ("0x" + p[0], "0x" + p[1], p[2], p[3], p[4], ["0x" + a for a in p[5]], ["0x" + a for a in p[6]])


def refresh(txn: Txn, ctx: CallContext, pid: int) -> int:
    """``refreshProposalStatus``: an open proposal past its deadline block becomes outdated (5)."""
    p = proposal(txn, pid)
    if p[4] == 0:
        raise Revert("Proposal not exist")
    if p[4] == 1 and ctx.block_number > p[3]:
        txn.set(_PROPOSALS, pid, p[:4] + (5,) + p[5:])
        return 5
    return p[4]


class CommitteeManagerPrecompile(Precompile):
    """CommitteeManager at 0x10001."""

    def __init__(self, hasher: Hasher) -> None:
        super().__init__(COMMITTEE_MANAGER_ADDRESS, "CommitteeManager", hasher)
        reg = self.register
        reg("_committee()", lambda t, c: encode(["address"], [COMMITTEE_CONTRACT_ADDRESS]))
        reg("_proposalMgr()", lambda t, c: encode(["address"], [PROPOSAL_MANAGER_ADDRESS]))
        reg("isGovernor(address)", lambda t, c, a: encode(["bool"], [_hex(a) in governors(t)]))
        reg("getProposalType(uint256)", lambda t, c, i: encode(["uint8"], [t.get(_INFOS, i, (0,))[0]]))
        reg("createUpdateGovernorProposal(address,uint32,uint256)", self._update_governor)
        reg("createSetRateProposal(uint8,uint8,uint256)", self._set_rate)
        reg("createUpgradeVoteComputerProposal(address,uint256)", self._upgrade_vote_computer)
        reg("createSetDeployAuthTypeProposal(uint8,uint256)", self._deploy_auth_type)
        reg("createModifyDeployAuthProposal(address,bool,uint256)", self._modify_deploy_auth)
        reg("createResetAdminProposal(address,address,uint256)", self._reset_admin)
        reg("createSetSysConfigProposal(string,string,uint256)", self._sys_config)
        reg("createSetConsensusWeightProposal(string,uint32,bool,uint256)", self._consensus_weight)
        reg("createRmNodeProposal(string,uint256)", self._rm_node)
        reg("revokeProposal(uint256)", self._revoke)
        reg("voteProposal(uint256,bool)", self._vote_method)

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _only_governor(txn: Txn, ctx: CallContext) -> None:
        if _hex(ctx.sender) not in governors(txn):
            raise Revert("you must be governor")

    def _create(self, txn: Txn, ctx: CallContext, info: tuple, interval: int) -> bytes:
        """``_createProposal`` -> ``ProposalManager.create`` and the proposer's own yes vote."""
        kind, resource = info[0], _hex(info[1])
        existing = txn.get(_PROPOSALS, ("index", kind, resource), 0)
        if proposal(txn, existing)[4] == 1:
            refresh(txn, ctx, existing)
        if proposal(txn, existing)[4] == 1:
            raise Revert("Current proposal not end")
        pid = txn.get(_PROPOSALS, "count", 0) + 1
        txn.set(_PROPOSALS, "count", pid)
        txn.set(_PROPOSALS, pid, (resource, _hex(ctx.sender), kind, ctx.block_number + interval, 1, (), ()))
        txn.set(_PROPOSALS, ("index", kind, resource), pid)
        txn.set(_INFOS, pid, info)
        self._vote(txn, ctx, pid, True)
        return encode(["uint256"], [pid])

    def _vote_method(self, txn: Txn, ctx: CallContext, pid: int, agree: bool) -> bytes:
        self._vote(txn, ctx, pid, agree)
        return b""

    def _vote(self, txn: Txn, ctx: CallContext, pid: int, agree: bool) -> None:
        self._only_governor(txn, ctx)
        p = proposal(txn, pid)
        if p[4] == 0:
            raise Revert("Proposal not exist")
        if p[4] != 1:
            raise Revert("Proposal is not votable")
        voter = _hex(ctx.sender)
        if voter in p[5] or voter in p[6]:
            raise Revert("Already voted")
        agree_voters, against_voters = (p[5] + (voter,), p[6]) if agree else (p[5], p[6] + (voter,))
        status = _vote_result(txn, agree_voters, against_voters)
        txn.set(_PROPOSALS, pid, p[:4] + (status, agree_voters, against_voters))
        if status == 2:
            self._execute(txn, ctx, pid)

    def _execute(self, txn: Txn, ctx: CallContext, pid: int) -> None:
        kind, resource, uint8s, strings, weight, addresses, flag = txn.get(_INFOS, pid)
        host = ctx.host
        inner = ctx.as_sender(COMMITTEE_MANAGER_ADDRESS)
        code = 0
        if kind == 11:
            if weight == 0 and addresses[0] == _hex(ctx.sender):
                raise Revert("You can not remove yourself!")
            _set_weight(txn, ctx, addresses[0], weight)
        elif kind == 12:
            txn.set(_COMMITTEE, "rates", (uint8s[0], uint8s[1]))
        elif kind == 21:
            code = host.invoke(txn, inner, _CONTRACT_AUTH, "setDeployAuthType(uint8)", "int256", uint8s[0])
        elif kind == 22:
            method = "openDeployAuth(address)" if flag else "closeDeployAuth(address)"
            code = host.invoke(txn, inner, _CONTRACT_AUTH, method, "int256", "0x" + addresses[0])
        elif kind == 31:
            code = host.invoke(txn, inner, _CONTRACT_AUTH, "resetAdmin(address,address)", "int256",
                               "0x" + resource, "0x" + addresses[0])
        elif kind == 41:
            code = host.invoke(txn, inner, _SYS_CONFIG, "setValueByKey(string,string)", "int32",
                               strings[0], strings[1])
        elif kind == 51:
            if flag and weight == 0:
                code = host.invoke(txn, inner, _CONSENSUS, "addObserver(string)", "int32", strings[0])
            elif flag:
                code = host.invoke(txn, inner, _CONSENSUS, "addSealer(string,uint256)", "int32", strings[0], weight)
            else:
                code = host.invoke(txn, inner, _CONSENSUS, "setWeight(string,uint256)", "int32", strings[0], weight)
        elif kind == 52:
            code = host.invoke(txn, inner, _CONSENSUS, "remove(string)", "int32", strings[0])
        else:
            raise Revert("vote type error.")
        topic = self.hasher(b"execResult(int256)")  # the event's topic, with the chain's hash
        ctx.logs.append((COMMITTEE_MANAGER_ADDRESS, (topic,), encode(["int256"], [code])))

    # ------------------------------------------------------------------ proposals
    def _update_governor(self, txn: Txn, ctx: CallContext, account: str, weight: int, interval: int) -> bytes:
        self._only_governor(txn, ctx)
        return self._create(txn, ctx, (11, _hex(account), (), (), weight, (_hex(account),), True), interval)

    def _set_rate(self, txn: Txn, ctx: CallContext, participates: int, win: int, interval: int) -> bytes:
        self._only_governor(txn, ctx)
        if participates > 100:
            raise Revert("invalid range of participatesRate")
        if win > 100:
            raise Revert("invalid range of winRate")
        return self._create(txn, ctx, (12, _hex(COMMITTEE_MANAGER_ADDRESS), (participates, win), (), 0, (), False),
                            interval)

    def _upgrade_vote_computer(self, txn: Txn, ctx: CallContext, address: str, interval: int) -> bytes:
        self._only_governor(txn, ctx)
        raise Revert("the dev chain cannot run a vote computer contract: upgrade is not supported")

    def _deploy_auth_type(self, txn: Txn, ctx: CallContext, kind: int, interval: int) -> bytes:
        self._only_governor(txn, ctx)
        current = ctx.host.invoke(txn, ctx.as_sender(COMMITTEE_MANAGER_ADDRESS), _CONTRACT_AUTH, "deployType()",
                                  "uint256")
        if current == kind:
            raise Revert("the current deploy auth type is the same as you want to set")
        return self._create(txn, ctx, (21, _hex(_CONTRACT_AUTH), (kind,), (), 0, (), False), interval)

    def _modify_deploy_auth(self, txn: Txn, ctx: CallContext, account: str, open_flag: bool, interval: int) -> bytes:
        self._only_governor(txn, ctx)
        return self._create(txn, ctx, (22, _hex(account), (), (), 0, (_hex(account),), open_flag), interval)

    def _reset_admin(self, txn: Txn, ctx: CallContext, admin: str, contract: str, interval: int) -> bytes:
        self._only_governor(txn, ctx)
        if int(contract, 16) == 0:
            raise Revert("contract address not exists.")
        current = ctx.host.invoke(txn, ctx.as_sender(COMMITTEE_MANAGER_ADDRESS), _CONTRACT_AUTH,
                                  "getAdmin(address)", "address", contract)
        if _hex(current) == _hex(admin):
            raise Revert("the account has been the admin of concurrt contract.")
        return self._create(txn, ctx, (31, _hex(contract), (), (), 0, (_hex(admin),), False), interval)

    def _sys_config(self, txn: Txn, ctx: CallContext, key: str, value: str, interval: int) -> bytes:
        self._only_governor(txn, ctx)
        if len(key.encode()) <= 1:
            raise Revert("invalid key length.")
        return self._create(txn, ctx, (41, _hex(_SYS_CONFIG), (), (key, value), 0, (), False), interval)

    def _consensus_weight(self, txn: Txn, ctx: CallContext, node: str, weight: int, add: bool, interval: int) -> bytes:
        self._only_governor(txn, ctx)
        if len(node.encode()) <= 1:
            raise Revert("invalid node.")
        return self._create(txn, ctx, (51, _hex(_CONSENSUS), (), (node,), weight, (), add), interval)

    def _rm_node(self, txn: Txn, ctx: CallContext, node: str, interval: int) -> bytes:
        self._only_governor(txn, ctx)
        if len(node.encode()) <= 1:
            raise Revert("invalid node.")
        return self._create(txn, ctx, (52, _hex(_CONSENSUS), (), (node,), 0, (), True), interval)

    def _revoke(self, txn: Txn, ctx: CallContext, pid: int) -> bytes:
        self._only_governor(txn, ctx)
        if refresh(txn, ctx, pid) != 1:
            raise Revert("Only newly created proposal can be revoked")
        p = proposal(txn, pid)
        if p[1] != _hex(ctx.sender):
            raise Revert("Only proposer can revoke")
        txn.set(_PROPOSALS, pid, p[:4] + (4,) + p[5:])
        return b""
