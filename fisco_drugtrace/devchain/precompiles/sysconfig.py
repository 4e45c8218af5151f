"""SystemConfig at ``0x1000``: ``setValueByKey(string,string)`` and (3.x) ``getValueByKey(string)``.

3.x read from FISCO-BCOS ``bcos-executor/src/precompiled/SystemConfigPrecompiled.cpp``
(``m_sysValueCmp``, ``m_valueConverter``, ``validate``, ``getSysConfigByKey``) and
``bcos-ledger/Ledger.cpp`` (``asyncGetSystemConfigByKey``: a value set in block *n* takes effect
from block *n + 1*, and the RPC answers the entry once ``enableNumber <= head + 1``); 2.x from
``libprecompiled/SystemConfigPrecompiled.cpp`` at v2.11.1 (``checkValueValid``).

3.x: while permission checks are on (``--auth``, or ``auth_check_status`` set non-zero; see
``PrecompileHost.auth_checked``) only the committee (``0x10001``) may set a value; anyone else
gets -50000. A bad key or value fails the transaction (``PrecompiledError``) with the node's
message. 2.x answers -51300 for any invalid key/value and 1 (rows written) on success.

What takes effect on the dev chain: ``tx_gas_limit`` (the gas every transaction gets),
``tx_count_limit`` (most transactions per block) and ``auth_check_status`` (permission checks on
or off), from the next block, as on a node. Other keys
are stored and answered but change nothing here (one node: no leader period, no rPBFT).
"""

from __future__ import annotations

import re
from typing import Mapping

from fisco_drugtrace.types import Dialect

from .base import CallContext, Hasher, Precompile, PrecompiledError, Txn, address_of, encode

__all__ = ["SystemConfigPrecompile", "SYS_CONFIG_ADDRESS", "COMMITTEE_ADDRESS", "TABLE"]

SYS_CONFIG_ADDRESS = address_of(0x1000)
COMMITTEE_ADDRESS = address_of(0x10001)
TABLE = "s_config"  # ledger::SYS_CONFIG: key -> (value, enable number)
_NO_AUTHORIZED = -50000
_INVALID_CONFIGURATION_VALUES = -51300  # 2.x

#: 3.x keys validated as a number no less than the minimum (``m_sysValueCmp``); block 3.7 has them all.
_V3_MINIMUM = {"tx_gas_limit": 100_000, "tx_count_limit": 1, "consensus_leader_period": 1,
               "auth_check_status": 0, "rpbft_epoch_block_num": 1, "rpbft_epoch_sealer_num": 1}
#: 3.x feature switches (``ledger/Features.h``): the only accepted value is "1".
_V3_FEATURES = frozenset({"feature_rpbft", "feature_balance", "feature_balance_precompiled",
                          "feature_balance_policy1", "feature_paillier", "feature_dmc2serial",
                          "feature_sharding", "feature_evm_cancun", "feature_evm_timestamp",
                          "feature_evm_address", "feature_calculate_gasPrice"})
