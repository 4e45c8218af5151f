"""The per-thread Keccak-256 state gives pycryptodome's answers, from any thread and any buffer type."""

from __future__ import annotations

import threading

from Crypto.Hash import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from fisco_drugtrace.crypto.keccak import keccak256


def _reference(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def test_known_vectors() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=700))
def test_matches_pycryptodome_for_bytes_bytearray_memoryview(data: bytes) -> None:
    expected = _reference(data)
    assert keccak256(data) == expected
    assert keccak256(bytearray(data)) == expected
    assert keccak256(memoryview(data)) == expected


def test_threads_do_not_share_a_state() -> None:
    wrong: list[int] = []

    def work(seed: int) -> None:
        for i in range(400):
            data = bytes([seed]) * (i % 300)
            if keccak256(data) != _reference(data):
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_every_backend_agrees() -> None:
    from fisco_drugtrace.crypto import keccak as _keccak

    assert _keccak._GIL_LIB is not None  # the fast path is there on every supported platform
    backends = [_keccak._public_keccak256, _keccak._CtypesState(_keccak._GIL_LIB).hasher()]
    for size in (0, 1, 135, 136, 137, 1000):
        data = bytes(range(256)) * 4
        assert {backend(data[:size]) for backend in backends} == {_reference(data[:size])}


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=20))
def test_bulk_hasher_digests_equal_pycryptodome(messages: list[bytes]) -> None:
    from Crypto.Hash import keccak as reference

    from fisco_drugtrace.crypto.keccak import new_bulk_hasher

    bulk = new_bulk_hasher()
    for message in messages + messages:  # each length's c_size_t is made once, then reused
        assert bulk(message) == reference.new(digest_bits=256, data=message).digest()
    assert bulk(bytearray(b"abc")) == reference.new(digest_bits=256, data=b"abc").digest()
