"""A request that finds itself alone runs its round in its own thread (``Chain._run_own_round``);
with company, or while a round runs, it goes through the sealer. Either way: one round at a
time, the same receipts, the same refusals, the same failure handling."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.errors import DevChainError

from devchain_helpers import tx3


def _record_sealing_threads(chain: DevChain, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    seal = chain.chain._seal

    def recording(batch: Any) -> None:
        names.append(threading.current_thread().name)
        seal(batch)

    monkeypatch.setattr(chain.chain, "_seal", recording)
    return names


def _in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:  # collected for the assertions
            out.append(exc)

    thread = threading.Thread(target=run, name="request")
    thread.start()
    return thread, out


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


def test_a_lone_sender_seals_its_own_blocks_in_its_own_thread(v3: DevChain, monkeypatch: pytest.MonkeyPatch) -> None:
    threads = _record_sealing_threads(v3, monkeypatch)
    receipts = [v3.chain.send_and_wait(tx3(v3, "", bytes([i])), 10)[0] for i in range(3)]
    assert [r.block_number for r in receipts] == [1, 2, 3]
    assert threads == [threading.current_thread().name] * 3
    assert v3.chain._in_flight == 0


def test_a_request_arriving_during_a_round_goes_through_the_sealer(v3: DevChain,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    threads = _record_sealing_threads(v3, monkeypatch)
    raw = tx3(v3, "", b"\x01")
    with v3.chain._round:  # a round is running
        request, out = _in_thread(lambda: v3.chain.send_and_wait(raw, 10))
        _wait_until(lambda: v3.chain._in_flight == 1, "the request")
        time.sleep(0.05)
        assert not out  # nothing is sealed while the round lock is held
    request.join(timeout=10)
    receipt, tx = out[0]
    assert receipt.block_number == 1 and tx.raw == raw
    assert threads == ["devchain-sealer"]


def test_a_lone_sender_while_paused_waits_and_the_sealer_seals_on_resume(v3: DevChain,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    threads = _record_sealing_threads(v3, monkeypatch)
    v3.chain.set_sealing(False)
    request, out = _in_thread(lambda: v3.chain.send_and_wait(tx3(v3, "", b"\x02"), 10))
    _wait_until(lambda: v3.chain.pool.size() == 1, "the admission")
    time.sleep(0.05)
    assert not out and v3.block_number == 0
    v3.chain.set_sealing(True)
    request.join(timeout=10)
    assert out[0][0].block_number == 1
    assert threads == ["devchain-sealer"]


def test_a_lone_senders_refusal_comes_back_to_it(v3: DevChain) -> None:
    raw = tx3(v3, "", b"\x03")
    v3.chain.send_and_wait(raw, 10)
    with pytest.raises(Exception, match="NonceCheckFail"):
        v3.chain.send_and_wait(raw, 10)
    with pytest.raises(Exception, match="not a 3.x transaction"):
        v3.chain.send_and_wait(b"\x01garbage", 10)
    assert v3.block_number == 1 and v3.chain._in_flight == 0


def test_storage_failure_in_the_sealers_round_stops_the_chain_too(tmp_path: Path) -> None:
    """The lone path's failure is covered in test_persistence; this is the same through the sealer."""
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        chain.chain.send_and_wait(tx3(chain, "", b"\x04"), 10)
        chain.chain.store._db.close()  # the disk goes away
        with chain.chain._round:  # force the sealer's path
            request, out = _in_thread(lambda: chain.chain.send_and_wait(tx3(chain, "", b"\x05"), 10))
            _wait_until(lambda: chain.chain._in_flight == 1, "the request")
        request.join(timeout=10)
        assert isinstance(out[0], DevChainError) and "the chain stopped" in str(out[0])
        with pytest.raises(DevChainError, match="storage failure"):
            chain.chain.send_and_wait(tx3(chain, "", b"\x06"), 10)
        chain.chain._sealer.join(timeout=10)
        assert not chain.chain._sealer.is_alive()  # the sealer stopped with the chain
    with DevChain(DevChainConfig(data_dir=tmp_path)) as chain:
        assert chain.block_number == 1


