"""The precompiles of one dev chain, keyed by address, and the entry points the executor calls.

pyrevm cannot host Python precompiles, so the executor hands a transaction or call addressed
*directly* to a precompile address to :meth:`PrecompileHost.execute` instead of the EVM; a contract's
call into one reaches :meth:`PrecompileHost.call_from_contract` through the stub at its address
(:mod:`..bridge`).

With governance on (3.x ``--auth ADMIN``), :meth:`PrecompileHost.admit` is asked before every
transaction and call runs, and refuses as the node's ``TransactionExecutive::checkAuth`` does:
a frozen/abolished sender account (status 22/23), a deploy without deploy permission (18,
"Create permission denied."), a call to a frozen/abolished contract (21/24) or to a method its
ACL closes to the sender (18, "Call permission denied.").
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import eth_abi

from fisco_drugtrace.types import Dialect

from ..records import ChainLog, ExecOutcome
from . import auth as _auth
from .auth import AccountManagerPrecompile, ContractAuthPrecompile
from .base import (
    PRECOMPILE_STATUS, CallContext, Hasher, PermissionDenied, Precompile, PrecompiledError, Revert,
    Tables, Txn, error_output,
)
from .bfs import BfsPrecompile
from .cns import CnsPrecompile
from .committee import (
    CommitteeManagerPrecompile, CommitteePrecompile, ProposalManagerPrecompile, genesis_committee,
    governors as _governors,
)
from .consensus import ConsensusPrecompile
from .sysconfig import TABLE as SYS_CONFIG_TABLE
from .sysconfig import SystemConfigPrecompile

__all__ = ["PrecompileHost"]

#: Statuses a node gives refused transactions (``bcos-protocol/TransactionStatus.h``).
_REFUSAL_STATUS = {"account_frozen": 22, "account_abolished": 23, "permission_denied": 18,
                   "contract_frozen": 21, "contract_abolished": 24}


class PrecompileHost:
    """All precompiles of a chain of ``dialect`` plus their shared state tables.

    :param hasher: the chain's hash (selectors are its first four bytes, as the node's
        ``getFuncSelector``).
    :param system_config: the genesis system config values (``{key: value}``).
    :param node_id: the dev chain's node (the genesis sealer).
    :param auth_admin: 3.x only: start with permission governance, this account the only governor.
    """

    def __init__(self, dialect: Dialect, hasher: Hasher, *, system_config: Mapping[str, str] | None = None,
                 node_id: str = "", auth_admin: str | None = None) -> None:
        self.dialect = dialect
        self.hasher = hasher
        self.auth_admin = (auth_admin or "").lower() or None
        self.tables = Tables()
        self._status = PRECOMPILE_STATUS[dialect]
        self.precompiles: dict[str, Precompile] = {}
        auth = self.auth_admin is not None
        self.sysconfig = SystemConfigPrecompile(hasher, dialect, system_config or {}, auth)
        self.consensus = ConsensusPrecompile(hasher, dialect, node_id or "0" * 128, auth)
        for precompile in self._build(auth):
            self.precompiles[precompile.address] = precompile
        txn = Txn(self.tables)
        for precompile in self.precompiles.values():
            precompile.genesis(txn)
        if self.auth_admin is not None:
            genesis_committee(txn, self.auth_admin)
        txn.commit()

    def _build(self, auth: bool) -> list[Precompile]:
        common: list[Precompile] = [self.sysconfig, self.consensus]
        if self.dialect is Dialect.V2:
            return common + [CnsPrecompile(self.hasher)]
        v3 = common + [BfsPrecompile(self.hasher), ContractAuthPrecompile(self.hasher),
                       AccountManagerPrecompile(self.hasher)]
        if auth:
            v3 += [CommitteeManagerPrecompile(self.hasher), CommitteePrecompile(self.hasher),
                   ProposalManagerPrecompile(self.hasher)]
        return v3

    # ------------------------------------------------------------------ dispatch
    def handles(self, to: str) -> bool:
        return to in self.precompiles

    def execute(self, sender: str, to: str, data: bytes, *, block_number: int, readonly: bool,
                code_exists: Callable[[str], bool]) -> ExecOutcome:
        """Run one transaction (``readonly=False``: its writes are kept if it succeeds) or call."""
        precompile = self.precompiles[to]
        txn = Txn(self.tables)
        ctx = CallContext(sender, block_number, readonly, self.dialect, code_exists, self, sender)
        try:
            output = precompile.execute(txn, ctx, data)
        except PrecompiledError as exc:
            return ExecOutcome(self._status["precompiled_error"], error_output(str(exc)), 0)
        except PermissionDenied as exc:
            return ExecOutcome(self._status["permission_denied"], error_output(str(exc)), 0)
        except Revert as exc:
            return ExecOutcome(self._status["revert"], error_output(str(exc)), 0)
        except Exception as exc:  # noqa: BLE001 - a value a handler could not take: fail the tx, never the chain
            message = f"{precompile.name}: {type(exc).__name__}: {exc}"
            return ExecOutcome(self._status["precompiled_error"], error_output(message), 0)
        if not readonly:
            txn.commit()
        logs = tuple(ChainLog(address, topics, payload) for address, topics, payload in ctx.logs)
        return ExecOutcome(self._status["ok"], output, self._gas(ctx, output), logs if not readonly else ())

    def call_from_contract(self, pending: Tables, sender: str, origin: str, to: str, data: bytes, *,
                           block_number: int, code_exists: Callable[[str], bool]) -> tuple[bytes, bool, bool]:
        """A contract's call into the precompile at ``to`` (``sender`` the contract, ``origin`` the
        transaction's signer), run on ``pending`` — the transaction's own copy of the tables, made
        real only if the whole transaction succeeds. Returns ``(output, failed, wrote)``: a failure
        (``PrecompiledError``, a governance refusal, a committee ``require``) makes the call revert
        with ``Error(string)`` as the node's callPrecompiled does, and keeps none of its writes."""
        precompile = self.precompiles[to]
        txn = Txn(pending)
        ctx = CallContext(sender, block_number, False, self.dialect, code_exists, self, origin)
        try:
            output = precompile.execute(txn, ctx, data)
        except (PrecompiledError, PermissionDenied, Revert) as exc:
            return error_output(str(exc)), True, False
        except Exception as exc:  # noqa: BLE001 - a value a handler could not take: the call fails, never the chain
            return error_output(f"{precompile.name}: {type(exc).__name__}: {exc}"), True, False
        wrote = txn.wrote
        txn.commit()
        return output, False, wrote

    def _gas(self, ctx: CallContext, output: bytes) -> int:
        """What the precompile itself charged (the executor adds the transaction's base gas).

        3.x: only the precompiles that keep a ``PrecompiledGas`` deduct it (``setGasLeft(gasLeft -
        calTotalGas())``); SystemConfig, Consensus, BFS, ContractAuth and AccountManager keep none
        (``bcos-executor/src/precompiled/{SystemConfig,Consensus,BFS}Precompiled.cpp``,
        ``extension/{ContractAuthMgr,AccountManager}Precompiled.cpp``), so they charge 0. 2.x: every
        result carries one and ``Executive::updateGas`` deducts ``calGasCost()``, which first counts
        the output as memory used (``libprecompiled/PrecompiledResult.h``, v2.11.1). A failed
        execution charges nothing on either (the node reverts before deducting)."""
        if self.dialect is Dialect.V2:
            ctx.gas.update_memory(len(output))
        return ctx.gas.total()

    def invoke(self, txn: Txn, ctx: CallContext, to: str, signature: str, returns: str, *args: Any) -> Any:
        """An internal call from a system contract (``ctx.sender``) to another precompile, in the
        same transaction; returns its first decoded output."""
        types = signature[signature.index("(") + 1:-1]
        data = self.hasher(signature.encode())[:4] + eth_abi.encode([t for t in types.split(",") if t], list(args))
        output = self.precompiles[to].execute(txn, ctx, data)
        return eth_abi.decode([returns], output)[0]

    # ------------------------------------------------------------------ governance for the executor
    def auth_checked(self, number: int) -> bool:
        """Whether block ``number`` executes with permission checks (``checkAuth``, and SystemConfig /
        Consensus only through the committee): the ``auth_check_status`` system config in force for
        it, else the genesis value (on with ``--auth``, as ``build_chain.sh -a`` writes "1").

        A node reads the key into its ledger config (``LedgerConfigFetcher::fetchAuthCheckStatus``,
        3.3+) and checks while it is non-zero (``HostContext::execute``: ``authCheckStatus() != 0``;
        ``TransactionExecutor`` takes it into ``m_isAuthCheck``, the ``blockContext.isAuthCheck()``
        that ``SystemConfigPrecompiled`` and ``ConsensusPrecompiled`` consult). The default
        executor reads it when it starts, the baseline scheduler for every block; the dev chain,
        which must replay the same way after any restart, takes it per block from the next block
        on, as every other key."""
        if self.dialect is not Dialect.V3:
            return False
        entry = self.tables.data.get(SYS_CONFIG_TABLE, {}).get("auth_check_status")
        if entry is not None and entry[1] <= number:
            return int(entry[0]) != 0  # validated when set: an int64 in 0..255
        return self.auth_admin is not None

    def admit(self, sender: str, to: str, data: bytes, *, call: bool, number: int) -> ExecOutcome | None:
        """``checkAuth`` before a transaction (``call=False``) or a read-only call in block
        ``number``: ``None`` lets it run, an outcome is the node's refusal. Only while permission
        checks are on (:meth:`auth_checked`); precompiles are not checked."""
        if (to and to in self.precompiles) or not self.auth_checked(number):
            return None
        txn = Txn(self.tables)
        status = _auth.account_status(txn, sender)
        if status == 1:
            return self._refusal("account_frozen", "Account is frozen.")
        if status == 2:
            return self._refusal("account_abolished", "Account is abolished.")
        if not to:
            if not call and not _auth.check_deploy(txn, sender):
                return self._refusal("permission_denied", "Create permission denied.")
            return None
        contract = _auth.contract_status(txn, to)
        if contract == 1:
            return self._refusal("contract_frozen", "Contract is frozen.")
        if contract == 2:
            return self._refusal("contract_abolished", "Contract is abolished.")
        if not call and len(data) >= 4 and not _auth.check_method(txn, to, data[:4], sender):
            return self._refusal("permission_denied", "Call permission denied.")
        return None

    @staticmethod
    def _refusal(kind: str, message: str) -> ExecOutcome:
        return ExecOutcome(_REFUSAL_STATUS[kind], error_output(message), 0)

    def deployed(self, contract: str, origin: str) -> None:
        """A top-level deployment succeeded: record its admin (3.x, block version >= 3.3)."""
        if self.dialect is Dialect.V3:
            txn = Txn(self.tables)
            _auth.record_deployment(txn, contract, origin)
            txn.commit()

    def governors(self, txn: Txn | None = None) -> list[str]:
        return _governors(txn or Txn(self.tables))

    # ------------------------------------------------------------------ snapshots (for dev_ controls)
    def snapshot(self) -> dict[str, dict[Any, Any]]:
        """A copy of every precompile table, for :meth:`restore` (an EVM snapshot/revert must take
        this along, or precompile state would outlive the revert). Row values are never mutated in
        place (every write replaces them), so copying the tables is enough."""
        return {name: dict(rows) for name, rows in self.tables.data.items()}

    def restore(self, snapshot: dict[str, dict[Any, Any]]) -> None:
        """Put the tables back as :meth:`snapshot` saw them."""
        self.tables.data = {name: dict(rows) for name, rows in snapshot.items()}

    # ------------------------------------------------------------------ state for the chain and the RPC
    def config_entry(self, key: str) -> tuple[str, int] | None:
        """The stored (value, enable number) of a system config key."""
        return self.sysconfig.entry(Txn(self.tables), key)

    def config_at(self, key: str, number: int) -> str | None:
        """The value of ``key`` in force for executing block ``number`` (set before it)."""
        entry = self.config_entry(key)
        return entry[0] if entry is not None and entry[1] <= number else None

    def config_values(self) -> dict[str, tuple[str, int]]:
        txn = Txn(self.tables)
        return dict(txn.rows("s_config"))

    def nodes(self, effective: int) -> list[tuple[str, str, int, int, int]]:
        """Consensus entries (id, type, weight, term weight, enable number) counted at ``effective``."""
        return [n for n in self.consensus.nodes(Txn(self.tables)) if n[4] <= effective]
