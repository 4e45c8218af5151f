"""Which EVM revision each dialect's node runs, and how its receipts count gas.

pyrevm executes every transaction as a plain message call (deployments too: the init code is
placed at the chain-chosen address and called, see :mod:`.evm`), so its ``gas_used`` is always
Ethereum's: 21,000 + calldata at 16/4 gas per non-zero/zero byte + the execution, minus the
refund. A FISCO node counts differently, and :func:`receipt_gas` turns the one into the other.

FISCO BCOS 3.x (``bcos-executor``, read at FISCO-BCOS master/v3.16):

* revision: ``toRevision`` (``bcos-executor/src/vm/VMInstance.cpp``) gives evmone Paris when the
  schedule has ``enablePairs``, Cancun with ``enableCanCun``, London otherwise;
  ``BlockContext::setVMSchedule`` picks the Cancun schedule only when the ``feature_evm_cancun``
  flag is on (it is not in the genesis upgrade roadmap of ``bcos-framework/ledger/Features.h``,
  so a chain gets it only by a later ``setSystemConfig``), else ``FiscoBcosScheduleV320``
  (``enablePairs``, 1 MiB code) from block version 3.2, else London. The dev chain reports
  compatibility version 3.7.0 (``rpc_v3.COMPATIBILITY_VERSION``), so: Paris, revm's ``"Merge"``
  (:func:`v3_revision`; a test keeps the two in step);
* gas: the receipt's ``gasUsed`` is ``gasLimit - gas_left`` of the EVM call, which is given the
  whole limit (``bcos-scheduler/src/BlockExecutive.cpp`` ``onTxFinish``,
  ``transaction-executor/.../TransactionExecutorImpl.h``): no 21,000, no calldata charge, and
  evmone's refund is never subtracted; a deployment pays ``createDataGas`` = 20 per byte of
  runtime code (``TransactionExecutive.cpp``: ``callResults->gas -= size * createDataGas``).

FISCO BCOS 2.x (read at FISCO-BCOS ``release-2.11.0``):

* revision: 2.6.0 and later run ``FiscoBcosScheduleV3`` = Constantinople's table with
  ``enableIstanbul`` (``libethcore/EVMSchedule.h``, ``GlobalConfigureInitializer.cpp``), which the
  interpreter runs as ``EVMC_ISTANBUL``: revm's ``"Istanbul"``;
* gas: ``Executive::gasUsed`` = ``txGasLimit - m_gas``, the call having been given
  ``txGasLimit - baseGasRequired``; ``Transaction::baseGasRequired`` = ``txGas`` 21,000 (or
  ``txCreateGas`` 53,000 for a deployment) + ``txDataNonZeroGas`` **68** / ``txDataZeroGas`` 4
  per byte of the transaction's data — Constantinople's 68, not Istanbul's 16 (EIP-2028 was not
  taken over); a deployment pays ``createDataGas`` = 200 per runtime byte
  (``Executive.cpp``); refunds are added back, capped at half the gas used (``finalize``).

What revm cannot reproduce is not attempted: the 3.x host answers every account/slot access
``EVMC_ACCESS_COLD`` and every SSTORE ``EVMC_STORAGE_MODIFIED`` (flat 2,100 / 5,000), and the
2.x host classifies SSTORE against the current value only; see ``devchain/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from fisco_drugtrace.types import Dialect

__all__ = [
    "GasSchedule",
    "SCHEDULES",
    "REVM_TX_GAS",
    "REVM_DATA_ZERO_GAS",
    "REVM_DATA_NONZERO_GAS",
    "data_gas",
    "intrinsic_gas",
    "revm_intrinsic_gas",
    "BaseGas",
    "base_gas",
    "revm_gas_limit",
    "receipt_gas",
    "v3_revision",
]

#: What revm charges before executing a message call (every revision from Istanbul on).
REVM_TX_GAS = 21_000
REVM_DATA_ZERO_GAS = 4
REVM_DATA_NONZERO_GAS = 16

#: FISCO 3.x block version 3.2.0 (``BlockVersion::V3_2_VERSION``), from which Paris applies.
_V3_2_VERSION = (3 << 24) | (2 << 16)


@dataclass(frozen=True)
class GasSchedule:
    """How one dialect's node executes a transaction and what its receipt's ``gasUsed`` counts.

    :param revision: pyrevm ``spec_id`` — case-sensitive: an unknown name silently means revm's
        latest revision, hence the check in :class:`~.evm.Executor`.
    :param intrinsic: the receipt includes the transaction's base gas (2.x) or not (3.x).
    :param tx_gas: base gas of a call (when ``intrinsic``).
    :param tx_create_gas: base gas of a deployment (when ``intrinsic``).
    :param data_zero_gas: per zero byte of the transaction's data (when ``intrinsic``).
    :param data_nonzero_gas: per non-zero byte of the transaction's data (when ``intrinsic``).
    :param create_data_gas: per byte of runtime code a deployment leaves.
    :param refunds: storage refunds are deducted from the receipt's gas.
    :param max_code_size: largest runtime code a deployment may leave.
    :param tag: names these rules in a data dir's metadata; change it whenever a rule here
        changes, so a chain written under other rules is refused instead of replayed wrongly.
    """

    revision: str
    intrinsic: bool
    tx_gas: int
    tx_create_gas: int
    data_zero_gas: int
    data_nonzero_gas: int
    create_data_gas: int
    refunds: bool
    max_code_size: int
    tag: str


SCHEDULES: dict[Dialect, GasSchedule] = {
    # Paris, not London: the dev chain reports compatibility 3.7.0 >= 3.2 (see the module doc).
    Dialect.V3: GasSchedule(revision="Merge", intrinsic=False, tx_gas=0, tx_create_gas=0, data_zero_gas=0,
                            data_nonzero_gas=0, create_data_gas=20, refunds=False, max_code_size=0x100000,
                            tag="fisco3/Merge/execution-gas/precompile-gas+bridge"),
    Dialect.V2: GasSchedule(revision="Istanbul", intrinsic=True, tx_gas=21_000, tx_create_gas=53_000,
                            data_zero_gas=4, data_nonzero_gas=68, create_data_gas=200, refunds=True,
                            max_code_size=0x40000, tag="fisco2/Istanbul/intrinsic-68/precompile-gas+bridge"),
}


def v3_revision(block_version: int, *, evm_cancun: bool = False) -> str:
    """The revm revision a 3.x node runs at ``block_version`` (``BlockContext::setVMSchedule``)."""
    if evm_cancun:
        return "Cancun"
    return "Merge" if block_version >= _V3_2_VERSION else "London"


def data_gas(data: bytes, zero: int, nonzero: int) -> int:
    """Calldata gas of ``data`` at ``zero``/``nonzero`` gas per byte."""
    zeros = data.count(0)
    return zeros * zero + (len(data) - zeros) * nonzero


def intrinsic_gas(schedule: GasSchedule, data: bytes, *, creation: bool) -> int:
    """The node's base gas for a transaction with ``data`` (0 where the node charges none)."""
    if not schedule.intrinsic:
        return 0
    base = schedule.tx_create_gas if creation else schedule.tx_gas
    return base + data_gas(data, schedule.data_zero_gas, schedule.data_nonzero_gas)


