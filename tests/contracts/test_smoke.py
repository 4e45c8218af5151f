"""Smoke test: deploy the whole suite into pyrevm from the committed artifacts and run one
happy path — onboard organisations, register a product, commit and release a batch, dispatch, receive,
dispense one unit with a Merkle proof, and see the duplicate dispense raise its alert without
reverting. Self-contained (eth-abi + the artifacts API), independent of the test-matrix harness.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from eth_abi import decode, encode
from eth_utils import keccak
from pyrevm import EVM, BlockEnv, CfgEnv, Env

import merkle_reference as ref
from fisco_drugtrace.contracts.artifacts import ALL_CONTRACTS, SUITE_CONTRACTS, load_artifact, suite_errors_abi

NOW_MS = 1_767_225_600_000  # 2026-01-01, milliseconds like FISCO block timestamps
DAY_MS = 86_400_000
ZERO = b"\0" * 32
KIND = {"DISTRIBUTOR": 4, "LOGISTICS": 5, "PHARMACY": 6, "MANUFACTURER": 3}


def _types(params: list[dict[str, Any]]) -> list[str]:
    return [p["type"] for p in params]


class Deployed:
    """One contract in the EVM: encode with its ABI, decode outputs, events and errors."""

    def __init__(self, evm: EVM, name: str, address: str, errors: list[dict[str, Any]]) -> None:
        self.evm, self.name, self.address = evm, name, address
        self.abi = load_artifact(name).abi
        self.fns = {e["name"]: e for e in self.abi if e["type"] == "function"}
        every_event = [e for n in ALL_CONTRACTS for e in load_artifact(n).abi if e["type"] == "event"]
        self.events = {keccak(text=f"{e['name']}({','.join(_types(e['inputs']))})"): e for e in every_event}
        self.errors = {keccak(text=f"{e['name']}({','.join(_types(e['inputs']))})")[:4]: e for e in errors}

    def _calldata(self, fn: str, args: tuple[Any, ...]) -> bytes:
        item = self.fns[fn]
        types = _types(item["inputs"])
        return keccak(text=f"{fn}({','.join(types)})")[:4] + encode(types, list(args))

    def send(self, fn: str, *args: Any, sender: str) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
        try:
            out = self.evm.message_call(sender, self.address, self._calldata(fn, args))
        except RuntimeError as exc:
            raise self._revert(exc) from exc
        return self._outputs(fn, out), self._logs()

    def call(self, fn: str, *args: Any) -> Any:
        return self._outputs(fn, self.evm.message_call(_addr(0xFFFF), self.address, self._calldata(fn, args),
                                                       is_static=True))

    def _outputs(self, fn: str, out: bytes) -> Any:
        values = decode(_types(self.fns[fn]["outputs"]), bytes(out))
        return values[0] if len(values) == 1 else values

    def _logs(self) -> list[tuple[str, dict[str, Any]]]:
        decoded = []
        for log in self.evm.result.logs:
            topics, data = log.data
            item = self.events.get(bytes(topics[0]))
            assert item is not None, f"unknown event from {log.address}"
            indexed = [p for p in item["inputs"] if p["indexed"]]
            plain = [p for p in item["inputs"] if not p["indexed"]]
            args = {p["name"]: decode([p["type"]], bytes(t))[0] for p, t in zip(indexed, topics[1:])}
            args.update(zip([p["name"] for p in plain], decode(_types(plain), bytes(data))))
            decoded.append((item["name"], args))
        return decoded

    def _revert(self, exc: RuntimeError) -> "Reverted":
        match = re.search(r"output: 0x([0-9a-fA-F]*)", str(exc))  # pyrevm only reports it in the text
        raw = bytes.fromhex(match.group(1)) if match else b""
        item = self.errors.get(raw[:4])
        if item is None:
            return Reverted(f"<0x{raw[:4].hex()}>", ())
        return Reverted(item["name"], decode(_types(item["inputs"]), raw[4:]))


class Reverted(Exception):
    def __init__(self, name: str, args: tuple[Any, ...]) -> None:
        super().__init__(f"{name}{args}")
        self.name, self.args_ = name, args


def _addr(n: int) -> str:
    return "0x" + n.to_bytes(20, "big").hex()


@pytest.fixture(scope="module")
def suite() -> dict[str, Any]:
    evm = EVM(env=Env(cfg=CfgEnv(chain_id=20200), block=BlockEnv(number=1, timestamp=NOW_MS)))
    regulator = _addr(0x1001)
    errors = suite_errors_abi()
    root_org = ref.org_id("11100000000013127N")
    deployed: dict[str, Deployed] = {}

    def ctor(name: str, values: list[Any]) -> bytes:
        art = load_artifact(name)
        inputs = next(e["inputs"] for e in art.abi if e["type"] == "constructor")
        return art.bytecode + encode(_types(inputs), values)

    order_args = {
        "OrgRegistry": lambda: [root_org, 110000, ZERO],
        "DrugRegistry": lambda: [deployed["OrgRegistry"].address],
        "CustodyLedger": lambda: [deployed["OrgRegistry"].address, deployed["DrugRegistry"].address],
        "ObservationLog": lambda: [deployed[n].address for n in ("OrgRegistry", "DrugRegistry", "CustodyLedger")],
        "RecallManager": lambda: [deployed[n].address for n in ("OrgRegistry", "DrugRegistry", "CustodyLedger")],
        "ProcurementLedger": lambda: [deployed[n].address for n in ("OrgRegistry", "DrugRegistry", "CustodyLedger")],
    }
    for name in SUITE_CONTRACTS:  # the deploy recipe of contracts/README.md
        address = evm.deploy(regulator, ctor(name, order_args[name]()))
        deployed[name] = Deployed(evm, name, address.lower(), errors)
    c = deployed
    _, events = c["OrgRegistry"].send("linkSuite", *(c[n].address for n in SUITE_CONTRACTS[1:5]), sender=regulator)
    assert events[0][0] == "SuiteLinked"
    _, events = c["OrgRegistry"].send("linkProcurement", c["ProcurementLedger"].address, sender=regulator)
    assert events[0][0] == "ProcurementLinked"
    accounts = {}
    for i, (label, kind) in enumerate(KIND.items()):
        org = ref.org_id(f"9111{label}")
        c["OrgRegistry"].send("registerOrg", org, kind, 110000, 0, ZERO, sender=regulator)
        accounts[label] = _addr(0x2000 + i)
        c["OrgRegistry"].send("bindAccount", accounts[label], org, sender=regulator)
    return {"evm": evm, "c": c, "regulator": regulator, "acct": accounts}


def org(label: str) -> bytes:
    return ref.org_id(f"9111{label}")


def _release(suite: dict[str, Any], product_id: bytes, batch_id: bytes) -> list[tuple[str, dict[str, Any]]]:
    """The release gate (T0b): a 1-step process defined by the MAH and approved by the regulator,
    the step recorded, an OK release inspection by the MAH; then releaseBatch."""
    c, mah, regulator = suite["c"], suite["acct"]["MANUFACTURER"], suite["regulator"]
    observations, process = c["ObservationLog"], b"\x9f" * 32
    observations.send("recordObservation", 1, product_id, 0, 0, 0, 1, process, sender=mah)
    observations.send("recordObservation", 1, product_id, 0, 0, 0, 1, process, sender=regulator)
    observations.send("recordObservation", 2, batch_id, 0, 0, 0, 0, ZERO, sender=mah)
    observations.send("recordObservation", 6, batch_id, 0, 0, 0, 0, ZERO, sender=mah)
    _, events = c["DrugRegistry"].send("releaseBatch", batch_id, ZERO, sender=mah)
    return events


def test_happy_path_and_duplicate_dispense_alert(suite: dict[str, Any]) -> None:
    c, acct, regulator = suite["c"], suite["acct"], suite["regulator"]
    drug, custody = c["DrugRegistry"], c["CustodyLedger"]

    product_id, events = drug.send("registerProduct", "国药准字H20240001", "10片/盒", org("MANUFACTURER"),
                                   20, 80, ZERO, sender=regulator)
    assert product_id == ref.product_id("国药准字H20240001", "10片/盒")
    assert [e[0] for e in events] == ["ProductRegistered", "ProductStateChanged"]
    assert (events[1][1]["from"], events[1][1]["to"]) == (0, 1)  # NONE -> LISTED

    codes = [f"8{i:019d}" for i in range(300)]
    batch_id = ref.batch_id(product_id, "L240001")
    tree = ref.MerkleTree.for_codes(batch_id, codes)
    out, events = drug.send("commitBatch", product_id, "L240001", NOW_MS - DAY_MS, NOW_MS + 720 * DAY_MS,
                            len(codes), tree.root, ZERO, sender=acct["MANUFACTURER"])
    assert out == batch_id
    assert [e[0] for e in events] == ["BatchCommitted"]
    assert custody.call("holdingOf", batch_id, org("MANUFACTURER")) == (0, 0)  # not released yet
    assert [e[0] for e in _release(suite, product_id, batch_id)] == ["BatchStateChanged", "HoldingCredited"]
    assert custody.call("holdingOf", batch_id, org("MANUFACTURER")) == (300, 0)

    shipment, events = custody.send("dispatch", batch_id, org("DISTRIBUTOR"), org("LOGISTICS"), 100, b"\1" * 32,
                                    sender=acct["MANUFACTURER"])
    assert shipment == 1 and events[0][0] == "ShipmentDispatched" and events[0][1]["quantity"] == 100
    _, events = custody.send("receiveShipment", 1, 100, b"\2" * 32, sender=acct["DISTRIBUTOR"])
    assert [e[0] for e in events] == ["ShipmentReceived", "RangesReceived"]

    custody.send("dispatch", batch_id, org("PHARMACY"), org("LOGISTICS"), 20, ZERO, sender=acct["DISTRIBUTOR"])
    custody.send("receiveShipment", 2, 20, ZERO, sender=acct["PHARMACY"])
    assert custody.call("holdingOf", batch_id, org("PHARMACY")) == (20, 0)
    assert custody.call("holdingOf", batch_id, org("MANUFACTURER")) == (200, 0)

    index = 17  # the pharmacy holds units 0..19: the first 20 the distributor received
    unit = ref.code_hash(codes[index])
    dispensed, events = custody.send("dispense", batch_id, index, unit, tree.proof(index), sender=acct["PHARMACY"])
    assert dispensed is True
    assert events == [("UnitDispensed", {"batchId": batch_id, "index": index, "codeHash": unit,
                                         "orgId": org("PHARMACY")})]
    assert custody.call("isDispensed", batch_id, index) is True
    word = custody.call("dispenseWord", batch_id, 0)
    assert word == 1 << 17

    # The same unit again: no revert, an alert on chain, nothing else changes.
    again, events = custody.send("dispense", batch_id, index, unit, tree.proof(index), sender=acct["PHARMACY"])
    assert again is False
    assert [e[0] for e in events] == ["DuplicateDispense"] and events[0][1]["index"] == index
    assert custody.call("holdingOf", batch_id, org("PHARMACY")) == (19, 0)
    assert custody.call("dispenseWord", batch_id, 0) == word

    # A proof for another unit does not open this one.
    with pytest.raises(Reverted) as info:
        custody.send("dispense", batch_id, 5, unit, tree.proof(index), sender=acct["PHARMACY"])
    assert info.value.name == "CustodyLedgerInvalidProof" and info.value.args_ == (batch_id, 5)


def test_writes_bubble_the_registry_errors(suite: dict[str, Any]) -> None:
    c, regulator = suite["c"], suite["regulator"]
    with pytest.raises(Reverted) as info:
        c["CustodyLedger"].send("dispatch", ZERO, ZERO, ZERO, 1, ZERO, sender=_addr(0xBAD))
    assert info.value.name == "OrgRegistryUnknownAccount"
    c["OrgRegistry"].send("pause", sender=regulator)
    try:
        with pytest.raises(Reverted) as info:
            c["CustodyLedger"].send("dispatch", ZERO, ZERO, ZERO, 1, ZERO, sender=suite["acct"]["MANUFACTURER"])
        assert info.value.name == "OrgRegistryEnforcedPause"
    finally:
        c["OrgRegistry"].send("unpause", sender=regulator)


def test_commit_before_linking_the_suite_says_so() -> None:
    evm = EVM(env=Env(cfg=CfgEnv(chain_id=20200), block=BlockEnv(number=1, timestamp=NOW_MS)))
    regulator, mah = _addr(0x1001), _addr(0x2001)
    errors = suite_errors_abi()
    ctor_types = ["bytes32", "uint32", "bytes32"]
    with pytest.raises(RuntimeError, match="Revert"):  # the zero id marks unbound accounts
        evm.deploy(regulator, load_artifact("OrgRegistry").bytecode + encode(ctor_types, [ZERO, 1, ZERO]))
    orgs_code = load_artifact("OrgRegistry").bytecode + encode(ctor_types, [ref.org_id("root"), 1, ZERO])
    orgs = Deployed(evm, "OrgRegistry", evm.deploy(regulator, orgs_code).lower(), errors)
    with pytest.raises(Reverted) as zero:
        orgs.send("registerOrg", ZERO, KIND["MANUFACTURER"], 1, 0, ZERO, sender=regulator)
    assert zero.value.name == "OrgRegistryZeroOrgId"
    drug_code = load_artifact("DrugRegistry").bytecode + encode(["address"], [orgs.address])
    drug = Deployed(evm, "DrugRegistry", evm.deploy(regulator, drug_code).lower(), errors)
    orgs.send("registerOrg", org("MANUFACTURER"), KIND["MANUFACTURER"], 1, 0, ZERO, sender=regulator)
    orgs.send("bindAccount", mah, org("MANUFACTURER"), sender=regulator)
    product_id, _ = drug.send("registerProduct", "H1", "1", org("MANUFACTURER"), 20, 80, ZERO, sender=regulator)
    batch_id, _ = drug.send("commitBatch", product_id, "L1", 0, NOW_MS + DAY_MS, 10, b"\1" * 32, ZERO, sender=mah)
    with pytest.raises(Reverted) as info:  # the release credits the holding in the (unlinked) ledger
        drug.send("releaseBatch", batch_id, ZERO, sender=mah)
    assert info.value.name == "DrugRegistrySuiteNotLinked"


def test_a_transport_excursion_quarantines_the_shipment_once(suite: dict[str, Any]) -> None:
    c, acct, regulator = suite["c"], suite["acct"], suite["regulator"]
    drug, custody, observations = c["DrugRegistry"], c["CustodyLedger"], c["ObservationLog"]
    product_id, _ = drug.send("registerProduct", "国药准字S20240002", "1支/盒", org("MANUFACTURER"), 20, 80, ZERO,
                              sender=regulator)
    codes = [f"9{i:019d}" for i in range(4)]
    batch_id = ref.batch_id(product_id, "C1")
    tree = ref.MerkleTree.for_codes(batch_id, codes)
    drug.send("commitBatch", product_id, "C1", NOW_MS - DAY_MS, NOW_MS + 30 * DAY_MS, 4, tree.root, ZERO,
              sender=acct["MANUFACTURER"])
    _release(suite, product_id, batch_id)
    shipments = []
    for _ in range(2):  # two shipments of 2: the distributor ends up with 4 available units
        shipment, _ = custody.send("dispatch", batch_id, org("DISTRIBUTOR"), org("LOGISTICS"), 2, ZERO,
                                   sender=acct["MANUFACTURER"])
        custody.send("receiveShipment", shipment, 2, ZERO, sender=acct["DISTRIBUTOR"])
        shipments.append(shipment)
    assert custody.call("holdingOf", batch_id, org("DISTRIBUTOR")) == (4, 0)
    for expected_events in (["ObservationRecorded", "TemperatureExcursion", "ShipmentExcursionFlagged",
                             "HoldingQuarantined"],
                            ["ObservationRecorded", "TemperatureExcursion", "ShipmentExcursionFlagged"]):
        _, events = observations.send("recordObservation", 4, batch_id, shipments[0], 1, 35, 95, b"\7" * 32,
                                      sender=acct["LOGISTICS"])  # TRANSPORT, DEVIATION, 3.5..9.5 degC
        assert [e[0] for e in events] == expected_events
        # only the flagged shipment's 2 units, however often it is reported
        assert custody.call("holdingOf", batch_id, org("DISTRIBUTOR")) == (4, 2)
