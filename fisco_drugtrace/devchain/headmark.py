"""The committed head, recorded outside the database (``HEAD`` in the data dir).

SQLite alone cannot tell a chain that was truncated, lost its WAL or was rolled back from a chain
that simply never grew: each of those opens as a valid, shorter database. So after every block's
commit the store also writes ``(number, hash)`` of that block here, and on open a database whose
highest block is below the recorded one (or holds another block at that height, or is empty
while this file exists) is refused with :class:`DataDirError`.

Format: 8-byte big-endian block number, 32-byte block hash, 4-byte CRC-32 of the 40 bytes
before it; 44 bytes written with one ``pwrite`` at offset 0 of a file kept open (no rename, no
new inode per block: a few microseconds). The record is written *after* the block's commit, so it
never names a block that was not committed; a crash between the two leaves it one block behind,
which is still a correct lower bound. It is fsync'd when the store runs with ``fsync=True``
(``synchronous=FULL``), after the database's own fsync; with ``synchronous=NORMAL`` neither
survives a power loss, which is the promise that mode already makes.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from fisco_drugtrace.errors import DataDirError

__all__ = ["HeadMark", "HeadRecord", "HEAD_FILE"]

HEAD_FILE = "HEAD"
_FORMAT = struct.Struct(">q32sI")


@dataclass(frozen=True)
class HeadRecord:
    number: int
    hash: bytes


class HeadMark:
    """Reads and writes ``data_dir/HEAD``."""

    def __init__(self, data_dir: Path, *, fsync: bool = False) -> None:
        self.path = data_dir / HEAD_FILE
        self._fsync = fsync
        self._fd: int | None = None

    def read(self) -> HeadRecord | None:
        """The recorded head, ``None`` when no head was ever recorded.

        :raises DataDirError: the file exists but is not a valid record.
        """
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DataDirError(str(self.path.parent), f"cannot read {HEAD_FILE}: {exc}") from exc
        if len(data) != _FORMAT.size:
            raise DataDirError(str(self.path.parent), f"damaged: {HEAD_FILE} holds {len(data)} bytes, not {_FORMAT.size}")
        number, block_hash, crc = _FORMAT.unpack(data)
        if zlib.crc32(data[:40]) != crc or number < 0:
            raise DataDirError(str(self.path.parent), f"damaged: {HEAD_FILE} fails its checksum")
        return HeadRecord(number, block_hash)

    def write(self, number: int, block_hash: bytes) -> None:
        """Record ``number``/``block_hash`` as committed (call after the commit)."""
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        body = struct.pack(">q32s", number, block_hash)
        os.pwrite(self._fd, body + struct.pack(">I", zlib.crc32(body)), 0)
        if self._fsync:
            os.fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
