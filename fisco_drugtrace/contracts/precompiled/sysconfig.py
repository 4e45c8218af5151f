"""SystemConfig (precompile ``0x1000``), both dialects.

Peer: the Java SDK's ``contract/precompiled/sysconfig/SystemConfigService.java`` (``setValueByKey``,
``getValueByKey``). ABI from FISCO-BCOS ``bcos-executor/src/precompiled/solidity/
SystemConfigPrecompiled.sol``. On a chain with governance on, values change only through a
committee proposal (:meth:`~fisco_drugtrace.contracts.precompiled.auth.AuthManager.set_sys_config`);
a direct :meth:`SystemConfig.set` answers -50000.
"""

from __future__ import annotations

from typing import Any

from fisco_drugtrace.types import Dialect

from ._common import PrecompiledContract, fn

__all__ = ["SystemConfig", "SYS_CONFIG_ADDRESS", "SYS_CONFIG_CODES"]

SYS_CONFIG_ADDRESS = "0x0000000000000000000000000000000000001000"
SYS_CONFIG_CODES = {-50000: "not authorised: only the committee may change system config",
                    -51300: "invalid configuration key or value"}

_ABI_V3 = [fn("setValueByKey", ["string", "string"], ["int32"]),
           fn("getValueByKey", ["string"], ["string", "int256"], "view")]
_ABI_V2 = [fn("setValueByKey", ["string", "string"], ["int256"])]


class SystemConfig(PrecompiledContract):
    """``SystemConfig(client, signer).set("tx_count_limit", "500")``; ``.get(key)`` (3.x)."""

    ADDRESS = SYS_CONFIG_ADDRESS
    NAME = "SystemConfig"
    DIALECTS = (Dialect.V3, Dialect.V2)
    CODES = SYS_CONFIG_CODES

    def abi_for(self, dialect: Dialect) -> list[dict[str, Any]]:
        return _ABI_V3 if dialect is Dialect.V3 else _ABI_V2

    def set(self, key: str, value: str) -> None:
        """Set ``key`` to ``value`` from the next block.

        :raises PrecompiledCallError: -50000 (governed chain), -51300 (2.x: bad key/value).
        :raises TransactionFailed: 3.x refuses a bad key or value (the node's reason in the message).
        """
        self._check(f"set {key}", int(self._transact("setValueByKey", key, str(value))), ok_positive=True)

    def get(self, key: str) -> tuple[str, int] | None:
        """(value, block it took effect from), or ``None`` for a key never set (3.x only; on 2.x
        read ``client``'s ``getSystemConfigByKey``)."""
        if self.client.dialect is not Dialect.V3:
            from fisco_drugtrace.errors import ContractError

            raise ContractError("2.x SystemConfig has no getValueByKey: use the getSystemConfigByKey RPC")
        value, number = self._call("getValueByKey", key)
        return None if int(number) < 0 else (value, int(number))