_V3_VERSION = (3, 7, 0)
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+")
_VERSION_RE = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
#: 2.x keys and their checks (``checkValueValid``).
_V2_RULES = {"tx_count_limit": lambda v: v >= 1, "tx_gas_limit": lambda v: v >= 100_000,
             "rpbft_epoch_sealer_num": lambda v: v >= 1, "rpbft_epoch_block_num": lambda v: v > 1,
             "consensus_timeout": lambda v: 3 <= v < 4294967295 // 1000}


def _int64(text: str) -> int | None:
    """``boost::lexical_cast<int64_t>``: an optional sign and decimal digits, in range."""
    if not re.fullmatch(r"[+-]?\d+", text):
        return None
    value = int(text)
    return value if -2**63 <= value < 2**63 else None


class SystemConfigPrecompile(Precompile):
    """SystemConfig for either dialect.

    :param genesis: the genesis values (``{key: value}``), written with enable number 0.
    :param auth: governance on (3.x ``--auth``): only the committee may set values.
    """

    def __init__(self, hasher: Hasher, dialect: Dialect, genesis: Mapping[str, str], auth: bool) -> None:
        super().__init__(SYS_CONFIG_ADDRESS, "SystemConfigPrecompiled", hasher)
        self.dialect = dialect
        self._genesis = dict(genesis)
        self.auth = auth
        self.register("setValueByKey(string,string)", self._set)
        if dialect is Dialect.V3:
            self.register("getValueByKey(string)", self._get)

    def unknown(self, data: bytes) -> bytes:
        if self.dialect is Dialect.V2:
            return encode(["int256"], [0])  # 2.x: no branch taken, result 0
        return super().unknown(data)

    def genesis(self, txn: Txn) -> None:
        for key, value in self._genesis.items():
            txn.set(TABLE, key, (value, 0))

    # ------------------------------------------------------------------ reads for the chain and RPC
    @staticmethod
    def entry(txn: Txn, key: str) -> tuple[str, int] | None:
        return txn.get(TABLE, key)

    # ------------------------------------------------------------------ methods
    def _set(self, txn: Txn, ctx: CallContext, key: str, value: str) -> bytes:
        key = key.lower()
        if self.dialect is Dialect.V2:
            number = _int64(value)
            rule = _V2_RULES.get(key)
            if rule is None or number is None or not rule(number):
                return encode(["int256"], [_INVALID_CONFIGURATION_VALUES])
            txn.set(TABLE, key, (value, ctx.block_number + 1))
            return encode(["uint256"], [1])
        checked = ctx.host.auth_checked(ctx.block_number) if ctx.host is not None else self.auth
        if checked and ctx.sender != COMMITTEE_ADDRESS:  # blockContext.isAuthCheck()
            return encode(["int32"], [_NO_AUTHORIZED])
        self._validate(key, value)
        txn.set(TABLE, key, (value, ctx.block_number + 1))
        return encode(["int32"], [0])

    def _validate(self, key: str, value: str) -> None:
        """``SystemConfigPrecompiled::validate`` at block version 3.7 (raises the node's messages)."""
        known = key in _V3_MINIMUM or key in _V3_FEATURES or key in ("tx_gas_price", "compatibility_version",
                                                                      "web3_chain_id")
        if not known:
            raise PrecompiledError(f"unsupported key {key}")
        if not value:
            raise PrecompiledError(f"The value for {key} must be non-empty.")
        if key in _V3_FEATURES:
            if value != "1":
                raise PrecompiledError(f"The value for {key} must be 1.")
            return
        if key == "tx_gas_price":
            if not _HEX_RE.fullmatch(value):
                raise PrecompiledError(f"Invalid value {value} ,the value for tx_gas_price must be a hex number "
                                       "like 0xa.")
            return
        if key == "web3_chain_id":  # 3.9+: InvalidVersion, reported as a bad version format
            raise PrecompiledError("Invalid value for web3_chain_id. The version must be in format of "
                                   "major_version.middle_version.minimum_version, and the minimum version is "
                                   "optional. The major version must between 3 to 3")
        if key == "compatibility_version":
            match = _VERSION_RE.fullmatch(value)
            if not match or int(match.group(1)) != 3:
                raise PrecompiledError("Invalid value for compatibility_version. The version must be in format of "
                                       "major_version.middle_version.minimum_version, and the minimum version is "
                                       "optional. The major version must between 3 to 3")
            wanted = (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
            if wanted < _V3_VERSION:
                raise PrecompiledError("Set compatibility version should not lower than version nowadays.")
            if wanted > _V3_VERSION:  # the dev chain is a 3.7 binary: it cannot upgrade
                raise PrecompiledError(f"The dev chain executes as 3.7.0 and cannot upgrade to {value}.")
            return
        number = _int64(value)
        if number is None:
            raise PrecompiledError(f"The value for {key} must be a valid number.")
        minimum = _V3_MINIMUM[key]
        if number < minimum:
            raise PrecompiledError(f"Invalid value {number} ,the value for {key} must be no less than {minimum}")
        if key == "auth_check_status" and number > 255:
            raise PrecompiledError("Invalid status value, must less than 255")

    def _get(self, txn: Txn, ctx: CallContext, key: str) -> bytes:
        entry = txn.get(TABLE, key.lower())
        if entry is None:
            if key.lower() == "auth_check_status":
                return encode(["string", "int256"], ["1" if self.auth else "0", 0])
            return encode(["string", "int256"], ["", -1])
        return encode(["string", "int256"], [entry[0], entry[1]])
