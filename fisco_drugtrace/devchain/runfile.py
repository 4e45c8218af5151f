"""Who runs on a data dir: an exclusive lock while a chain has it open, and the pid file.

The lock (``LOCK``, ``flock``) makes a second chain on the same data dir fail fast with
:class:`DevChainRunning` instead of two writers sharing one SQLite file. The pid file
(``devchain.json``: pid, url, dialect, ids) is what ``devchain status``/``stop`` read.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from fisco_drugtrace.errors import DevChainRunning

__all__ = ["DataDirLock", "RunInfo", "write_run_info", "read_run_info", "remove_run_info", "pid_alive",
           "RUN_FILE", "LOCK_FILE"]

RUN_FILE = "devchain.json"
LOCK_FILE = "LOCK"


class DataDirLock:
    """Hold an exclusive, non-blocking lock on ``data_dir/LOCK`` until :meth:`release`."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._handle: IO[str] | None = open(data_dir / LOCK_FILE, "a+")
        try:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._handle.close()
            self._handle = None
            raise DevChainRunning(f"another dev chain has {data_dir} open") from exc

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


@dataclass(frozen=True)
class RunInfo:
    """What a running ``devchain start`` publishes in its data dir."""

    pid: int
    url: str
    dialect: str
    chain_id: str
    group_id: str


def write_run_info(data_dir: Path, info: RunInfo) -> None:
    tmp = data_dir / (RUN_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(info)))
    os.replace(tmp, data_dir / RUN_FILE)


def read_run_info(data_dir: Path) -> RunInfo | None:
    try:
        data = json.loads((data_dir / RUN_FILE).read_text())
        return RunInfo(int(data["pid"]), str(data["url"]), str(data["dialect"]), str(data["chain_id"]),
                       str(data["group_id"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remove_run_info(data_dir: Path) -> None:
    try:
        (data_dir / RUN_FILE).unlink()
    except FileNotFoundError:
        pass


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (and is not a zombie we could reap)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
