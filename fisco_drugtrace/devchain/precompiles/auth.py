"""3.x permission precompiles: contract ACLs and deploy allow-lists at ``0x1005`` (ContractAuth),
account freezing at ``0x10003`` (AccountManager).

The addresses are the node's: ``bcos-framework/bcos-framework/executor/PrecompiledTypeDef.h``
(``AUTH_MANAGER_ADDRESS`` 0x1005, ``ACCOUNT_MGR_ADDRESS`` 0x10003 — beside ``AUTH_COMMITTEE_ADDRESS``
0x10001, ``AUTH_CONTRACT_MGR_ADDRESS`` 0x10002 and ``ACCOUNT_ADDRESS`` 0x10004, the per-account
table).

Read from FISCO-BCOS ``bcos-executor/src/precompiled/extension/AuthManagerPrecompiled.cpp`` (the
external interface at 0x1005 and who may call what: the contract's admin for method ACLs and
status, the committee for deploy rules and admins), ``ContractAuthMgrPrecompiled.cpp`` (the rules
themselves: ``checkMethodAuth``, ``getMethodAuth``, ``setMethodAuth``, contract status),
``AccountManagerPrecompiled.cpp`` / ``AccountPrecompiled.cpp`` (a governor sets an account's
status) and ``executive/TransactionExecutive.cpp`` (``creatAuthTable``: from block version 3.3
every deployed contract gets an admin, its deployer; ``checkAuth``: how a node enforces them).

Auth types: 0 none, 1 white list, 2 black list. Contract status: 0 normal, 1 frozen, 2 abolished.
Account status: 0 normal, 1 frozen, 2 abolished. Return codes: 0, -50000 not authorised, -50100
no such auth table (no admin recorded for that address), -51003 bad auth type, -51900 the account
is a contract.
"""

from __future__ import annotations

from typing import Any

from .base import CallContext, Hasher, Precompile, PrecompiledError, Txn, address_of, encode
from .sysconfig import COMMITTEE_ADDRESS

__all__ = ["ContractAuthPrecompile", "AccountManagerPrecompile", "CONTRACT_AUTH_ADDRESS",
           "ACCOUNT_MANAGER_ADDRESS", "WHITE", "BLACK", "contract_admin", "record_deployment",
           "check_deploy", "check_method", "contract_status", "account_status"]

CONTRACT_AUTH_ADDRESS = address_of(0x1005)
ACCOUNT_MANAGER_ADDRESS = address_of(0x10003)
WHITE, BLACK = 1, 2
_ZERO = "00" * 20
_NO_AUTHORIZED, _TABLE_NOT_EXIST, _ERROR_AUTH_TYPE, _ACCOUNT_IS_CONTRACT = -50000, -50100, -51003, -51900
_STATUS_NAMES = {0: "normal", 1: "freeze", 2: "abolish"}
_DEPLOY = "s_deploy_auth"  # "type" -> int, "white"/"black" -> {account: bool}
_ACCOUNTS = "s_account_status"  # account hex -> int


def _hex(address: str) -> str:
    """``Address::hex()``: 40 lower-case hex digits, no ``0x``."""
    return address.lower().removeprefix("0x")


def _table(contract: str) -> str:
    return "auth:" + _hex(contract)


# ---------------------------------------------------------------------- reads used by enforcement
def record_deployment(txn: Txn, contract: str, origin: str) -> None:
    """``creatAuthTable``: a new contract's admin is its deployer, its status normal."""
    table = _table(contract)
    txn.create(table)
    txn.set(table, "admin", _hex(origin))
    txn.set(table, "status", 0)
    txn.set(table, "method_auth_type", {})


def contract_admin(txn: Txn, contract: str) -> str:
    if not txn.exists(_table(contract)):
        return _ZERO
    return txn.get(_table(contract), "admin", _ZERO)


def contract_status(txn: Txn, contract: str) -> int:
    return txn.get(_table(contract), "status", 0) if txn.exists(_table(contract)) else 0


def account_status(txn: Txn, account: str) -> int:
    return txn.get(_ACCOUNTS, _hex(account), 0)


def check_deploy(txn: Txn, account: str) -> bool:
    """``AuthManagerPrecompiled::checkDeployAuth``."""
    kind = txn.get(_DEPLOY, "type", 0)
    if kind == 0:
        return True
    acl: dict[str, bool] = txn.get(_DEPLOY, "white" if kind == WHITE else "black", {})
    if _hex(account) not in acl:
        return kind == BLACK
    return (not acl[_hex(account)]) if kind == BLACK else acl[_hex(account)]


