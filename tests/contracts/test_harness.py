"""The harness itself: revert decoding, snapshots, and the cold-state copy used for gas figures."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

from harness import DevChainHarness
from world import Scene

Z32 = bytes(32)


def test_decode_error_variants(scene: Scene) -> None:
    chain = scene.w.chain
    assert chain.decode_error(b"") == ("<empty>", ())
    assert chain.decode_error(keccak(text="Error(string)")[:4] + encode(["string"], ["boom"])) == ("Error", ("boom",))
    assert chain.decode_error(keccak(text="Panic(uint256)")[:4] + encode(["uint256"], [0x11])) == ("Panic", (0x11,))
    name, _ = chain.decode_error(b"\xde\xad\xbe\xef")
    assert name == "<unknown 0xdeadbeef>"
    sel = keccak(text="CustodyLedgerInvalidQuantity(uint256)")[:4]
    assert chain.decode_error(sel + encode(["uint256"], [7])) == ("CustodyLedgerInvalidQuantity", (7,))


def test_fresh_copy_has_the_same_state_and_measures_cold(scene: Scene) -> None:
    w, b = scene.w, scene.batch.batch_id
    args = (b, w.org("pharm"), w.org("log"), 1, Z32)
    twins = [w.chain.fresh_copy() for _ in range(2)]
    for twin in twins:
        assert twin.contracts["CustodyLedger"].call("holdingOf", b, w.org("dist")) == w.holding(b, "dist")
        assert twin.contracts["DrugRegistry"].call("getBatch", b) == w.drugs.call("getBatch", b)
    cold = [t.contracts["CustodyLedger"].transact("dispatch", *args, sender=w.acct("dist")) for t in twins]
    warm = w.custody.transact("dispatch", *args, sender=w.acct("dist"))
    assert cold[0].gas_used == cold[1].gas_used  # deterministic
    assert [e.name for e in cold[0].events] == [e.name for e in warm.events]
    # the long-lived session keeps slots warm: the same call is cheaper there (pyrevm never finalises)
    assert cold[0].gas_used > warm.gas_used
    assert w.holding(b, "dist") == (19, 0)
    assert twins[0].contracts["CustodyLedger"].call("holdingOf", b, w.org("dist")) == (19, 0)


def test_block_time_is_milliseconds(scene: Scene) -> None:
    w = scene.w
    chain = w.chain
    assert isinstance(chain, DevChainHarness)
    target = chain.number + 76
    chain.set_time(1_800_000_000_123, target)
    assert chain.number == target  # empty blocks mined up to it
    w.stop_batch(scene.batch.batch_id)
    assert w.drugs.call("getBatch", scene.batch.batch_id)[6] == 1_800_000_000_123
