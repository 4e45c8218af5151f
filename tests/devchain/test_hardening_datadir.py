"""Issue 19 item 4: damaged data is refused with DataDirError, never started silently or with an
unexpected exception; an old data dir gets the new index and head record on open (item 2)."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from fisco_drugtrace.devchain import DevChain, DevChainConfig
from fisco_drugtrace.devchain import storage
from fisco_drugtrace.devchain.headmark import HEAD_FILE
from fisco_drugtrace.devchain.storage import DB_FILENAME
from fisco_drugtrace.errors import DataDirError

from devchain_helpers import SIGNERS, deploy3, dump, result, send2, receipt2, send3, set_call, store_deploy, tx2, tx3



def build(path: Path, **kw: object) -> DevChain:
    return DevChain(DevChainConfig(data_dir=path, **kw))


def fill(chain: DevChain, count: int = 12) -> list[dict]:
    address = deploy3(chain)["contractAddress"]
    return [send3(chain, tx3(chain, address, set_call(v), signer=SIGNERS[v % 3]))["result"] for v in range(count)]


def db_count(path: Path, table: str) -> int:
    db = sqlite3.connect(path / DB_FILENAME)
    try:
        return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        db.close()


@pytest.fixture
def pristine(tmp_path: Path) -> Path:
    """A cleanly stopped data dir (everything checkpointed into chain.sqlite) with 13 blocks."""
    path = tmp_path / "pristine"
    with build(path) as chain:
        fill(chain)
    return path


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("LOCK", "*-shm"))
    return dst


def test_truncated_to_zero_is_refused(pristine: Path) -> None:
    (pristine / DB_FILENAME).write_bytes(b"")  # truncate -s0
    with pytest.raises(DataDirError, match="empty"):
        build(pristine)


def test_deleted_database_is_refused(pristine: Path) -> None:
    (pristine / DB_FILENAME).unlink()
    with pytest.raises(DataDirError, match="missing"):
        build(pristine)


def crash_image(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What ``kill -9`` leaves: the last blocks only in the WAL (no checkpoint ran since)."""
    live = tmp_path / "live"
    with build(live) as chain:
        fill(chain, 4)
        with chain.chain.store._lock:  # blocks 0-5 in the database file
            chain.chain.store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        monkeypatch.setattr(storage._Checkpointer, "ROWS", 10**9)  # the next blocks stay in the WAL
        chain.chain.store._checkpointer._rows = 0  # type: ignore[union-attr]
        address = result(chain, "getTransactionReceipt", [
            "group0", "", "0x" + chain.chain.store.txs_in_block(1)[0].hash.hex(), False])["contractAddress"]
        for v in range(10):
            send3(chain, tx3(chain, address, set_call(100 + v)))
        assert chain.chain.store.wal_size() > 0
        image = copy(live, tmp_path / "image")
    return image


def test_crash_image_with_its_wal_opens_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = crash_image(tmp_path, monkeypatch)
    with build(image) as chain:
        assert chain.block_number == 15


def test_deleted_wal_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = crash_image(tmp_path, monkeypatch)
    (image / (DB_FILENAME + "-wal")).unlink()
    with pytest.raises(DataDirError, match="ends at block"):
        build(image)


