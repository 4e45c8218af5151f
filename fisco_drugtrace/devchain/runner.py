"""Starting, stopping and inspecting a served dev chain (what ``fisco-drugtrace devchain`` drives).

No printing here: functions return records; the CLI renders them.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

from fisco_drugtrace.errors import DevChainError, DevChainNotRunning, DevChainRunning
from fisco_drugtrace.types import Dialect

from .accounts import DEV_ACCOUNT_COUNT, DevAccount, read_dev_accounts, write_dev_keystores
from .config import DevChainConfig
from .node import DevChain
from .runfile import (RunInfo, StartProgress, lock_holder, pid_alive, process_start_time, read_progress,
                      read_run_info, remove_progress, remove_run_info, serving, write_progress, write_run_info)
from .server import ServerHandle, serve
from .tls import TlsMaterial, ensure_certificates

__all__ = ["StartOptions", "RunningChain", "start", "start_detached", "stop", "status", "dev_accounts",
           "child_environment", "client_exports", "read_env_file", "is_loopback", "DEFAULT_DATA_DIR", "ACCOUNTS_DIR",
           "STALL_TIMEOUT", "ENV_FILE"]

#: What a chain with a data dir writes there: the ``export`` lines that point the CLI/SDK at it.
ENV_FILE = "devchain.env"

#: A detached start gives up (and stops the child) after this long without start-up progress (s).
STALL_TIMEOUT = 60.0
#: Environment variables a detached chain does not inherit (it needs no secret: its dev keys are
#: its own); matched as substrings of the upper-cased name.
_SECRET_MARKERS = ("PASSWORD", "PASSPHRASE", "SECRET", "TOKEN", "PRIVATE_KEY", "CREDENTIAL", "API_KEY")

DEFAULT_DATA_DIR = Path(".devchain")
LOG_FILE = "devchain.log"
#: Where a chain with a data dir keeps its dev keystores.
ACCOUNTS_DIR = "accounts"


@dataclass(frozen=True)
class StartOptions:
    dialect: Dialect = Dialect.V3
    host: str = "127.0.0.1"
    port: int = 0
    data_dir: Path | None = None
    tls: bool = False
    accounts: int = DEV_ACCOUNT_COUNT
    compat: str = "3.9"
    auth_admin: str | None = None  # 3.x permission governance (``--auth``)
    channel_port: int | None = None  # 2.x only: also serve the channel protocol on this port
    #: serve the Web3-compatible JSON-RPC too, on this port (``None``: not at all; 3.x only)
    web3_port: int | None = None
    #: the Web3 port's Ethereum chain id (FISCO's ``web3_chain_id``)
    web3_chain_id: int = 20200
    #: ``"loop"`` (:mod:`.frontloop`: one event-loop thread runs the sends as rounds; TLS possible),
    #: ``"thread"`` (:mod:`.server`, a thread per connection, TLS possible) or ``"process"``
    #: (:mod:`.frontproc`: HTTP in a child process, the chain's work in one engine thread; plain
    #: HTTP only); ``None``: ``"loop"``
    http_front: str | None = None


@dataclass
class RunningChain:
    """A chain being served: close it with :meth:`close` (also removes the pid file)."""

    devchain: DevChain
    server: ServerHandle
    accounts: list[DevAccount]
    tls: TlsMaterial | None
    data_dir: Path | None
    _tmp: tempfile.TemporaryDirectory | None = field(default=None, repr=False)
    web3_server: ServerHandle | None = None
    channel: ServerHandle | None = None  #: the 2.x channel server (``--channel-port``)
    #: the HTTP front serving :attr:`url`: ``"loop"``, ``"thread"`` or ``"process"``
    front: str = "thread"

    @property
    def url(self) -> str:
        return self.server.url

    def close(self) -> None:
        if self.channel is not None:
            self.channel.stop()
        if self.web3_server is not None:
            self.web3_server.stop()
        self.server.stop()
        self.devchain.close()
        if self.data_dir is not None:
            info = read_run_info(self.data_dir)
            if info is not None and info.pid == os.getpid():
                remove_run_info(self.data_dir)
        if self._tmp is not None:
            self._tmp.cleanup()


def start(options: StartOptions) -> RunningChain:
    """Open (or create) the chain, serve it and write the dev keystores and the pid file.

    Without a data dir the chain lives in memory and the keystores in a temporary directory.
    While a data dir is replayed, its progress is published for a detached start to report.
    """
    front = options.http_front or "loop"
    if front == "process" and options.tls:
        raise DevChainError("the process HTTP front serves plain HTTP: use --http-front loop or thread with --tls")
    data_dir = options.data_dir
    me, my_start = os.getpid(), process_start_time(os.getpid())
    report: Callable[[int, int], None] | None = None
    if data_dir is not None:
        running = serving(data_dir)
        if running is not None and running.pid != me:
            raise DevChainRunning(f"a dev chain (pid {running.pid}) already serves {data_dir} at {running.url}")
        data_dir.mkdir(parents=True, exist_ok=True)
        write_progress(data_dir, StartProgress(me, my_start, "opening", 0, 0))

        def report(block: int, head: int) -> None:
            write_progress(data_dir, StartProgress(me, my_start, "replaying", block, head))

    if options.channel_port is not None and Dialect(options.dialect) is not Dialect.V2:
        raise DevChainError("the channel port is a 2.x node's (use --dialect v2); 3.x serves WebSocket on its RPC port")
    try:
        chain = DevChain(DevChainConfig(dialect=options.dialect, data_dir=data_dir, web3_chain_id=options.web3_chain_id,
                                        compat=options.compat, auth_admin=options.auth_admin),
                         progress=report)
    except BaseException:
        if data_dir is not None:
            _remove_own_progress(data_dir, me)
        raise
    tmp = None
    channel = None
    try:
        if data_dir is not None:
            key_dir = data_dir / ACCOUNTS_DIR
        else:
            tmp = tempfile.TemporaryDirectory(prefix="devchain-")
            key_dir = Path(tmp.name)
        accounts = write_dev_keystores(key_dir, options.accounts)
        material = None
        if options.tls:
            material = ensure_certificates(data_dir if data_dir is not None else Path(tmp.name if tmp else "."))
        if front == "process":
            from .frontproc import serve_split

            server = serve_split(chain, host=options.host, port=options.port)
        else:
            server = serve(chain, host=options.host, port=options.port, tls=material.server if material else None,
                           front=front)
        web3_server = None
        if options.web3_port is not None:
            try:
                web3_server = serve(chain.web3_port(), host=options.host, port=options.web3_port)
            except BaseException:
                server.stop()
                raise
        if options.channel_port is not None:
            from .channel_server import channel_tls, serve_channel

            try:
                channel = serve_channel(chain, host=options.host, port=options.channel_port,
                                        tls=channel_tls(material) if material else None)
            except BaseException:
                if web3_server is not None:
                    web3_server.stop()
                server.stop()
                raise
    except BaseException:
        chain.close()
        if tmp is not None:
            tmp.cleanup()
        if data_dir is not None:
            _remove_own_progress(data_dir, me)
        raise
    running_chain = RunningChain(chain, server, accounts, material, data_dir, tmp, web3_server, channel, front)
    if data_dir is not None:
        c = chain.config
        _write_env_file(data_dir, client_exports(running_chain))
        write_run_info(data_dir, RunInfo(me, server.url, c.dialect.value, str(c.chain_id), str(c.group_id), my_start))
        _remove_own_progress(data_dir, me)
    return running_chain


def client_exports(running: RunningChain) -> dict[str, str]:
    """The environment that points the CLI and SDK at this chain (it overrides any config file,
    e.g. ``chain-config/devchain.toml``'s port 20200 and ``.devchain`` paths); paths absolute."""
    c = running.devchain.config
    exports = {"FISCO_RPC_URL": running.url, "FISCO_DIALECT": c.dialect.value, "FISCO_GROUP": str(c.group_id),
               "FISCO_CHAIN_ID": str(c.chain_id)}
    if running.accounts:
        exports["FISCO_ACCOUNT_DIR"] = os.path.abspath(os.path.dirname(running.accounts[0].keystore))
    if running.data_dir is not None:
        exports["FISCO_DRUGTRACE_HOME"] = os.path.abspath(running.data_dir / "home")
    if running.tls is not None:
        exports.update(FISCO_TLS_CA=os.path.abspath(running.tls.sdk_ca), FISCO_TLS_CERT=os.path.abspath(running.tls.sdk_cert),
                       FISCO_TLS_KEY=os.path.abspath(running.tls.sdk_key))
    return exports


def _write_env_file(data_dir: Path, exports: Mapping[str, str]) -> Path:
    """``data_dir/devchain.env``: ``export`` lines to ``source`` (no secret in it)."""
    path = data_dir / ENV_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("# written by `fisco-drugtrace devchain start`; source it to point the CLI/SDK at this chain\n"
                   + "".join(f"export {k}={shlex.quote(v)}\n" for k, v in exports.items()))
    os.replace(tmp, path)
    return path


def read_env_file(data_dir: Path) -> dict[str, str]:
    """The exports a chain wrote in ``data_dir`` (empty when there is none)."""
    try:
        lines = (data_dir / ENV_FILE).read_text().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines:
        if line.startswith("export ") and "=" in line:
            name, _, value = line[len("export "):].partition("=")
            parsed = shlex.split(value)
            out[name] = parsed[0] if parsed else ""
    return out


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the chain reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _remove_own_progress(data_dir: Path, pid: int) -> None:
    progress = read_progress(data_dir)
    if progress is not None and progress.pid == pid:
        remove_progress(data_dir)


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (default: this process's) without secrets, for a detached chain."""
    env = os.environ if environ is None else environ
    return {k: v for k, v in env.items() if not any(m in k.upper() for m in _SECRET_MARKERS)}


def _stop_child(child: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a child we started (its pid cannot have been reused: we have not reaped it)."""
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(timeout=grace)


def start_detached(data_dir: Path, argv: Sequence[str], *, stall_timeout: float = STALL_TIMEOUT,
                   startup_grace: float | None = None,
                   on_progress: Callable[[StartProgress], None] | None = None) -> RunInfo:
    """Run ``argv`` (a foreground ``devchain start`` on ``data_dir``) in its own session; wait until it serves.

    There is no fixed deadline: while the child replays it publishes progress (passed to
    ``on_progress``), and the wait goes on as long as that progress moves. After ``stall_timeout``
    seconds without progress (``startup_grace``, default the same, before its first record: the
    interpreter's start) — or on any exception here, Ctrl-C included — the child is stopped, so
    no orphan keeps the data dir locked. The child inherits no secret (:func:`child_environment`).

    :raises DevChainRunning: a chain already serves (or holds) this data dir.
    :raises DevChainError: the child exited or stalled (its log is in the data dir).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    current = serving(data_dir)
    if current is not None:
        raise DevChainRunning(f"a dev chain (pid {current.pid}) already serves {data_dir} at {current.url}")
    holder = lock_holder(data_dir)
    if holder is not None:
        who = f"pid {holder}" if holder else "another process"
        raise DevChainRunning(f"{who} holds {data_dir} (a dev chain still opening?); "
                              f"see `devchain status --data-dir {data_dir}`")
    remove_run_info(data_dir)  # stale: nobody holds the lock
    remove_progress(data_dir)
    log_path = data_dir / LOG_FILE
    with open(log_path, "ab") as log:
        child = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True, env=child_environment())
    try:
        last_seen: StartProgress | None = None
        last_change = time.monotonic()
        while True:
            info = read_run_info(data_dir)
            if info is not None and info.pid == child.pid:
                return info
            if child.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise DevChainError(f"the dev chain exited with status {child.returncode}; log {log_path}:\n{tail}")
            progress = read_progress(data_dir)
            if progress is not None and progress.pid == child.pid and progress != last_seen:
                last_seen, last_change = progress, time.monotonic()
                if on_progress is not None:
                    on_progress(progress)
            limit = stall_timeout if last_seen is not None or startup_grace is None else startup_grace
            if time.monotonic() - last_change > limit:
                where = f" (replay at block {last_seen.block} of {last_seen.head})" if last_seen else ""
                raise DevChainError(f"the dev chain made no start-up progress for {limit:g} s{where}; "
                                    f"it was stopped; see {log_path}")
            time.sleep(0.05)
    except BaseException:
        _stop_child(child)
        _remove_child_files(data_dir, child.pid)
        raise


def _remove_child_files(data_dir: Path, pid: int) -> None:
    info = read_run_info(data_dir)
    if info is not None and info.pid == pid:
        remove_run_info(data_dir)
    _remove_own_progress(data_dir, pid)


def dev_accounts(data_dir: Path) -> list[DevAccount]:
    """The dev accounts a chain serving ``data_dir`` wrote (for a detached start, which runs elsewhere)."""
    return read_dev_accounts(data_dir / ACCOUNTS_DIR)


def status(data_dir: Path) -> RunInfo:
    """The running chain's pid file, once proven (:func:`~.runfile.serving`).

    :raises DevChainNotRunning: nothing serves this data dir (a stale pid file, even one naming a
        live unrelated process, does not count).
    """
    info = serving(data_dir)
    if info is None:
        holder = lock_holder(data_dir)
        progress = read_progress(data_dir)
        if holder and progress is not None and progress.pid == holder:
            raise DevChainNotRunning(f"no dev chain serves {data_dir} yet: pid {holder} is opening it "
                                     f"(replay at block {progress.block} of {progress.head})")
        raise DevChainNotRunning(f"no dev chain is running on {data_dir}")
    return info


def stop(data_dir: Path, timeout: float = 15.0) -> RunInfo:
    """Stop the chain holding ``data_dir`` (SIGTERM, then SIGKILL after ``timeout``).

    Only the lock's holder is signalled — the chain serving the data dir, or one still opening it
    — never a pid merely named by the pid file (after a ``kill -9`` that pid may be anyone's now).
    A stale pid file is removed.

    :raises DevChainNotRunning: no process holds the data dir.
    """
    info = serving(data_dir)
    holder = lock_holder(data_dir)
    if info is None:
        if not holder:  # nobody (or, without /proc/locks, nobody we can name) holds it
            remove_run_info(data_dir)
            raise DevChainNotRunning(f"no dev chain is running on {data_dir}")
        progress = read_progress(data_dir)
        info = RunInfo(holder, "", "", "", "", progress.started if progress and progress.pid == holder else None)
    pid = info.pid
    born = process_start_time(pid)
    if born is None or lock_holder(data_dir) not in (pid, 0):  # it went away meanwhile: nothing to signal
        _remove_child_files(data_dir, pid)
        return info
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and process_start_time(pid) == born and lock_holder(data_dir) in (pid, 0):
        if time.monotonic() > deadline:
            if process_start_time(pid) == born:
                os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    _remove_child_files(data_dir, pid)
    return info
