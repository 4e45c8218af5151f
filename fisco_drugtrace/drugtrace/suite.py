"""The deployed contract suite as bindings, plus deploying it and mapping reverts to domain errors.

Suite contracts call one another and Solidity re-throws the callee's revert data, so every
binding here decodes reverts with the union of the suite's custom errors
(``contracts.artifacts.suite_errors_abi``). Writes go through :meth:`Suite.transact`, which
turns "unknown id" reverts into :class:`~fisco_drugtrace.errors.NotFound` (the
:class:`ContractRevert` stays as the cause) and lets every other revert through, decoded.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Mapping

from fisco_drugtrace.contracts.artifacts import SUITE_CONTRACTS, load_artifact, suite_errors_abi
from fisco_drugtrace.contracts.binding import Contract, TxResult
from fisco_drugtrace.drugtrace.addressbook import Deployment
from fisco_drugtrace.drugtrace.audit.decoder import EventDecoder
from fisco_drugtrace.drugtrace.hashing import check_signer_suite
from fisco_drugtrace.drugtrace.models import TxInfo
from fisco_drugtrace.encoding.abi import ContractAbi
from fisco_drugtrace.errors import BatchNotReleased, ContractNotDeployed, ContractRevert, DrugTraceError, NotFound

__all__ = ["Suite", "OPTIONAL_CONTRACTS", "deploy_suite", "suite_abi", "map_revert", "NOT_FOUND_ERRORS", "ZERO32"]

ZERO32 = b"\x00" * 32
#: suite members a deployment may lack (deployed before they existed); the others are required
OPTIONAL_CONTRACTS = frozenset({"ProcurementLedger"})

#: revert name -> (kind of thing, argument holding its id)
NOT_FOUND_ERRORS: Mapping[str, tuple[str, str]] = {
    "OrgRegistryUnknownOrg": ("organisation", "orgId"),
    "DrugRegistryUnknownProduct": ("product", "productId"),
    "DrugRegistryUnknownBatch": ("batch", "batchId"),
    "CustodyLedgerUnknownBatch": ("batch", "batchId"),
    "CustodyLedgerUnknownShipment": ("shipment", "shipmentId"),
    "RecallManagerUnknownRecall": ("recall case", "recallId"),
    "RecallManagerUnknownDestruction": ("destruction record", "destructionId"),
    "ProcurementLedgerUnknownBid": ("winning bid", "bidId"),
    "ProcurementLedgerUnknownOrder": ("purchase order", "orderId"),
    "ProcurementLedgerUnknownDelivery": ("delivery", "shipmentId"),
}

_ABI_CACHE: dict[str, ContractAbi] = {}


def suite_abi(name: str) -> ContractAbi:
    """The contract's ABI extended with every custom error of the suite (cached)."""
    found = _ABI_CACHE.get(name)
    if found is None:
        entries = list(load_artifact(name).abi)
        have = {(e.get("name"), str(e.get("inputs"))) for e in entries if e.get("type") == "error"}
        entries += [e for e in suite_errors_abi() if (e.get("name"), str(e.get("inputs"))) not in have]
        found = _ABI_CACHE[name] = ContractAbi(entries)
    return found


def _key_text(value: Any) -> str:
    return "0x" + bytes(value).hex() if isinstance(value, (bytes, bytearray)) else str(value)


def map_revert(exc: ContractRevert) -> Exception:
    """A domain error for "unknown id" reverts, else the revert itself."""
    known = NOT_FOUND_ERRORS.get(exc.error_name or "")
    if known is None:
        return exc
    kind, arg = known
    return NotFound(kind, _key_text(exc.args.get(arg, "?")))