def revm_intrinsic_gas(calldata: bytes) -> int:
    """What revm deducts before running a message call with ``calldata``."""
    return REVM_TX_GAS + data_gas(calldata, REVM_DATA_ZERO_GAS, REVM_DATA_NONZERO_GAS)


@dataclass(frozen=True, slots=True)
class BaseGas:
    """The two base charges of one transaction, computed once: the node's (``node``: 0 on 3.x)
    and what revm deducts before running the message call (``revm``)."""

    node: int
    revm: int


def base_gas(schedule: GasSchedule, *, revm_calldata: bytes, tx_data: bytes, creation: bool) -> BaseGas:
    """The base charges of a transaction whose data the node sees as ``tx_data`` and which pyrevm
    runs with ``revm_calldata`` (``b""`` for a deployment: the init code runs as account code)."""
    return BaseGas(intrinsic_gas(schedule, tx_data, creation=creation), revm_intrinsic_gas(revm_calldata))


def revm_gas_limit(tx_gas_limit: int, base: BaseGas) -> int:
    """The gas to give pyrevm so that the code runs with exactly what the node gives it.

    3.x gives the EVM call the whole ``tx_gas_limit``; 2.x gives it ``tx_gas_limit`` minus the
    base gas. revm first deducts its own intrinsic gas, which is added back here. The caller
    checks ``base.node <= tx_gas_limit`` first.
    """
    return tx_gas_limit - base.node + base.revm


def receipt_gas(schedule: GasSchedule, base: BaseGas, *, revm_gas_used: int, revm_refunded: int,
                runtime_size: int = 0) -> int:
    """The node's receipt ``gasUsed`` for a transaction pyrevm ran as a message call.

    :param base: the transaction's :func:`base_gas` (revm's is taken off, the node's added).
    :param revm_gas_used: pyrevm's ``gas_used`` (after its refund; for a revert, the figure in
        the revert text, which has none).
    :param revm_refunded: the refund pyrevm deducted (``gas_refunded``; 0 for a revert).
    :param runtime_size: bytes of runtime code a successful deployment leaves (0 otherwise).
    """
    execution = revm_gas_used + revm_refunded - base.revm  # the call's own gas
    gas = execution + runtime_size * schedule.create_data_gas + base.node
    if schedule.refunds:
        # revm capped its refund at half of its own (smaller) total, so the refund is within
        # 2.x's cap too; only when revm's cap bit could 2.x's refund be larger (not visible here).
        gas -= revm_refunded
    return gas
