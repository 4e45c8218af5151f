"""The head record's codec (property tests) and the lock-holder lookup without /proc/locks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from fisco_drugtrace.devchain import runfile
from fisco_drugtrace.devchain.headmark import HEAD_FILE, HeadMark, HeadRecord
from fisco_drugtrace.devchain.runfile import DataDirLock, lock_holder
from fisco_drugtrace.errors import DataDirError


@settings(max_examples=200, deadline=None)
@given(number=st.integers(0, 2**63 - 1), block_hash=st.binary(min_size=32, max_size=32),
       then=st.integers(0, 2**63 - 1))
def test_the_last_write_is_what_reads_back(tmp_path_factory: pytest.TempPathFactory, number: int, block_hash: bytes,
                                           then: int) -> None:
    d = tmp_path_factory.mktemp("head")
    mark = HeadMark(d)
    assert mark.read() is None
    mark.write(then, bytes(32))
    mark.write(number, block_hash)
    mark.close()
    assert HeadMark(d).read() == HeadRecord(number, block_hash)


@settings(max_examples=200, deadline=None)
@given(at=st.integers(0, 43), flip=st.integers(1, 255), number=st.integers(0, 2**40))
def test_any_damaged_byte_is_refused(tmp_path_factory: pytest.TempPathFactory, at: int, flip: int,
                                     number: int) -> None:
    d = tmp_path_factory.mktemp("head")
    mark = HeadMark(d)
    mark.write(number, b"\x07" * 32)
    mark.close()
    data = bytearray((d / HEAD_FILE).read_bytes())
    data[at] ^= flip
    (d / HEAD_FILE).write_bytes(bytes(data))
    with pytest.raises(DataDirError):
        HeadMark(d).read()


@pytest.mark.parametrize("size", [0, 43, 45])
def test_a_head_file_of_the_wrong_size_is_refused(tmp_path: Path, size: int) -> None:
    (tmp_path / HEAD_FILE).write_bytes(b"\x00" * size)
    with pytest.raises(DataDirError, match="bytes"):
        HeadMark(tmp_path).read()


def test_lock_holder_from_proc_locks_and_by_probing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    assert lock_holder(tmp_path) is None  # no LOCK file at all
    lock = DataDirLock(tmp_path)
    try:
        assert lock_holder(tmp_path) == os.getpid()
        monkeypatch.setattr(runfile, "PROC_LOCKS", str(tmp_path / "no-such-proc-locks"))
        assert lock_holder(tmp_path) == 0  # held, holder unknown
    finally:
        lock.release()
    assert lock_holder(tmp_path) is None