def test_close_waits_for_a_lone_round_before_closing_the_store(v3: DevChain, monkeypatch: pytest.MonkeyPatch) -> None:
    inside, release = threading.Event(), threading.Event()
    seal = v3.chain._seal

    def slow(batch: Any) -> None:
        inside.set()
        assert release.wait(10)
        seal(batch)

    monkeypatch.setattr(v3.chain, "_seal", slow)
    request, out = _in_thread(lambda: v3.chain.send_and_wait(tx3(v3, "", b"\x07"), 10))
    assert inside.wait(10)
    closer, closed = _in_thread(v3.close)
    time.sleep(0.05)
    assert closer.is_alive()  # close() waits for the round that is writing
    release.set()
    closer.join(timeout=10)
    request.join(timeout=10)
    assert out[0][0].block_number == 1  # the round finished and was answered before the store closed
    assert closed == [None]


def test_after_a_block_of_several_the_sealer_gathers_even_a_lone_request(v3: DevChain,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent load (a block of several) -> the next request goes to the sealer even if it
    arrives first, so the others can join its block; once blocks are single again, the lone path
    returns."""
    threads = _record_sealing_threads(v3, monkeypatch)
    v3.chain.set_sealing(False)
    pending = [_in_thread(lambda i=i: v3.chain.send_and_wait(tx3(v3, "", bytes([0x10, i])), 10)) for i in range(3)]
    _wait_until(lambda: v3.chain.pool.size() == 3, "three admissions")
    v3.chain.set_sealing(True)
    for thread, _ in pending:
        thread.join(timeout=10)
    assert [out[0][0].block_number for _, out in pending] == [1, 1, 1]
    assert v3.chain.send_and_wait(tx3(v3, "", b"\x11"), 10)[0].block_number == 2  # via the sealer
    assert v3.chain.send_and_wait(tx3(v3, "", b"\x12"), 10)[0].block_number == 3  # alone again
    assert threads == ["devchain-sealer", "devchain-sealer", threading.current_thread().name]


def test_a_lone_round_seals_older_pending_transactions_first_until_its_own_is_in(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Transactions submitted without waiting (and not yet sealed) go first, a block of
    ``tx_count_limit`` at a time; the lone request keeps sealing until its own is in a block
    instead of leaving it to the sealer's next wake-up."""
    with DevChain(DevChainConfig(tx_count_limit=2)) as chain:
        parked, release = threading.Event(), threading.Event()

        def parked_wait(timeout: float | None) -> list[object]:  # the sealer sits this test out
            parked.set()
            release.wait(30)
            return []

        monkeypatch.setattr(chain.chain.pool, "wait_for_work", parked_wait)
        try:
            chain.chain.set_sealing(True)  # wakes the sealer out of its current wait into the parked one
            assert parked.wait(10)
            threads = _record_sealing_threads(chain, monkeypatch)
            for i in range(3):
                admission = chain.chain.decode(tx3(chain, "", bytes([0x20, i])))
                chain.chain.pool.admit(admission.tx, chain_id=admission.chain_id, group_id=admission.group_id,
                                       signature_ok=admission.signature_ok, wake=False)
            receipt, _ = chain.chain.send_and_wait(tx3(chain, "", b"\x21"), 10)
            assert receipt.block_number == 2 and chain.block_number == 2
            assert [len(chain.chain.block(n).tx_hashes) for n in (1, 2)] == [2, 2]
            assert threads == [threading.current_thread().name] * 2
        finally:
            release.set()


def test_a_failure_in_a_lone_round_before_admission_still_answers_the_request(
        v3: DevChain, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(raws: list[bytes]) -> list[object]:
        raise RuntimeError("decoder broke")

    monkeypatch.setattr(v3.chain, "_decode_many", broken)
    started = time.monotonic()
    with pytest.raises(DevChainError, match="the chain stopped: decoder broke"):
        v3.chain.send_and_wait(tx3(v3, "", b"\x30"), 10)
    assert time.monotonic() - started < 5  # answered, not left to time out
    with pytest.raises(DevChainError, match="decoder broke"):
        v3.chain.send_and_wait(tx3(v3, "", b"\x31"), 10)
