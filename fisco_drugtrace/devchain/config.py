"""The dev chain's configuration: which protocol it speaks and the chain's identity and limits.

Defaults follow ``build_chain.sh``: 3.x chains are ``chain0``/``group0`` with a transaction gas
limit of 3,000,000,000; 2.x chains are chain 1, group 1 with 300,000,000.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fisco_drugtrace.errors import DevChainError
from fisco_drugtrace.types import Dialect

__all__ = [
    "DevChainConfig",
    "DEFAULT_TX_GAS_LIMIT",
    "DEFAULT_CHAIN_ID",
    "DEFAULT_GROUP_ID",
    "DEV_NODE_ID",
    "COMPAT_MODES",
]

#: node versions the dev chain can answer as: "3.9" (and later) serves ``getLogs`` and filters
#: (added to FISCO BCOS in 3.9.0); "3.7" answers them with MethodNotFound, as a 3.0-3.8 node does.
COMPAT_MODES = ("3.7", "3.9")

#: ``tx_gas_limit`` system config by dialect (3.x genesis default, 2.x ``[tx] gas_limit`` default).
DEFAULT_TX_GAS_LIMIT = {Dialect.V3: 3_000_000_000, Dialect.V2: 300_000_000}
DEFAULT_CHAIN_ID: dict[Dialect, str | int] = {Dialect.V3: "chain0", Dialect.V2: 1}
DEFAULT_GROUP_ID: dict[Dialect, str | int] = {Dialect.V3: "group0", Dialect.V2: 1}

#: The single node's id (128 hex digits, a fixed made-up public key: the node never signs anything).
DEV_NODE_ID = ("d0" * 32) + ("e5" * 32)


@dataclass(frozen=True)
class DevChainConfig:
    """Everything that defines one dev chain.

    :param dialect: ``Dialect.V3`` (Tars transactions, ``sendTransaction``) or ``Dialect.V2``
        (RLP transactions, ``sendRawTransaction``).
    :param chain_id: ``"chain0"`` (3.x) / ``1`` (2.x) when ``None``.
    :param group_id: ``"group0"`` (3.x) / ``1`` (2.x) when ``None``.
    :param data_dir: where SQLite keeps the chain; ``None`` = in memory, gone on close.
    :param block_limit: width of the blockLimit window (``current < limit <= current + block_limit``).
    :param tx_gas_limit: gas every transaction runs with (the system config, not the tx field).
    :param evm_chain_id: what the ``CHAINID`` opcode returns. FISCO's EVM host leaves it zero on
        both 3.x and 2.x (``EVMHostInterface``: ``chain_id`` memset to 0), so 0 is the default.
    :param tx_count_limit: most transactions the sealer packs into one block.
    :param pool_limit: most pending transactions before ``TxPoolIsFull``.
    :param genesis_timestamp: genesis block time in ms; ``None`` = now, at creation (then stored).
    :param compat: the node version answered as (:data:`COMPAT_MODES`): ``"3.9"`` serves
        ``getLogs`` and the filter methods, ``"3.7"`` has none of them (MethodNotFound), as 3.0-3.8.
    :param filter_max_process_block: most blocks one ``getLogs`` / ``getFilterChanges`` call
        processes — the node's ``[rpc] filter_max_process_block`` (default 10): ``getLogs`` answers
        only the first that many blocks of its range, a filter advances that many per poll.
    :param filter_timeout_s: a filter not polled for this long is gone (``[rpc] filter_timeout``, 300 s).
    :param max_filters: most live filters (the node has no cap; the dev chain bounds its memory).
    :param auth_admin: 3.x only: start with permission governance (``build_chain.sh -a``), this
        account (``0x`` + 40 hex) the committee's only governor. A data dir keeps the setting.
    :param web3_chain_id: the Ethereum chain id of the Web3 port (FISCO's ``web3_chain_id``
        system config; :mod:`.web3rpc`): ``eth_chainId`` and what EIP-155 / typed transactions
        must carry.
    :param fsync: ``True`` makes every block commit wait for the disk (SQLite ``synchronous=FULL``,
        safe against power loss); the default (``NORMAL``, WAL) is safe against the process being
        killed — a committed block is in the OS before its receipts are answered.
    """

    dialect: Dialect = Dialect.V3
    chain_id: str | int | None = None
    group_id: str | int | None = None
    data_dir: Path | str | None = None
    block_limit: int = 1000
    tx_gas_limit: int | None = None
    evm_chain_id: int = 0
    tx_count_limit: int = 1000
    pool_limit: int = 150_000
    genesis_timestamp: int | None = None
    fsync: bool = False
    node_id: str = field(default=DEV_NODE_ID)
    compat: str = "3.9"
    filter_max_process_block: int = 10
    filter_timeout_s: float = 300.0
    max_filters: int = 10_000
    auth_admin: str | None = None
    web3_chain_id: int = 20200

    def __post_init__(self) -> None:
        dialect = Dialect(self.dialect)
        object.__setattr__(self, "dialect", dialect)
        if self.chain_id is None:
            object.__setattr__(self, "chain_id", DEFAULT_CHAIN_ID[dialect])
        if self.group_id is None:
            object.__setattr__(self, "group_id", DEFAULT_GROUP_ID[dialect])
        if self.tx_gas_limit is None:
            object.__setattr__(self, "tx_gas_limit", DEFAULT_TX_GAS_LIMIT[dialect])
        if self.data_dir is not None:
            object.__setattr__(self, "data_dir", Path(self.data_dir))
        if dialect is Dialect.V2:
            for name in ("chain_id", "group_id"):
                value = getattr(self, name)
                if isinstance(value, str) and value.isdigit():
                    object.__setattr__(self, name, int(value))
                elif not isinstance(getattr(self, name), int):
                    raise DevChainError(f"a 2.x {name} is an integer, got {value!r}")
        else:
            for name in ("chain_id", "group_id"):
                object.__setattr__(self, name, str(getattr(self, name)))
        if self.auth_admin is not None:
            _check_auth_admin(dialect, self.auth_admin)
            object.__setattr__(self, "auth_admin", self.auth_admin.lower())
        if self.block_limit < 1 or self.tx_count_limit < 1 or self.pool_limit < 1:
            raise DevChainError("block_limit, tx_count_limit and pool_limit must be positive")
        if str(self.compat) not in COMPAT_MODES:
            raise DevChainError(f"compat must be one of {', '.join(COMPAT_MODES)}, got {self.compat!r}")
        object.__setattr__(self, "compat", str(self.compat))
        if self.filter_max_process_block < 1 or self.max_filters < 1 or self.filter_timeout_s <= 0:
            raise DevChainError("filter_max_process_block, max_filters and filter_timeout_s must be positive")
        if int(self.tx_gas_limit or 0) < 100_000:  # FISCO's minimum for tx_gas_limit
            raise DevChainError(f"tx_gas_limit must be at least 100000, got {self.tx_gas_limit}")

    @property
    def serves_filters(self) -> bool:
        """Whether this node version has ``getLogs`` and the filter methods (3.9.0+)."""
        return self.compat != "3.7"

    @property
    def binary_version(self) -> str:
        """What ``getGroupNodeInfo`` reports as the node's binary version."""
        return f"v{self.compat}.0-devchain"

    @property
    def gas_limit(self) -> int:
        """The transaction gas limit as an int (never ``None`` after construction)."""
        return int(self.tx_gas_limit or 0)


def _check_auth_admin(dialect: Dialect, admin: str) -> None:
    """``--auth`` needs a 3.x chain and an account address."""
    if dialect is not Dialect.V3:
        raise DevChainError("--auth (permission governance) is a FISCO BCOS 3.x feature; this chain is 2.x")
    text = admin[2:] if admin[:2] in ("0x", "0X") else ""
    if len(text) != 40 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise DevChainError(f"--auth needs an account address (0x + 40 hex digits), got {admin!r}")