def check_method(txn: Txn, contract: str, selector: bytes, account: str) -> bool:
    """``ContractAuthMgrPrecompiled::checkMethodAuth``."""
    table = _table(contract)
    if not txn.exists(table):
        return True
    kind = txn.get(table, "method_auth_type", {}).get(bytes(selector))
    if kind is None:
        return True
    acl: dict[bytes, dict[str, bool]] = txn.get(table, "white" if kind == WHITE else "black", {})
    if not acl:
        return kind == BLACK
    if bytes(selector) not in acl:
        return True
    accounts = acl[bytes(selector)]
    if _hex(account) not in accounts:
        return kind == BLACK
    return (not accounts[_hex(account)]) if kind == BLACK else accounts[_hex(account)]


class ContractAuthPrecompile(Precompile):
    """0x1005 with its EVM signatures."""

    def __init__(self, hasher: Hasher) -> None:
        super().__init__(CONTRACT_AUTH_ADDRESS, "AuthManagerPrecompiled", hasher)
        reg = self.register
        reg("getAdmin(address)", self._get_admin)
        reg("resetAdmin(address,address)", self._reset_admin)
        reg("setMethodAuthType(address,bytes4,uint8)", self._set_method_auth_type)
        reg("openMethodAuth(address,bytes4,address)", lambda t, c, a, f, u: self._set_method_auth(t, c, a, f, u, False))
        reg("closeMethodAuth(address,bytes4,address)", lambda t, c, a, f, u: self._set_method_auth(t, c, a, f, u, True))
        reg("checkMethodAuth(address,bytes4,address)", self._check_method_auth)
        reg("getMethodAuth(address,bytes4)", self._get_method_auth)
        reg("setContractStatus(address,bool)", self._set_contract_status)
        reg("setContractStatus(address,uint8)", self._set_contract_status32)
        reg("contractAvailable(address)", self._contract_available)
        reg("deployType()", self._deploy_type)
        reg("setDeployAuthType(uint8)", self._set_deploy_type)
        reg("openDeployAuth(address)", lambda t, c, a: self._set_deploy_auth(t, c, a, False))
        reg("closeDeployAuth(address)", lambda t, c, a: self._set_deploy_auth(t, c, a, True))
        reg("hasDeployAuth(address)", self._has_deploy_auth)
        reg("initAuth(string)", self._init_auth)

    @staticmethod
    def _code(code: int) -> bytes:
        """``getErrorCodeOut`` (3.x): 0..127 as uint256, anything else as int256 (same bytes)."""
        return encode(["int256"], [code])

    def _is_admin(self, txn: Txn, ctx: CallContext, contract: str) -> bool:
        return _hex(ctx.sender) == contract_admin(txn, contract)

    # ------------------------------------------------------------------ admins
    def _get_admin(self, txn: Txn, ctx: CallContext, contract: str) -> bytes:
        return encode(["address"], ["0x" + contract_admin(txn, contract)])

    def _reset_admin(self, txn: Txn, ctx: CallContext, contract: str, admin: str) -> bytes:
        if ctx.sender != COMMITTEE_ADDRESS:
            return self._code(_NO_AUTHORIZED)
        table = _table(contract)
        if not txn.exists(table) or txn.get(table, "admin") is None:
            if not ctx.code_exists(contract.lower()):
                raise PrecompiledError("Contract address not found.")
            txn.create(table)
            txn.set(table, "status", 0)
        txn.set(table, "admin", _hex(admin))
        return self._code(0)

    # ------------------------------------------------------------------ method ACLs
    def _set_method_auth_type(self, txn: Txn, ctx: CallContext, contract: str, selector: bytes, kind: int) -> bytes:
        if not self._is_admin(txn, ctx, contract):
            return self._code(_NO_AUTHORIZED)
        table = _table(contract)
        if not txn.exists(table):
            return self._code(_TABLE_NOT_EXIST)
        types = dict(txn.get(table, "method_auth_type", {}))
        types[bytes(selector)] = kind
        txn.set(table, "method_auth_type", types)
        return self._code(0)

    def _set_method_auth(self, txn: Txn, ctx: CallContext, contract: str, selector: bytes, account: str,
                         close: bool) -> bytes:
        if not self._is_admin(txn, ctx, contract):
            return self._code(_NO_AUTHORIZED)
        table = _table(contract)
        if not txn.exists(table):
            return self._code(_TABLE_NOT_EXIST)
        kind = txn.get(table, "method_auth_type", {}).get(bytes(selector))
        if kind not in (WHITE, BLACK):
            return self._code(_ERROR_AUTH_TYPE)
        row = "white" if kind == WHITE else "black"
        access = (kind == BLACK) if close else (kind == WHITE)
        acl = {f: dict(a) for f, a in txn.get(table, row, {}).items()}
        acl.setdefault(bytes(selector), {})[_hex(account)] = access
        txn.set(table, row, acl)
        return self._code(0)

    def _check_method_auth(self, txn: Txn, ctx: CallContext, contract: str, selector: bytes, account: str) -> bytes:
        return encode(["bool"], [check_method(txn, contract, selector, account)])

    def _get_method_auth(self, txn: Txn, ctx: CallContext, contract: str, selector: bytes) -> bytes:
        table = _table(contract)
        kind = txn.get(table, "method_auth_type", {}).get(bytes(selector)) if txn.exists(table) else None
        if kind is None:
            return encode(["uint8", "string[]", "string[]"], [0, [], []])
        acl: dict[bytes, dict[str, bool]] = txn.get(table, "white" if kind == WHITE else "black", {})
        allowed, blocked = [], []
        for account, flag in sorted(acl.get(bytes(selector), {}).items()):
            access = (kind == WHITE) if flag else (kind == BLACK)
            (allowed if access else blocked).append(account)
        return encode(["uint8", "string[]", "string[]"], [kind, allowed, blocked])

    # ------------------------------------------------------------------ contract status
    def _put_status(self, txn: Txn, ctx: CallContext, contract: str, status: int) -> bytes:
        """Admin check (AuthManager), then the table, the status name and abolition (ContractAuthMgr)."""
        if not self._is_admin(txn, ctx, contract):
            return self._code(_NO_AUTHORIZED)
        table = _table(contract)
        if not txn.exists(table):
            return self._code(_TABLE_NOT_EXIST)
        if status not in _STATUS_NAMES:
            raise PrecompiledError("Unrecognized status type.")
        if txn.get(table, "status", 0) == 2 and status != 2:
            raise PrecompiledError("Contract already abolish, should not set any status.")
        txn.set(table, "status", status)
        return self._code(0)

    def _set_contract_status(self, txn: Txn, ctx: CallContext, contract: str, freeze: bool) -> bytes:
        return self._put_status(txn, ctx, contract, 1 if freeze else 0)

    def _set_contract_status32(self, txn: Txn, ctx: CallContext, contract: str, status: int) -> bytes:
        return self._put_status(txn, ctx, contract, status)

    def _contract_available(self, txn: Txn, ctx: CallContext, contract: str) -> bytes:
        return encode(["bool"], [contract_status(txn, contract) == 0])

    # ------------------------------------------------------------------ deploy rules
    def _deploy_type(self, txn: Txn, ctx: CallContext) -> bytes:
        return encode(["uint256"], [txn.get(_DEPLOY, "type", 0)])

    def _set_deploy_type(self, txn: Txn, ctx: CallContext, kind: int) -> bytes:
        if ctx.sender != COMMITTEE_ADDRESS:
            return self._code(_NO_AUTHORIZED)
        if kind > 2:
            return self._code(_ERROR_AUTH_TYPE)
        txn.set(_DEPLOY, "type", kind)
        return self._code(0)

    def _set_deploy_auth(self, txn: Txn, ctx: CallContext, account: str, close: bool) -> bytes:
        if ctx.sender != COMMITTEE_ADDRESS:
            return self._code(_NO_AUTHORIZED)
        kind = txn.get(_DEPLOY, "type", 0)
        access = (kind == BLACK) if close else (kind == WHITE)
        row = "white" if kind == WHITE else "black"
        acl: dict[str, Any] = dict(txn.get(_DEPLOY, row, {}))
        acl[_hex(account)] = access
        txn.set(_DEPLOY, row, acl)
        return self._code(0)

    def _has_deploy_auth(self, txn: Txn, ctx: CallContext, account: str) -> bytes:
        return encode(["bool"], [check_deploy(txn, account)])

    def _init_auth(self, txn: Txn, ctx: CallContext, account: str) -> bytes:
        if ctx.host is not None and ctx.host.auth_admin:
            raise PrecompiledError("Committee contract already exist.")
        raise PrecompiledError("initAuth is not supported by the dev chain: start it with --auth ADMIN")


