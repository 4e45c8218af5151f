"""国密 chains: on an sm_crypto chain the EVM's KECCAK256 is SM3 (FISCO-BCOS
bcos-executor/src/vm/HostContext.cpp), so ids, unit leaves and Merkle nodes are derived with SM3
there — chosen from the node's report — and a signer of the other suite is refused before sending."""

from __future__ import annotations

import hashlib

import pytest
from eth_abi import encode as abi_encode

from fisco_drugtrace.accounts import LocalSigner
from fisco_drugtrace.crypto.keccak import keccak256
from fisco_drugtrace.crypto.keys import KeyPair
from fisco_drugtrace.crypto.ecdsa import ECDSA
from fisco_drugtrace.crypto.sm import SM2, sm3
from fisco_drugtrace.drugtrace import AddressBook, TraceService
from fisco_drugtrace.drugtrace.hashing import chain_hasher, check_signer_suite, hash_name
from fisco_drugtrace.drugtrace.ids import batch_id, code_hash, product_id
from fisco_drugtrace.drugtrace.merkle import build_batch_tree, verify_proof
from fisco_drugtrace.errors import SignerSuiteMismatch

# GB/T 32905-2016, appendix A: example 1 ("abc") and example 2 (the 64-byte "abcd" x 16)
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]


def _ref_sm3(data: bytes) -> bytes:
    """An independent SM3: OpenSSL's, through hashlib."""
    return hashlib.new("sm3", data).digest()


@pytest.mark.parametrize("message,digest", SM3_VECTORS)
def test_sm3_standard_vectors(message: bytes, digest: str) -> None:
    assert sm3(message).hex() == digest
    assert _ref_sm3(message).hex() == digest


def test_ids_leaves_and_nodes_with_sm3_follow_the_contract_rule() -> None:
    product = product_id("国药准字H20260001", "10 tablets", hasher=sm3)
    assert product == _ref_sm3(abi_encode(["string", "string"], ["国药准字H20260001", "10 tablets"]))
    assert product != product_id("国药准字H20260001", "10 tablets")
    batch = batch_id(product, "L1", hasher=sm3)
    assert batch == _ref_sm3(abi_encode(["bytes32", "string"], [product, "L1"]))
    codes = [f"8160347{i:09d}0000" for i in range(1, 8)]
    tree = build_batch_tree(batch, codes, sm3)
    leaves = [_ref_sm3(_ref_sm3(abi_encode(["bytes32", "uint256", "bytes32"], [batch, i, _ref_sm3(c.encode())])))
              for i, c in enumerate(codes)]
    level = leaves
    while len(level) > 1:
        up = [_ref_sm3(min(a, b) + max(a, b)) for a, b in zip(level[0::2], level[1::2])]
        level = up + ([level[-1]] if len(level) % 2 else [])
    assert tree.root == level[0] and tree.leaf(3) == leaves[3]
    assert tree.code_hashes[0] == code_hash(codes[0], hasher=sm3)
    assert verify_proof(tree.root, tree.leaf(5), tree.proof(5), sm3)
    assert not verify_proof(tree.root, tree.leaf(5), tree.proof(5))  # the keccak rule does not prove it
    assert build_batch_tree(batch, codes).root != tree.root


def test_the_packing_tree_with_sm3_follows_the_contract_rule() -> None:
    """Issue 13 item 6 for the packing tree (issue 17A): container leaves and nodes are hashed as
    the chain's KECCAK256 hashes them, SM3 on an sm_crypto chain."""
    from fisco_drugtrace.drugtrace.packing import CASE, PALLET, PackingLayout, PackingTree, container_leaf

    batch = batch_id(product_id("国药准字H20260001", "10 tablets", hasher=sm3), "L1", hasher=sm3)
    layout = PackingLayout(12, 4, 2)  # 3 cases, 2 pallets
    cases, pallets = ["C0", "C1", "C2"], ["P0", "P1"]
    tree = PackingTree.build(batch, layout, cases, pallets, hasher=sm3)
    leaves = [_ref_sm3(_ref_sm3(batch + level.to_bytes(32, "big") + i.to_bytes(32, "big") + _ref_sm3(c.encode())))
              for level, codes in ((CASE, cases), (PALLET, pallets)) for i, c in enumerate(codes)]
    level = leaves
    while len(level) > 1:
        up = [_ref_sm3(min(a, b) + max(a, b)) for a, b in zip(level[0::2], level[1::2])]
        level = up + ([level[-1]] if len(level) % 2 else [])
    assert tree.root == level[0]
    assert container_leaf(batch, PALLET, 1, tree.code_hash(PALLET, 1), sm3) == leaves[4]
    assert verify_proof(tree.root, leaves[1], tree.proof(CASE, 1), sm3)
    assert PackingTree.build(batch, layout, cases, pallets).root != tree.root  # keccak is another tree


