"""CNS, the 2.x contract name service at ``0x1004``: ``insert``, ``selectByName``,
``selectByNameAndVersion``, ``getContractAddress``.

Read from FISCO-BCOS ``libprecompiled/CNSPrecompiled.cpp`` and ``libprecompiled/Common.{h,cpp}`` at
tag ``v2.11.1`` (``checkCNSParam``, ``getErrorCodeOut``, ``CNS_VERSION_MAX_LENGTH``,
``CNS_CONTRACT_NAME_MAX_LENGTH``). The table ``_sys_cns_`` is keyed by name; each row holds
name, version, address and ABI as given (the address string is stored as sent).

* ``insert`` answers, in this order: -51201 version longer than 128, -51200 that name and version
  already exist, -50102 the address is not an address (20 bytes of hex), else 1 (rows inserted).
  Whether a contract lives at the address is only logged by the node, not checked. A name longer
  than 128 bytes fails the transaction (``checkLengthValidate`` throws: ``PrecompiledError``).
* ``selectByName`` / ``selectByNameAndVersion`` answer a JSON text (jsoncpp ``FastWriter``: keys in
  order, no spaces, a final newline): ``[{"abi":...,"address":...,"name":...,"version":...}]``.
* ``getContractAddress`` answers the address, or the zero address when there is none.

Gas, as the node's ``gasPricer()`` calls in each branch: memory starts at the input's size;
``insert`` OpenTable + Select per row of that name (+ Insert when it inserts); ``selectByName``
OpenTable + Set per row; ``selectByNameAndVersion`` OpenTable + EQ + Select per match;
``getContractAddress`` OpenTable + Select per match (:data:`~.base.OPERATION_GAS`).
"""

from __future__ import annotations

import json
import re

from .base import CallContext, Hasher, Precompile, PrecompiledError, Txn, address_of, encode

__all__ = ["CnsPrecompile", "CNS_ADDRESS", "CODES"]

CNS_ADDRESS = address_of(0x1004)
CODES = {"address_and_version_exist": -51200, "version_length_overflow": -51201, "address_invalid": -50102}

_TABLE = "_sys_cns_"
_VERSION_MAX = 128
_NAME_MAX = 128
_ABI_MAX = 16 * 1024 * 1024 - 1
_HEX40 = re.compile(r"(0x|0X)?[0-9a-fA-F]{40}")


def _json(rows: list[tuple[str, str, str, str]]) -> str:
    """jsoncpp's FastWriter output for the rows (name, version, address, abi)."""
    items = [{"abi": abi, "address": address, "name": name, "version": version}
             for name, version, address, abi in rows]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


class CnsPrecompile(Precompile):
    """The CNS precompile (2.x only)."""

    def __init__(self, hasher: Hasher) -> None:
        super().__init__(CNS_ADDRESS, "CNSPrecompiled", hasher)
        self.register("insert(string,string,string,string)", self._insert)
        self.register("selectByName(string)", self._select_by_name)
        self.register("selectByNameAndVersion(string,string)", self._select_by_name_and_version)
        self.register("getContractAddress(string,string)", self._get_contract_address)

    def execute(self, txn: Txn, ctx: CallContext, data: bytes) -> bytes:
        ctx.gas.set_memory(len(data))  # ``gasPricer()->setMemUsed(param.size())`` before any branch
        return super().execute(txn, ctx, data)

    def unknown(self, data: bytes) -> bytes:
        """2.x precompiles answer an unknown selector with empty output and status 0 (no branch)."""
        return b""

    @staticmethod
    def _rows(txn: Txn, name: str) -> tuple[tuple[str, str, str, str], ...]:
        return txn.get(_TABLE, name, ())

    def _insert(self, txn: Txn, ctx: CallContext, name: str, version: str, address: str, abi: str) -> bytes:
        valid = bool(_HEX40.fullmatch(address))
        if len(name.encode()) > _NAME_MAX:
            raise PrecompiledError(f"The length of value {name!r} exceeds the maximum limit {_NAME_MAX}.")
        if len(abi.encode()) > _ABI_MAX:
            raise PrecompiledError(f"The length of the abi exceeds the maximum limit {_ABI_MAX}.")
        ctx.gas.append("OpenTable")
        rows = self._rows(txn, name)
        ctx.gas.append("Select", len(rows))  # the existence check: computation only
        if len(version) > _VERSION_MAX:
            result = CODES["version_length_overflow"]
        elif any(row[1] == version for row in rows):
            result = CODES["address_and_version_exist"]
        elif not valid:
            result = CODES["address_invalid"]
        else:
            txn.set(_TABLE, name, rows + ((name, version, address, abi),))
            result = 1
            ctx.gas.update_memory(4)  # ``entry->size() * count``: the entry's four fields
            ctx.gas.append("Insert")
        if 0 < result < 128:
            return encode(["uint256"], [result])
        return encode(["int256"], [result])

    def _select_by_name(self, txn: Txn, ctx: CallContext, name: str) -> bytes:
        rows = self._rows(txn, name)
        ctx.gas.append("OpenTable")
        ctx.gas.append("Set", len(rows))  # as the node counts it (the rows become the answer)
        return encode(["string"], [_json(list(rows))])

    def _select_by_name_and_version(self, txn: Txn, ctx: CallContext, name: str, version: str) -> bytes:
        found = [row for row in self._rows(txn, name) if row[1] == version]
        ctx.gas.append("OpenTable")
        ctx.gas.append("EQ")
        ctx.gas.append("Select", len(found))
        return encode(["string"], [_json(found[:1])])

    def _get_contract_address(self, txn: Txn, ctx: CallContext, name: str, version: str) -> bytes:
        found = [row for row in self._rows(txn, name) if row[1] == version]
        ctx.gas.append("OpenTable")
        ctx.gas.append("Select", len(found))
        address = "0x" + "00" * 20
        if found:
            text = found[0][2]
            text = text[2:] if text[:2] in ("0x", "0X") else text
            address = "0x" + text.lower()
        return encode(["address"], [address])
