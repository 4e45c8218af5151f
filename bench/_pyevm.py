"""A minimal py-evm chain, shaped like ``tests/contracts/harness.Chain``, over any py-evm VM class.

Why: pyrevm (the harness) runs revm, whose rules are Ethereum's. A gas schedule that no revm
revision charges — the FISCO BCOS 3.x host model of ``bench/_fisco3.py`` — needs an EVM whose
opcodes and state can be subclassed, which py-evm allows. This module runs the same scene, with
the same ``World`` deploy/wiring recipe of ``contracts/README.md``, on such a VM.
:class:`IstanbulChain` (py-evm's ``IstanbulVM``) is kept as an independent cross-check of pyrevm's
``spec_id="Istanbul"`` (tests/contracts/test_gas_istanbul.py).

Model: the state is a trie root in one ``AtomicDB``. Every transaction runs in a fresh VM
(:attr:`PyEvmChain.vm_class`) built from a header carrying that root, the block number and the
block timestamp in MILLISECONDS (as FISCO BCOS): each transaction is the first of its block, so
EIP-2200's "original value" of every slot is its pre-transaction value. A transaction that is not
kept (a read, or a revert) simply leaves the root where it was; :meth:`PyEvmChain.fresh_copy` is
therefore a second handle on the same database at the same root (trie nodes are content-addressed,
so the twin's writes never disturb the original).

Accounts need no keys and no funds: transactions are signed with one fixed throw-away key and
their sender is overridden with py-evm's ``SpoofTransaction`` (py-evm's executor reads only
``sender`` from the transaction), and the gas price is 0, as on FISCO BCOS, so no balance is
needed. The gas of a transaction is :meth:`PyEvmChain.gas_used`: by default the receipt's (21 000
intrinsic gas and calldata at EIP-2028's 16/4 per byte included, refunds deducted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

from eth.consensus.context import ConsensusContext
from eth.constants import BLANK_ROOT_HASH, CREATE_CONTRACT_ADDRESS
from eth.db.atomic import AtomicDB
from eth.db.chain import ChainDB
from eth.rlp.headers import BlockHeader
from eth.abc import BlockHeaderAPI, ComputationAPI, ReceiptAPI
from eth.vm.chain_context import ChainContext
from eth.vm.base import VM
from eth.vm.forks import IstanbulVM
from eth.vm.spoof import SpoofTransaction
from eth_abi import encode as abi_encode
from eth_keys import keys

# tests/contracts is on sys.path (gas_report.py and pytest put it there). The harness's ABI index,
# type strings and decoders (which only read ``self.index``) are shared, not copied.
from harness import (
    _START_MS,
    Artifact,
    Chain,
    Contract,
    Reverted,
    Snapshot,
    TxResult,
    _AbiIndex,
    _type_str,
    address_of,
)

__all__ = ["PyEvmChain", "PyEvmContract", "IstanbulChain", "Outcome", "TX_GAS", "BLOCK_GAS_LIMIT"]

TX_GAS = 1_000_000_000
BLOCK_GAS_LIMIT = 2**62
# Signs every transaction; the sender is then overridden, so this key is never an identity.
_THROWAWAY_KEY = keys.PrivateKey(b"\x11" * 32)


def _addr(hex_address: str) -> bytes:
    return bytes.fromhex(hex_address[2:] if hex_address.startswith("0x") else hex_address)


@dataclass(frozen=True)
class _LogView:
    """A py-evm log entry in the shape the harness's ``decode_logs`` reads (pyrevm's ``Log``)."""

    address: str
    data: tuple[list[bytes], bytes]


@dataclass(frozen=True)
class Outcome:
    """One executed transaction: success, output (return or revert data), gas from the receipt."""

    ok: bool
    output: bytes
    gas_used: int
    logs: tuple[_LogView, ...]
    state_root: bytes
    created: str | None = None


class PyEvmContract(Contract):
    """A harness ``Contract`` whose transactions run on a :class:`PyEvmChain`."""

    chain: "PyEvmChain"

    def transact(self, fn: str, *args: Any, sender: str) -> TxResult:
        data = self.encode(fn, args)
        outcome = self.chain.send(sender, self.address, data)
        return TxResult(outcome.gas_used, self.chain.decode_logs(outcome.logs),
                        self._decode_output(fn, len(args), outcome.output))


class PyEvmChain:
    """State root + block number + timestamp (ms) over the py-evm VM class :attr:`vm_class`.

    Offers the part of ``harness.Chain`` that ``World`` and the gas report use: ``deploy``,
    ``set_time``/``advance``, ``snapshot``/``revert``/``restore``, ``fresh_copy``, ``contracts``,
    ``index`` and the decoders. Subclasses set :attr:`vm_class` and may redefine :meth:`gas_used`.
    """

    vm_class: ClassVar[type[VM]]
    header_class: ClassVar[type[BlockHeaderAPI]]  # the header type ``vm_class``'s blocks carry
    schedule: ClassVar[str]

    def __init__(self, *, chain_id: int = 20200, number: int = 1, timestamp_ms: int = _START_MS,
                 _db: AtomicDB | None = None, state_root: bytes = BLANK_ROOT_HASH) -> None:
        self.chain_id = chain_id
        self.number = number
        self.timestamp_ms = timestamp_ms
        self._db = _db if _db is not None else AtomicDB()
        self._chaindb = ChainDB(self._db)
        self.state_root = state_root
        self.reader = address_of(0xFFFF)
        self.index = _AbiIndex()
        self.contracts: dict[str, Contract] = {}

    # -- time (no header validation runs here, so any increasing ms value is accepted as is)
    def set_time(self, timestamp_ms: int, number: int | None = None) -> None:
        self.timestamp_ms = timestamp_ms
        if number is not None:
            self.number = number

    def advance(self, ms: int, blocks: int = 1) -> None:
        self.set_time(self.timestamp_ms + ms, self.number + blocks)

    # -- state (a root is immutable, so a snapshot can be reverted to any number of times)
    def snapshot(self) -> Snapshot:
        return Snapshot(self.state_root, self.number, self.timestamp_ms)

    def revert(self, snap: Snapshot) -> None:
        self.state_root = snap.checkpoint
        self.set_time(snap.timestamp_ms, snap.number)

    def restore(self, snap: Snapshot) -> Snapshot:
        self.revert(snap)
        return snap

    def fresh_copy(self) -> "PyEvmChain":
        """A second handle on the same state: its transactions do not move this chain's root."""
        twin = type(self)(chain_id=self.chain_id, number=self.number, timestamp_ms=self.timestamp_ms,
                             _db=self._db, state_root=self.state_root)
        twin.index = self.index
        twin.reader = self.reader
        for name, c in self.contracts.items():
            twin.contracts[name] = PyEvmContract(twin, c.name, c.abi, c.address)
        return twin

    # -- execution
    def _vm(self) -> tuple[VM, BlockHeaderAPI]:
        header = self.header_class(difficulty=1, block_number=self.number, gas_limit=BLOCK_GAS_LIMIT,
                                   timestamp=self.timestamp_ms, state_root=self.state_root, gas_used=0)
        vm = self.vm_class(header, self._chaindb, ChainContext(self.chain_id), ConsensusContext(self._db))
        return vm, header

    def gas_used(self, receipt: ReceiptAPI, computation: ComputationAPI) -> int:
        """The figure reported for one transaction: here the receipt's, as on Ethereum."""
        return receipt.gas_used

    def execute(self, sender: str, to: str | None, data: bytes) -> Outcome:
        """Run one transaction as the first of a block; the chain's root does not move."""
        vm, header = self._vm()
        sender_b = _addr(sender)
        unsigned = vm.create_unsigned_transaction(
            nonce=vm.state.get_nonce(sender_b), gas_price=0, gas=TX_GAS,
            to=CREATE_CONTRACT_ADDRESS if to is None else _addr(to), value=0, data=data)
        tx = SpoofTransaction(unsigned.as_signed_transaction(_THROWAWAY_KEY, chain_id=self.chain_id),
                              sender=sender_b, get_sender=lambda: sender_b)
        receipt, computation = vm.apply_transaction(header, tx)
        vm.state.persist()
        logs = tuple(_LogView("0x" + address.hex(), ([topic.to_bytes(32, "big") for topic in topics], bytes(body)))
                     for address, topics, body in computation.get_log_entries())
        created = None
        if to is None and computation.is_success:
            created = "0x" + computation.msg.storage_address.hex()
        # On REVERT py-evm keeps the revert data in ``output``; other errors leave it empty.
        return Outcome(computation.is_success, bytes(computation.output), self.gas_used(receipt, computation), logs,
                       vm.state.state_root, created)

    def _succeeded(self, outcome: Outcome) -> Outcome:
        if not outcome.ok:
            name, args = self.decode_error(outcome.output)
            raise Reverted(name, args, outcome.output, outcome.gas_used)
        return outcome

    def send(self, sender: str, to: str | None, data: bytes) -> Outcome:
        """A kept transaction: raises ``Reverted`` (state unchanged) or moves the root."""
        outcome = self._succeeded(self.execute(sender, to, data))
        self.state_root = outcome.state_root
        return outcome

    def _execute(self, sender: str, to: str, data: bytes, *, keep: bool) -> bytes:
        """What ``Contract.call`` uses (keep=False: the result is thrown away)."""
        if keep:
            return self.send(sender, to, data).output
        return self._succeeded(self.execute(sender, to, data)).output

    def deploy(self, artifact: Artifact, *ctor_args: Any, sender: str) -> PyEvmContract:
        """Deploy with a CREATE transaction from ``sender``."""
        ctor = next((i for i in artifact.abi if i.get("type") == "constructor"), None)
        types = [_type_str(p) for p in (ctor or {}).get("inputs", [])]
        initcode = artifact.bytecode + (abi_encode(types, list(ctor_args)) if types else b"")
        self.index.add(artifact.abi)
        created = self.send(sender, None, initcode).created or ""
        contract = PyEvmContract(self, artifact.name, artifact.abi, created)
        self.contracts[artifact.name] = contract
        return contract

    def attach(self, artifact: Artifact, address: str) -> PyEvmContract:
        """A contract already on this chain (created by another contract's constructor)."""
        self.index.add(artifact.abi)
        contract = PyEvmContract(self, artifact.name, artifact.abi, address)
        self.contracts[artifact.name] = contract
        return contract

    # -- decoding: the harness's functions (they read only ``self.index``)
    decode_error = Chain.decode_error

    def decode_logs(self, logs: Sequence[Any]) -> list[Any]:
        return Chain.decode_logs(self, logs)  # type: ignore[arg-type]


class IstanbulChain(PyEvmChain):
    """py-evm's ``IstanbulVM``: SLOAD 800, CALL 700, EIP-2200 net-metered SSTORE, no access lists."""

    vm_class = IstanbulVM
    header_class = BlockHeader
    schedule = "Istanbul"
