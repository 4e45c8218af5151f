"""Issue 19 items 7 and 8: the run file is proven by the lock before anything trusts it, a
detached start reports progress and leaves no orphan, and a detached chain inherits no secret."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fisco_drugtrace.devchain import runner
from fisco_drugtrace.devchain.runfile import (RunInfo, StartProgress, lock_holder, process_start_time, read_run_info,
                                              serving, write_run_info)
from fisco_drugtrace.errors import DevChainError, DevChainNotRunning

from hardening_helpers import block_number, start_chain

CLI = [sys.executable, "-m", "fisco_drugtrace.cli.main"]


@pytest.fixture
def stranger() -> object:
    """An unrelated live process (what a reused pid names after a kill -9)."""
    proc = subprocess.Popen(["sleep", "300"])
    yield proc
    proc.kill()
    proc.wait()


def stale_run_file(data_dir: Path, pid: int) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "LOCK").touch()
    write_run_info(data_dir, RunInfo(pid, "http://127.0.0.1:1", "v3", "chain0", "group0", process_start_time(pid)))


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_stop_never_signals_a_live_stranger_named_by_the_run_file(tmp_path: Path, stranger) -> None:
    stale_run_file(tmp_path, stranger.pid)
    done = cli("devchain", "stop", "--data-dir", str(tmp_path))
    assert done.returncode != 0 and "no dev chain" in done.stderr.lower() + done.stdout.lower()
    time.sleep(0.2)
    assert stranger.poll() is None, "devchain stop killed an unrelated process"
    assert read_run_info(tmp_path) is None  # the stale file is gone


def test_status_does_not_call_a_stranger_running(tmp_path: Path, stranger) -> None:
    stale_run_file(tmp_path, stranger.pid)
    done = cli("devchain", "status", "--data-dir", str(tmp_path))
    assert done.returncode != 0 and "no dev chain" in (done.stderr + done.stdout).lower()
    with pytest.raises(DevChainNotRunning):
        runner.status(tmp_path)


def test_start_is_not_refused_because_of_a_stranger(tmp_path: Path, stranger) -> None:
    stale_run_file(tmp_path, stranger.pid)
    info = runner.start_detached(tmp_path, [*CLI, "devchain", "start", "--port", "0", "--data-dir", str(tmp_path)])
    try:
        assert info.pid != stranger.pid and serving(tmp_path) == info
        assert lock_holder(tmp_path) == info.pid
        assert block_number(info.url) == 0
    finally:
        stopped = runner.stop(tmp_path)
    assert stopped.pid == info.pid and stranger.poll() is None
    assert lock_holder(tmp_path) is None and read_run_info(tmp_path) is None


def test_a_run_file_with_the_right_pid_but_another_start_time_is_not_trusted(tmp_path: Path) -> None:
    proc, url = start_chain(tmp_path)
    try:
        info = read_run_info(tmp_path)
        assert serving(tmp_path) == info
        write_run_info(tmp_path, RunInfo(info.pid, info.url, info.dialect, info.chain_id, info.group_id,
                                         (info.started or 0) + 1))
        assert serving(tmp_path) is None
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_stop_signals_the_lock_holder_even_when_the_run_file_names_someone_else(tmp_path: Path, stranger) -> None:
    proc, url = start_chain(tmp_path)
    try:
        write_run_info(tmp_path, RunInfo(stranger.pid, url, "v3", "chain0", "group0", process_start_time(stranger.pid)))
        stopped = runner.stop(tmp_path)
        assert stopped.pid == proc.pid
        proc.wait(timeout=20)
        assert stranger.poll() is None
    finally:
        if proc.poll() is None:
            proc.kill()


def test_detached_chain_inherits_no_secret(tmp_path: Path) -> None:
    env = {**os.environ, "FISCO_KEYSTORE_PASSWORD": "hunter2-secret", "MY_API_TOKEN": "tok-123",
           "FISCO_DRUGTRACE_HOME": str(tmp_path / "home")}
    done = cli("devchain", "start", "--detach", "--port", "0", "--data-dir", str(tmp_path), "--json", env=env)
    assert done.returncode == 0, done.stderr
    pid = json.loads(done.stdout)["pid"]
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        names = {item.split(b"=", 1)[0] for item in environ if item}
        assert b"FISCO_KEYSTORE_PASSWORD" not in names and b"MY_API_TOKEN" not in names
        assert b"FISCO_DRUGTRACE_HOME" in names  # ordinary settings still pass
        assert b"hunter2-secret" not in b"\0".join(environ)
    finally:
        cli("devchain", "stop", "--data-dir", str(tmp_path))


def test_child_environment_drops_secret_names() -> None:
    kept = runner.child_environment({"PATH": "/bin", "FISCO_KEYSTORE_PASSWORD": "x", "AWS_SECRET_ACCESS_KEY": "y",
                                     "GITHUB_TOKEN": "z", "FISCO_RPC_URL": "http://h:1", "db_password": "w"})
    assert kept == {"PATH": "/bin", "FISCO_RPC_URL": "http://h:1"}


def _stalling_child(tmp_path: Path, seconds: float) -> list[str]:
    """A child that takes the lock, publishes one progress record and then hangs (a stuck replay)."""
    script = tmp_path / "stall.py"
    script.write_text(
        "import sys, time\n"
        "from pathlib import Path\n"
        "from fisco_drugtrace.devchain.runfile import DataDirLock, StartProgress, write_progress, process_start_time\n"
        "import os\n"
        "d = Path(sys.argv[1]); lock = DataDirLock(d)\n"
        "me = os.getpid()\n"
        f"for i in range(3):\n"
        "    write_progress(d, StartProgress(me, process_start_time(me), 'replaying', i, 100)); time.sleep(0.3)\n"
        f"time.sleep({seconds})\n")
    return [sys.executable, str(script), str(tmp_path / "data")]


def test_detached_start_reports_progress_and_stops_a_stalled_child(tmp_path: Path) -> None:
    seen: list[StartProgress] = []
    started = time.monotonic()
    with pytest.raises(DevChainError, match="no start-up progress") as info:
        runner.start_detached(tmp_path / "data", _stalling_child(tmp_path, 300), stall_timeout=3, startup_grace=60,
                              on_progress=seen.append)
    assert time.monotonic() - started < 30
    assert [p.block for p in seen] == [0, 1, 2] and "block 2 of 100" in str(info.value)
    # no orphan: the child is gone and the lock is free
    deadline = time.monotonic() + 10
    while lock_holder(tmp_path / "data") is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lock_holder(tmp_path / "data") is None


def test_detached_start_keeps_waiting_while_replay_progresses(tmp_path: Path) -> None:
    """Replay slower (6 s) than the stall timeout in total still comes up (the wait follows progress)."""
    data = tmp_path / "data"
    argv = [*CLI, "devchain", "start", "--port", "0", "--data-dir", str(data)]
    first = runner.start_detached(data, argv)
    runner.stop(data)
    script = tmp_path / "slow.py"
    # the real foreground start, with a replay that reports progress slowly for ~3 s
    script.write_text(
        "import sys, time\n"
        "import fisco_drugtrace.devchain.chain as chain\n"
        "original = chain.Chain._replay\n"
        "def slow(self, genesis):\n"
        "    for i in range(12):\n"
        "        self._progress(i, 12); time.sleep(0.5)\n"
        "    return original(self, genesis)\n"
        "chain.Chain._replay = slow\n"
        "from fisco_drugtrace.cli.main import main\n"
        "sys.argv = ['fisco-drugtrace', 'devchain', 'start', '--port', '0', '--data-dir', sys.argv[1]]\n"
        "main()\n")
    seen: list[StartProgress] = []
    info = runner.start_detached(data, [sys.executable, str(script), str(data)], stall_timeout=2.5, startup_grace=60,
                                 on_progress=seen.append)
    try:
        assert info.pid != first.pid and len(seen) >= 4 and block_number(info.url) == 0
    finally:
        runner.stop(data)