class _SmNode:
    """A client whose node reports an sm_crypto chain (everything else from the real one)."""

    def __init__(self, client) -> None:
        self._client = client

    def uses_sm_crypto(self) -> bool:
        return True

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_the_service_hashes_as_the_chain_reports(market, tmp_path) -> None:
    assert chain_hasher(market.client) is keccak256 and market.client.uses_sm_crypto() is False
    sm_service = TraceService(_SmNode(market.client), None, AddressBook.in_home(tmp_path), home=tmp_path)
    assert sm_service.chain_hash is sm3 and hash_name(sm_service.chain_hash) == "sm3"
    sm_service.attach(market.svc["regulator"].deployment.address("OrgRegistry"))
    assert sm_service.codes.hasher is sm3


def test_a_signer_of_the_other_suite_is_refused_before_anything_is_sent(market) -> None:
    ecdsa = market.svc["regulator"].signer
    sm2 = LocalSigner(KeyPair.generate(SM2))
    check_signer_suite(market.client, ecdsa)  # the dev chain is an ECDSA chain
    with pytest.raises(SignerSuiteMismatch):
        check_signer_suite(_SmNode(market.client), ecdsa)
    check_signer_suite(_SmNode(market.client), sm2)
    head = market.client.block_number()
    with pytest.raises(SignerSuiteMismatch) as err:
        market.svc["regulator"].with_signer(sm2).register_org("91110000MA01SMSM1X", market.svc["regulator"]
                                                            .get_org(market.orgs["pharmacy"]).kind, 110000)
    assert "is an SM2 key but the chain uses ECDSA: nothing was sent" in str(err.value)
    assert market.client.block_number() == head


def test_a_node_that_cannot_say_its_suite_refuses_no_signer() -> None:
    class _Silent:  # a 2.x node: no crypto type in its answers
        pass

    check_signer_suite(_Silent(), LocalSigner(KeyPair.generate(SM2)))
    assert chain_hasher(_Silent()) is keccak256


def _v2_client(version: str):
    """A 2.x client on a dev chain whose getClientVersion names ``version`` (a guomi build says
    "... gm"), as a real 2.x node's does."""
    import json

    from fisco_drugtrace.client import connect
    from fisco_drugtrace.config import Settings
    from fisco_drugtrace.devchain import DevChain, DevChainConfig
    from fisco_drugtrace.types import Dialect

    chain = DevChain(DevChainConfig(dialect=Dialect.V2))

    def handler(raw: bytes) -> bytes:
        answer = chain.handle_raw(raw)
        if b"getClientVersion" in raw:
            doc = json.loads(answer)
            doc["result"]["FISCO-BCOS Version"] = version
            answer = json.dumps(doc).encode()
        return answer

    return chain, connect(Settings(dialect=Dialect.V2, group=1), handler=handler)


@pytest.mark.parametrize("version,suite,hasher", [("2.9.1 gm", "sm2_sm3", sm3), ("2.9.1", "ecdsa_secp256k1", keccak256)])
def test_a_2x_node_reports_its_crypto_type_and_the_service_hashes_as_it(version, suite, hasher) -> None:
    chain, client = _v2_client(version)
    try:
        assert client.chain_crypto_suite() == suite
        assert chain_hasher(client) is hasher
        wrong = LocalSigner(KeyPair.generate(SM2)) if hasher is keccak256 else LocalSigner(KeyPair.generate(ECDSA))
        with pytest.raises(SignerSuiteMismatch):
            check_signer_suite(client, wrong)
    finally:
        chain.close()
