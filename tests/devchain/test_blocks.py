"""Block production: the sealer packs what the pool holds, numbering from a genesis block 0."""

from __future__ import annotations

import threading
import time

from fisco_drugtrace.devchain import DevChain, DevChainConfig

from devchain_helpers import SIGNERS, deploy3, result, send3, set_call, tx3


def test_genesis_block(v3: DevChain) -> None:
    genesis = result(v3, "getBlockByNumber", ["group0", "", 0, False, True])
    assert genesis["number"] == 0 and genesis["transactions"] == [] and genesis["parentInfo"] == []


def test_pool_is_drained_into_one_block(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    v3.chain.set_sealing(False)
    hashes = [v3.chain.submit(v3.chain.decode(tx3(v3, address, set_call(i)))) for i in range(6)]
    v3.chain.set_sealing(True)
    assert v3.chain.wait_for_block(2, 10)
    block = result(v3, "getBlockByNumber", ["group0", "", 2, False, True])
    assert block["transactions"] == ["0x" + h.hex() for h in hashes]
    assert v3.block_number == 2


def test_tx_count_limit_splits_blocks() -> None:
    with DevChain(DevChainConfig(tx_count_limit=2)) as chain:
        chain.chain.set_sealing(False)
        for i in range(5):
            chain.chain.submit(chain.chain.decode(tx3(chain, "", bytes([i]))))
        chain.chain.set_sealing(True)
        assert chain.chain.wait_for_block(3, 10)
        sizes = [len(result(chain, "getBlockByNumber", ["group0", "", n, False, True])["transactions"]) for n in (1, 2, 3)]
        assert sizes == [2, 2, 1]


def test_concurrent_senders_share_blocks(v3: DevChain) -> None:
    address = deploy3(v3)["contractAddress"]
    raws = [tx3(v3, address, set_call(i), signer=SIGNERS[i % 3]) for i in range(60)]
    receipts: list[dict] = []
    lock = threading.Lock()

    def worker(chunk: list[bytes]) -> None:
        for raw in chunk:
            got = send3(v3, raw)["result"]
            with lock:
                receipts.append(got)

    threads = [threading.Thread(target=worker, args=(raws[i::6],)) for i in range(6)]
    # Hold sealing until every sender has a transaction waiting, so the packing is not left to
    # thread timing: the next block must then take all six at once.
    v3.chain.set_sealing(False)
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while v3.chain.pool.size() < 6 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert v3.chain.pool.size() == 6
    v3.chain.set_sealing(True)
    for t in threads:
        t.join()
    assert len(receipts) == 60 and all(r["status"] == 0 for r in receipts)
    blocks = {r["blockNumber"] for r in receipts}
    first = min(blocks)
    assert sum(r["blockNumber"] == first for r in receipts) == 6  # one block took all six senders' txs
    assert len(blocks) < 60
    total = sum(len(result(v3, "getBlockByNumber", ["group0", "", n, False, True])["transactions"]) for n in blocks)
    assert total == 60


def test_timestamps_do_not_go_backwards(v3: DevChain) -> None:
    for _ in range(3):
        deploy3(v3)
    stamps = [result(v3, "getBlockByNumber", ["group0", "", n])["timestamp"] for n in range(4)]
    assert stamps == sorted(stamps)


def test_close_wakes_requests_waiting_for_a_block() -> None:
    chain = DevChain(DevChainConfig())
    chain.chain.set_sealing(False)
    answers: list[dict] = []
    sender = threading.Thread(target=lambda: answers.append(send3(chain, tx3(chain, "", b"\x00"))))
    sender.start()
    while chain.chain.pool.size() == 0:
        sender.join(0.01)
    chain.close()
    sender.join(10)
    assert not sender.is_alive()
    assert answers[0]["error"]["code"] == -32603