@pytest.mark.parametrize("where", ["header", "middle", "last frame"])
def test_damaged_wal_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    image = crash_image(tmp_path, monkeypatch)
    wal = image / (DB_FILENAME + "-wal")
    data = bytearray(wal.read_bytes())
    at = {"header": 8, "middle": len(data) // 2, "last frame": len(data) - 100}[where]
    data[at:at + 32] = bytes(b ^ 0x5A for b in data[at:at + 32])
    wal.write_bytes(bytes(data))
    with pytest.raises(DataDirError):
        build(image)


def test_rolled_back_to_an_older_copy_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "chain"
    with build(path) as chain:
        fill(chain, 2)
    old = copy(path, tmp_path / "old")
    with build(path) as chain:
        fill(chain, 2)
    shutil.copy(old / DB_FILENAME, path / DB_FILENAME)  # the database restored from a backup, HEAD kept
    with pytest.raises(DataDirError, match="ends at block"):
        build(path)


def test_damaged_head_record_is_refused(pristine: Path) -> None:
    head = pristine / HEAD_FILE
    data = bytearray(head.read_bytes())
    data[3] ^= 1
    head.write_bytes(bytes(data))
    with pytest.raises(DataDirError, match="checksum"):
        build(pristine)


@pytest.mark.parametrize("digests", [True, False], ids=["digested", "written-before-digests"])
@pytest.mark.parametrize("dialect", ["v3", "v2"])
def test_stored_raw_bytes_that_do_not_match_their_hash_are_refused(tmp_path: Path, dialect: str,
                                                                   digests: bool) -> None:
    """Blocks with a digest are checked against it; older ones are decoded and re-hashed."""
    path = tmp_path / dialect
    with build(path, dialect=dialect) as chain:
        if dialect == "v3":
            fill(chain, 2)
        else:
            for _ in range(2):
                receipt2(chain, send2(chain, tx2(chain, "", store_deploy()))["result"])
    db = sqlite3.connect(path / DB_FILENAME)
    raw, tx_hash = db.execute("SELECT raw, hash FROM txs WHERE block_number = 2").fetchone()
    tampered = bytearray(raw)
    tampered[len(tampered) // 2] ^= 0x01  # one bit inside the signed data
    db.execute("UPDATE txs SET raw = ? WHERE hash = ?", (bytes(tampered), tx_hash))
    if not digests:
        db.execute("DROP TABLE raw_digests")
    db.commit()
    db.close()
    with pytest.raises(DataDirError, match="recorded digest" if digests else "stored bytes"):
        build(path, dialect=dialect)


@pytest.mark.parametrize("column, value", [("nonce", "forged"), ("input", b"\x01"), ("sender", "0x" + "ab" * 20),
                                           ("import_time", 7), ("abi", "[]")])
def test_stored_columns_that_disagree_with_what_was_admitted_are_refused(pristine: Path, column: str,
                                                                         value: object) -> None:
    db = sqlite3.connect(pristine / DB_FILENAME)
    block = 1 if column == "abi" else 3  # the deployment carries the abi
    db.execute(f"UPDATE txs SET {column} = ? WHERE block_number = ?", (value, block))
    if column in ("nonce", "input", "abi"):  # the columns the signed bytes hold: also caught without digests
        db.execute("DELETE FROM raw_digests")
    db.commit()
    db.close()
    with pytest.raises(DataDirError, match="damaged: stored"):
        build(pristine)


@pytest.fixture
def dense(tmp_path: Path) -> Path:
    """A cleanly stopped data dir of 151 transactions (~2/3 of the file's bytes hold rows)."""
    path = tmp_path / "dense"
    with build(path) as chain:
        fill(chain, 150)
    return path


def test_random_32_byte_corruptions_never_start_on_changed_data(dense: Path, tmp_path: Path) -> None:
    """24 corruptions (fixed seed) of 32 random bytes anywhere in the file: each either raises
    DataDirError, or hit bytes no row is made of (free space in a page: the logical content is
    unchanged) — never any other exception, never a start on changed data."""
    pristine = dense
    size = (pristine / DB_FILENAME).stat().st_size
    before = dump(pristine)
    rng = random.Random(19)
    refused = harmless = 0
    for n in range(24):
        case = copy(pristine, tmp_path / f"case{n}")
        at = rng.randrange(0, size - 32)
        with open(case / DB_FILENAME, "r+b") as handle:
            handle.seek(at)
            handle.write(rng.randbytes(32))
        try:
            chain = build(case)
        except DataDirError:
            refused += 1
            continue
        chain.close()
        try:
            after = dump(case)
        except sqlite3.DatabaseError as exc:  # pragma: no cover - shows which offset slipped through
            raise AssertionError(f"offset {at}: the chain started on an unreadable database ({exc})") from exc
        assert after == before, f"offset {at}: the chain started on changed data"
        harmless += 1
    print(f"random corruptions: {refused} refused, {harmless} in bytes no row uses")
    assert refused + harmless == 24 and refused >= 10  # not vacuous: most hit rows


def test_old_data_dir_gets_the_receipts_index_and_the_head_record(pristine: Path) -> None:
    db = sqlite3.connect(pristine / DB_FILENAME)
    db.execute("DROP INDEX receipts_block")
    db.execute("DROP TABLE raw_digests")
    db.commit()
    db.close()
    (pristine / HEAD_FILE).unlink()
    before = dump(pristine)
    with build(pristine) as chain:
        assert chain.block_number == 13
    db = sqlite3.connect(pristine / DB_FILENAME)
    plan = db.execute("EXPLAIN QUERY PLAN SELECT tx_hash FROM receipts WHERE block_number = 3 ORDER BY idx").fetchall()
    db.close()
    assert "receipts_block" in " ".join(str(row[-1]) for row in plan)
    assert db_count(pristine, "raw_digests") == 13  # every block with transactions (not genesis)
    assert (pristine / HEAD_FILE).stat().st_size == 44
    assert dump(pristine) == before
    # and the recorded head now guards it
    (pristine / DB_FILENAME).write_bytes(b"")
    with pytest.raises(DataDirError):
        build(pristine)


def test_damaged_signature_bytes_are_refused(pristine: Path) -> None:
    """The transaction hash does not cover the signature: the block's raw digest does."""
    from fisco_drugtrace.encoding import tx_v3

    db = sqlite3.connect(pristine / DB_FILENAME)
    raw, tx_hash = db.execute("SELECT raw, hash FROM txs WHERE block_number = 5").fetchone()
    signature = tx_v3.decode_transaction(raw).signature
    at = bytes(raw).index(signature) + 10
    tampered = bytearray(raw)
    tampered[at] ^= 0x01
    db.execute("UPDATE txs SET raw = ? WHERE hash = ?", (bytes(tampered), tx_hash))
    db.commit()
    db.close()
    with pytest.raises(DataDirError, match="recorded digest"):
        build(pristine)