class AccountManagerPrecompile(Precompile):
    """0x10003: a governor freezes, unfreezes or abolishes an external account."""

    def __init__(self, hasher: Hasher) -> None:
        super().__init__(ACCOUNT_MANAGER_ADDRESS, "AccountManagerPrecompiled", hasher)
        self.register("setAccountStatus(address,uint8)", self._set)
        self.register("getAccountStatus(address)", self._get)

    def _set(self, txn: Txn, ctx: CallContext, account: str, status: int) -> bytes:
        governors = ctx.host.governors(txn) if ctx.host is not None else []
        if _hex(ctx.sender) not in governors:
            return encode(["int256"], [_NO_AUTHORIZED])
        if _hex(account) in governors:
            raise PrecompiledError("Should not set governor's status.")
        if txn.get(_ACCOUNTS, _hex(account)) is None and ctx.code_exists("0x" + _hex(account)):
            return encode(["int32"], [_ACCOUNT_IS_CONTRACT])
        if txn.get(_ACCOUNTS, _hex(account), 0) == 2 and status != 2:
            raise PrecompiledError("Account already abolish, should not set any status.")
        txn.set(_ACCOUNTS, _hex(account), status)
        return encode(["int32"], [0])

    def _get(self, txn: Txn, ctx: CallContext, account: str) -> bytes:
        return encode(["uint8"], [account_status(txn, account)])
