"""Who runs on a data dir: an exclusive lock while a chain has it open, and the pid file.

The lock (``LOCK``, ``flock``) makes a second chain on the same data dir fail fast with
:class:`DevChainRunning` instead of two writers sharing one SQLite file. The pid file
(``devchain.json``: pid, url, dialect, ids, the process's start time) is what ``devchain
status``/``stop`` read — but only trust: a pid file survives a ``kill -9``, and its pid may since
belong to an unrelated process. :func:`serving` proves the chain is there: the data dir's lock is
held, its holder (``/proc/locks``) is the pid of the file, and that process started when the
file says. Anything else is not our chain, and nothing is ever signalled on the file's word.

While a chain opens (replay can take a while) it publishes its progress in ``devchain.starting``
(:func:`write_progress`), so a detached start can report it instead of guessing a timeout.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from fisco_drugtrace.errors import DevChainRunning

__all__ = ["DataDirLock", "RunInfo", "StartProgress", "write_run_info", "read_run_info", "remove_run_info",
           "pid_alive", "process_start_time", "lock_holder", "serving", "write_progress", "read_progress",
           "remove_progress", "RUN_FILE", "LOCK_FILE", "PROGRESS_FILE"]

RUN_FILE = "devchain.json"
LOCK_FILE = "LOCK"
PROGRESS_FILE = "devchain.starting"
#: Where Linux lists the file locks held (``lock_holder`` probes the lock when it is unreadable).
PROC_LOCKS = "/proc/locks"


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
    #: the process's start time (``/proc/PID/stat`` field 22, clock ticks since boot); ``None`` in
    #: files written before it was recorded
    started: int | None = None


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def write_run_info(data_dir: Path, info: RunInfo) -> None:
    _write_json(data_dir / RUN_FILE, asdict(info))


def read_run_info(data_dir: Path) -> RunInfo | None:
    try:
        data = json.loads((data_dir / RUN_FILE).read_text())
        started = data.get("started")
        return RunInfo(int(data["pid"]), str(data["url"]), str(data["dialect"]), str(data["chain_id"]),
                       str(data["group_id"]), int(started) if started is not None else None)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
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


def process_start_time(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, ``/proc/PID/stat`` field 22), ``None``
    when there is no such process (or no ``/proc``). A reused pid has another start time."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return int(fields[19])  # field 22 overall; fields[0] is field 3 (state)
    except (OSError, IndexError, ValueError):
        return None


def lock_holder(data_dir: Path) -> int | None:
    """The pid holding ``data_dir/LOCK`` (from ``/proc/locks``), ``None`` when nobody holds it.

    Without ``/proc/locks`` the lock is probed instead (taken and released at once); a held lock
    then reports pid ``0`` (held, holder unknown).
    """
    path = data_dir / LOCK_FILE
    try:
        st = os.stat(path)
    except OSError:
        return None
    wanted = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open(PROC_LOCKS) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return _probe(path)
    for line in lines:
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 25310 fe:00:2162970 0 EOF" (blocked waiters are marked "->")
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] == wanted:
            try:
                return int(parts[4])
            except ValueError:
                continue
    return None


def _probe(path: Path) -> int | None:
    try:
        with open(path, "a+") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return 0
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return None
    except OSError:
        return None


def serving(data_dir: Path) -> RunInfo | None:
    """The run file of the chain that really serves ``data_dir``, or ``None``.

    Proven, not trusted: the lock is held by the file's pid (or, without ``/proc/locks``, held at
    all), and that process started when the file says.
    """
    info = read_run_info(data_dir)
    if info is None:
        return None
    holder = lock_holder(data_dir)
    if holder is None or (holder != 0 and holder != info.pid):
        return None
    if info.started is not None and process_start_time(info.pid) != info.started:
        return None
    if info.started is None and holder == 0:  # an old file and no way to name the holder: not proven
        return None
    return info


@dataclass(frozen=True)
class StartProgress:
    """What an opening chain publishes: its pid and start time, and how far replay has come."""

    pid: int
    started: int | None
    phase: str  # "opening", "replaying", "serving"
    block: int
    head: int


def write_progress(data_dir: Path, progress: StartProgress) -> None:
    _write_json(data_dir / PROGRESS_FILE, asdict(progress))


def read_progress(data_dir: Path) -> StartProgress | None:
    try:
        data = json.loads((data_dir / PROGRESS_FILE).read_text())
        started = data.get("started")
        return StartProgress(int(data["pid"]), int(started) if started is not None else None, str(data["phase"]),
                             int(data["block"]), int(data["head"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def remove_progress(data_dir: Path) -> None:
    try:
        (data_dir / PROGRESS_FILE).unlink()
    except FileNotFoundError:
        pass
