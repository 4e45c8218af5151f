"""Contract bindings executing the real Probe bytecode on pyrevm (RevmClient) and a fake client."""

from __future__ import annotations

import eth_abi
import pytest

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.contracts import Contract, TxResult
from fisco_drugtrace.crypto.ecdsa import ECDSA, keccak256
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.errors import ContractError, ContractNotDeployed, ContractRevert, TransactionFailed
from fisco_drugtrace.types import CallResult, Dialect, Receipt
from tests.conformance.probe import PROBE_INITIAL, load_probe
from tests.fakes import RevmClient


@pytest.fixture()
def owner() -> LocalSigner:
    return LocalSigner(KeyPair.generate(ECDSA))


@pytest.fixture()
def client() -> RevmClient:
    return RevmClient()


@pytest.fixture()
def probe(client: RevmClient, owner: LocalSigner) -> Contract:
    return Contract.deploy(client, load_probe(), PROBE_INITIAL, signer=owner)


def test_deploy_takes_the_address_from_the_receipt_and_sends_the_abi(probe: Contract, client: RevmClient,
                                                                    owner: LocalSigner) -> None:
    assert probe.deploy_receipt is not None and probe.address == probe.deploy_receipt.contract_address
    sender, to, data, abi = client.sent[0]
    assert sender == owner.address and to is None and data.endswith(eth_abi.encode(["uint256"], [PROBE_INITIAL]))
    assert '"name":"store"' in abi
    assert probe.signer is owner
    assert [e.name for e in probe.decode_receipt_events(probe.deploy_receipt)] == ["Stored"]


def test_deploy_accepts_an_abi_bytecode_pair(client: RevmClient, owner: LocalSigner) -> None:
    art = load_probe()
    c = Contract.deploy(client, (art.abi, "0x" + art.bytecode.hex()), 1, signer=owner)
    assert c.call("pair")[0] == 1


def test_call_decodes_structs_and_multiple_outputs(probe: Contract, owner: LocalSigner) -> None:
    assert probe.call("pair") == (PROBE_INITIAL, owner.address)
    assert probe.call("entry") == {"value": PROBE_INITIAL, "note": "init", "writer": owner.address}
    assert probe.call("divide", 9, 3) == 3


def test_transact_returns_receipt_and_decoded_events(probe: Contract, owner: LocalSigner) -> None:
    result = probe.transact("store", 5, "hello")
    assert isinstance(result, TxResult) and result.receipt.ok
    assert result.event("Stored").args == {"writer": owner.address, "value": 5, "note": "hello"}
    assert probe.call("entry")["note"] == "hello"
    tag = keccak256(b"t")
    tagged = probe.transact("tag", tag, "label")
    assert tagged.events[0].name == "Tagged" and tagged.events[0].args == {"tag": tag, "label": "label"}


def test_custom_error_is_named_with_its_arguments(probe: Contract) -> None:
    stranger = LocalSigner(KeyPair.generate(ECDSA))
    with pytest.raises(ContractRevert) as info:
        probe.transact("store", 6, "x", signer=stranger)
    err = info.value
    assert err.error_name == "ProbeNotOwner"
    assert err.args == {"caller": stranger.address, "code": 7}
    assert err.raw[:4] == keccak256(b"ProbeNotOwner(address,uint256)")[:4]
    assert err.receipt is not None and err.receipt.status == 16 and err.status_name == "RevertInstruction"
    assert err.tx_hash == err.receipt.transaction_hash
    assert "ProbeNotOwner" in str(err)


def test_failed_call_raises_error_string_and_panic(probe: Contract) -> None:
    with pytest.raises(ContractRevert) as info:
        probe.call("fail", "why not")
    assert (info.value.error_name, info.value.args, info.value.receipt) == ("Error", {"message": "why not"}, None)
    with pytest.raises(ContractRevert) as panic:
        probe.call("divide", 1, 0)
    assert panic.value.error_name == "Panic" and panic.value.args == {"code": 0x12}


def test_revert_on_a_2x_chain_is_status_0x16(owner: LocalSigner) -> None:
    client = RevmClient(Dialect.V2)
    probe = Contract.deploy(client, load_probe(), 1, signer=owner)
    with pytest.raises(ContractRevert) as info:
        probe.transact("fail", "v2")
    assert info.value.status == 0x16 and info.value.error_name == "Error"


def test_get_events_reads_logs_by_name_and_indexed_topic(probe: Contract) -> None:
    probe.transact("store", 5, "a")
    probe.transact("store", 6, "b")
    events = probe.get_events(0, 100, "Stored")
    assert [e.args["value"] for e in events] == [PROBE_INITIAL, 5, 6]
    six = probe.get_events(0, 100, "Stored", [None, (6).to_bytes(32, "big")])
    assert [e.args["note"] for e in six] == ["b"]


def test_transact_without_signer_is_refused(client: RevmClient, probe: Contract) -> None:
    unbound = Contract(client, load_probe().abi, probe.address)
    with pytest.raises(ContractError, match="no signer"):
        unbound.transact("store", 1, "x")


def test_call_on_an_empty_address_says_not_deployed(client: RevmClient) -> None:
    empty = Contract(client, load_probe().abi, "0x" + "77" * 20)
    with pytest.raises(ContractNotDeployed):
        empty.call("pair")


def test_bad_address_is_a_contract_error(client: RevmClient) -> None:
    with pytest.raises(ContractError):
        Contract(client, [], "0x1234")


class _StatusClient:
    """A fake client whose transactions end with a chosen status."""

    dialect = Dialect.V3

    def __init__(self, status: int, name: str, contract_address: str | None = None) -> None:
        self.status, self.name, self.contract_address = status, name, contract_address

    def send_transaction(self, signer: object, to: object, data: bytes, **kw: object) -> Receipt:
        return Receipt(transaction_hash="0x" + "11" * 32, block_number=1, status=self.status,
                       status_name=self.name, gas_used=0, output=b"", logs=(),
                       contract_address=self.contract_address)

    def call(self, to: str, data: bytes, *, sender: str | None = None) -> CallResult:
        return CallResult(status=19, output=b"", block_number=1)


def test_other_failed_statuses_raise_transaction_failed(owner: LocalSigner) -> None:
    c = Contract(_StatusClient(18, "PermissionDenied"), load_probe().abi, "0x" + "12" * 20)  # type: ignore[arg-type]
    with pytest.raises(TransactionFailed) as info:
        c.transact("store", 1, "x", signer=owner)
    assert not isinstance(info.value, ContractRevert)
    assert info.value.status == 18 and info.value.status_name == "PermissionDenied"


def test_failed_call_without_data_is_an_undecoded_revert() -> None:
    c = Contract(_StatusClient(0, "None"), load_probe().abi, "0x" + "12" * 20)  # type: ignore[arg-type]
    with pytest.raises(ContractRevert) as info:
        c.call("pair")
    assert info.value.error_name is None and info.value.raw == b""


def test_deploy_without_contract_address_is_not_deployed(owner: LocalSigner) -> None:
    with pytest.raises(ContractNotDeployed):
        Contract.deploy(_StatusClient(0, "None"), load_probe(), 1, signer=owner)  # type: ignore[arg-type]
