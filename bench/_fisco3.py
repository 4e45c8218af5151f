"""A model of what a FISCO BCOS 3.x node charges, as a py-evm chain (see ``_pyevm.PyEvmChain``).

A 3.x node runs evmone at an Ethereum revision, but through its own EVMC host, and that host
changes the price of storage and account access. The rules below are read from the sources
(FISCO-BCOS v3.16, evmone v0.11.0 — the version FISCO's vcpkg registry pins); this is a model of
the host built from them, not a run on a node.

* Revision: London (``bcos-executor/src/vm/VMInstance.cpp`` ``toRevision``: London unless the
  schedule sets Paris — block version >= 3.2 — or Cancun — ``feature_evm_cancun``; see
  ``BlockContext::setVMSchedule``; ``transaction-executor`` runs Cancun). For the opcodes an
  ``evmVersion`` istanbul contract uses, London, Paris and Cancun charge the same.
* Every account and every slot is cold: the host's ``access_account``/``access_storage`` always
  answer ``EVMC_ACCESS_COLD`` (``bcos-executor/src/vm/EVMHostInterface.cpp``,
  ``transaction-executor/bcos-transaction-executor/vm/EVMHostInterface.h``). evmone then adds the
  cold surcharge on every access (``lib/evmone/instructions_storage.cpp`` ``sload``,
  ``instructions_calls.cpp`` ``call_impl``): SLOAD 2 100, CALL/STATICCALL/EXTCODESIZE/BALANCE...
  2 600, however often the slot or account was touched before. Subclassing the state's
  ``is_address_warm``/``is_storage_warm`` gives exactly that in py-evm's Berlin+ opcodes.
* Every SSTORE is 2 100 (cold) + 2 900: the host's ``set_storage`` answers
  ``EVMC_STORAGE_MODIFIED`` (or ``EVMC_STORAGE_DELETED`` for a zero value), whatever the slot
  held, and evmone's London table prices both at ``5000 - cold_sload_cost``
  (``instructions_storage.cpp`` ``storage_cost_spec``/``sstore_costs``). A zero -> non-zero write
  is therefore 5 000, not 22 100. (bcos-executor's ``setStorage`` tests the value *pointer*
  against 0, so it in fact never answers DELETED; the price is the same either way.) evmone's
  EIP-2200 guard (fail when <= 2 300 gas is left) is kept.
* No refunds: evmone's ``gas_refund`` and the host's own ``sub().refunds`` counter are never
  subtracted from the gas used.
* The receipt's gas is the execution gas only: ``bcos-scheduler/src/BlockExecutive.cpp``
  ``onTxFinish`` (and ``TransactionExecutorImpl.h``) take ``gasLimit - gas_left`` of the EVM
  call, the message being given the whole limit; nothing charges 21 000 or calldata (the only
  21 000, ``BALANCE_TRANSFER_GAS``, is a value transfer's, and these transactions carry none).

Not modelled: contract creation (3.x charges ``createDataGas`` 20 per code byte, not 200: the
gas report measures no deployment), precompiled (system) contracts, value transfers.
"""

from __future__ import annotations

from eth import constants
from eth.abc import ComputationAPI, ReceiptAPI
from eth.exceptions import OutOfGas
from eth.typing import Address
from eth.vm import mnemonics, opcode_values
from eth.vm.forks.berlin import constants as berlin
from eth.vm.forks.byzantium.opcodes import ensure_no_static
from eth.vm.forks.london import LondonVM
from eth.vm.forks.london.blocks import LondonBlockHeader
from eth.vm.forks.london.computation import LondonComputation
from eth.vm.forks.london.opcodes import LONDON_OPCODES
from eth.vm.forks.london.state import LondonState
from eth.vm.opcode import as_opcode

from _pyevm import PyEvmChain

__all__ = ["Fisco3Chain", "Fisco3VM", "SSTORE_COST", "SSTORE_STIPEND_GUARD"]

# evmone London: cold surcharge + sstore_costs[MODIFIED] = cold_sload_cost + (5000 - cold_sload_cost).
SSTORE_COST = berlin.COLD_SLOAD_COST + (5000 - berlin.COLD_SLOAD_COST)
# evmone ``sstore``: ``rev >= EVMC_ISTANBUL && gas_left <= 2300`` -> out of gas.
SSTORE_STIPEND_GUARD = 2300


def sstore_fisco3(computation: ComputationAPI) -> None:
    """SSTORE as evmone prices it when the host says cold + MODIFIED/DELETED: flat, no refund."""
    if computation.get_gas_remaining() <= SSTORE_STIPEND_GUARD:
        raise OutOfGas("SSTORE with <= 2300 gas left (EIP-2200 guard, kept by evmone)")
    slot, value = computation.stack_pop_ints(2)
    computation.consume_gas(SSTORE_COST, reason=f"{mnemonics.SSTORE} (FISCO 3.x host: cold, modified)")
    computation.state.set_storage(address=computation.msg.storage_address, slot=slot, value=value)


class Fisco3Computation(LondonComputation):
    """London's opcodes with SSTORE replaced by :func:`sstore_fisco3`."""

    opcodes = {
        **LONDON_OPCODES,
        opcode_values.SSTORE: as_opcode(logic_fn=ensure_no_static(sstore_fisco3), mnemonic=mnemonics.SSTORE,
                                        gas_cost=constants.GAS_NULL),
    }


class Fisco3State(LondonState):
    """London state whose access lists never hold anything: every account and slot is cold."""

    computation_class = Fisco3Computation

    def is_address_warm(self, address: Address) -> bool:
        return False

    def is_storage_warm(self, address: Address, slot: int) -> bool:
        return False


class Fisco3VM(LondonVM):
    """``LondonVM`` on :class:`Fisco3State`."""

    fork = "fisco-bcos-3-host-model"
    _state_class = Fisco3State


class Fisco3Chain(PyEvmChain):
    """The gas report's "FISCO 3.x host (model)" column: receipt gas = execution gas, no refunds."""

    vm_class = Fisco3VM
    header_class = LondonBlockHeader
    schedule = "FISCO 3.x host (model)"

    def gas_used(self, receipt: ReceiptAPI, computation: ComputationAPI) -> int:
        """The EVM call's own gas (limit minus gas left): no intrinsic gas, no calldata, no refund."""
        return computation.get_gas_used()