class Suite:
    """Bindings of the five suite contracts of one deployment."""

    def __init__(self, client: Any, deployment: Deployment, signer: Any = None) -> None:
        self.client = client
        self.deployment = deployment
        self.signer = signer
        self.contracts: dict[str, Contract] = {
            name: Contract(client, suite_abi(name), deployment.address(name), signer) for name in SUITE_CONTRACTS
            if name in deployment.contracts or name not in OPTIONAL_CONTRACTS
        }
        self._decoder = EventDecoder({c.address: (name, c.abi) for name, c in self.contracts.items()})
        self._signer_checked = False

    @property
    def orgs(self) -> Contract:
        return self.contracts["OrgRegistry"]

    @property
    def drugs(self) -> Contract:
        return self.contracts["DrugRegistry"]

    @property
    def custody(self) -> Contract:
        return self.contracts["CustodyLedger"]

    @property
    def observations(self) -> Contract:
        return self.contracts["ObservationLog"]

    @property
    def recalls(self) -> Contract:
        return self.contracts["RecallManager"]

    @property
    def procurement(self) -> Contract:
        """The ProcurementLedger (issue 17); a suite deployed before it has none."""
        found = self.contracts.get("ProcurementLedger")
        if found is None:
            raise ContractNotDeployed(
                "this suite has no ProcurementLedger (deployed before it existed): deploy a new suite to use procurement")
        return found

    @property
    def packing(self) -> Contract:
        """The PackingLedger the CustodyLedger created (issue 17A), found through
        ``CustodyLedger.packingLedger()`` once; its events decode from then on."""
        found = self.contracts.get("PackingLedger")
        if found is None:
            address = self.custody.call("packingLedger", sender=getattr(self.signer, "address", None))
            found = Contract(self.client, suite_abi("PackingLedger"), address, self.signer)
            self.contracts["PackingLedger"] = found
            self._decoder = EventDecoder({c.address: (name, c.abi) for name, c in self.contracts.items()})
        return found

    @property
    def ranges(self) -> Contract:
        """The RangeLedger the CustodyLedger created (unit-level custody of unpacked batches, D9),
        found through ``CustodyLedger.rangeLedger()`` once; its events decode from then on."""
        found = self.contracts.get("RangeLedger")
        if found is None:
            address = self.custody.call("rangeLedger", sender=getattr(self.signer, "address", None))
            found = Contract(self.client, suite_abi("RangeLedger"), address, self.signer)
            self.contracts["RangeLedger"] = found
            self._decoder = EventDecoder({c.address: (name, c.abi) for name, c in self.contracts.items()})
        return found

    @property
    def decoder(self) -> EventDecoder:
        return self._decoder

    def full_decoder(self) -> EventDecoder:
        """The decoder of every suite contract including the PackingLedger and RangeLedger the
        CustodyLedger created (looked up once), so the audit index follows containers and ranges
        too. A CustodyLedger older than them has none: the decoder is then the others' alone."""
        from fisco_drugtrace.errors import DrugTraceError

        for name in ("PackingLedger", "RangeLedger"):
            if name not in self.contracts:
                try:
                    self.packing if name == "PackingLedger" else self.ranges
                except DrugTraceError:
                    return self._decoder
        return self._decoder

    def call(self, contract: Contract, fn: str, *args: Any) -> Any:
        """A read; "unknown id" reverts become ``NotFound``."""
        try:
            return contract.call(fn, *args, sender=getattr(self.signer, "address", None))
        except ContractRevert as exc:
            mapped = map_revert(exc)
            if mapped is exc:
                raise
            raise mapped from exc

    def transact(self, contract: Contract, fn: str, *args: Any) -> TxInfo:
        """A write by the suite's signer; returns the transaction and every suite event it emitted.

        :raises SignerSuiteMismatch: (before anything is sent) the signer's suite is not the chain's.
        """
        if not self._signer_checked:
            check_signer_suite(self.client, contract.signer or self.signer)
            self._signer_checked = True
        try:
            result: TxResult = contract.transact(fn, *args)
        except ContractRevert as exc:
            mapped = map_revert(exc)
            if mapped is exc:
                raise
            if exc.error_name == "CustodyLedgerUnknownBatch" and self._registered(exc.args.get("batchId")):
                raise BatchNotReleased(_key_text(exc.args["batchId"])) from exc
            raise mapped from exc
        return self.tx_info(result)

    def _registered(self, batch_id: Any) -> bool:
        """Whether the drug registry knows ``batch_id`` (the custody ledger knows only released batches)."""
        if not isinstance(batch_id, (bytes, bytearray)):
            return False
        try:
            product, _mah = self.call(self.drugs, "batchOwner", bytes(batch_id))
        except DrugTraceError:  # the revert stands as it was if the registry cannot be asked
            return False
        return any(bytes(product))

    def tx_info(self, result: TxResult) -> TxInfo:
        events = []
        for log in result.receipt.logs:
            decoded = self._decoder.decode_args(log)
            if decoded is not None:
                events.append((decoded[1], decoded[2]))
        return TxInfo(result.tx_hash, result.receipt.block_number, tuple(events))


def deploy_suite(
    client: Any,
    signer: Any,
    *,
    root_org_id: bytes,
    region: int,
    details_hash: bytes = ZERO32,
    chain_id: str,
    group_id: str,
    on_step: Callable[[str], None] | None = None,
) -> Deployment:
    """Deploy the five contracts in order and link them; the signer becomes the root regulator.

    Order (contracts/README.md): OrgRegistry(root, region, details) -> DrugRegistry(orgs) ->
    CustodyLedger(orgs, drugs) -> ObservationLog(orgs, drugs, custody) ->
    RecallManager(orgs, drugs, custody) -> OrgRegistry.linkSuite(drugs, custody, obs, recalls) ->
    ProcurementLedger(orgs, drugs, custody) -> OrgRegistry.linkProcurement(procurement).
    """
    step = on_step or (lambda _name: None)
    deployed: dict[str, Contract] = {}

    def _deploy(name: str, *args: Any) -> Contract:
        artifact = load_artifact(name)
        contract = Contract.deploy(client, (suite_abi(name).entries, artifact.bytecode), *args, signer=signer)
        deployed[name] = contract
        step(name)
        return contract

    orgs = _deploy("OrgRegistry", root_org_id, int(region), details_hash)
    drugs = _deploy("DrugRegistry", orgs.address)
    custody = _deploy("CustodyLedger", orgs.address, drugs.address)
    obs = _deploy("ObservationLog", orgs.address, drugs.address, custody.address)
    recalls = _deploy("RecallManager", orgs.address, drugs.address, custody.address)
    orgs.transact("linkSuite", drugs.address, custody.address, obs.address, recalls.address)
    step("linkSuite")
    procurement = _deploy("ProcurementLedger", orgs.address, drugs.address, custody.address)
    receipt = orgs.transact("linkProcurement", procurement.address).receipt
    step("linkProcurement")
    first = orgs.deploy_receipt.block_number if orgs.deploy_receipt is not None else 0
    for name, contract in deployed.items():
        if not client.get_code(contract.address):
            raise ContractNotDeployed(f"{name} has no code at {contract.address} after deploy")
    return Deployment(
        chain_id=str(chain_id), group_id=str(group_id),
        contracts={name: c.address for name, c in deployed.items()},
        block_number=first or receipt.block_number, deployer=signer.address, deployed_ms=int(time.time() * 1000),
        last_block_number=receipt.block_number,
    )

