"""Starting, stopping and inspecting a served dev chain (what ``fisco-drugtrace devchain`` drives).

No printing here: functions return records; the CLI renders them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from fisco_drugtrace.errors import DevChainError, DevChainNotRunning, DevChainRunning
from fisco_drugtrace.types import Dialect

from .accounts import DEV_ACCOUNT_COUNT, DevAccount, read_dev_accounts, write_dev_keystores
from .config import DevChainConfig
from .node import DevChain
from .runfile import RunInfo, pid_alive, read_run_info, remove_run_info, write_run_info
from .server import ServerHandle, serve
from .tls import TlsMaterial, ensure_certificates

__all__ = ["StartOptions", "RunningChain", "start", "start_detached", "stop", "status", "dev_accounts",
           "DEFAULT_DATA_DIR", "ACCOUNTS_DIR"]

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
    auth_admin: str | None = None  # 3.x permission governance (``--auth``)
    channel_port: int | None = None  # 2.x only: also serve the channel protocol on this port
    #: serve the Web3-compatible JSON-RPC too, on this port (``None``: not at all; 3.x only)
    web3_port: int | None = None
    #: the Web3 port's Ethereum chain id (FISCO's ``web3_chain_id``)
    web3_chain_id: int = 20200
    #: ``"thread"`` (:mod:`.server`, a thread per connection, TLS possible) or ``"process"``
    #: (:mod:`.frontproc`: HTTP in a child process, the chain's work in one engine thread)
    http_front: str = "thread"


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
    """
    if options.http_front == "process" and options.tls:
        raise DevChainError("the process HTTP front serves plain HTTP: use --http-front thread with --tls")
    data_dir = options.data_dir
    if data_dir is not None:
        running = read_run_info(data_dir)
        if running is not None and running.pid != os.getpid() and pid_alive(running.pid):
            raise DevChainRunning(f"a dev chain (pid {running.pid}) already serves {data_dir} at {running.url}")
    if options.channel_port is not None and Dialect(options.dialect) is not Dialect.V2:
        raise DevChainError("the channel port is a 2.x node's (use --dialect v2); 3.x serves WebSocket on its RPC port")
    chain = DevChain(DevChainConfig(dialect=options.dialect, data_dir=data_dir, web3_chain_id=options.web3_chain_id,
                                    auth_admin=options.auth_admin))
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
        if options.http_front == "process":
            from .frontproc import serve_split

            server = serve_split(chain, host=options.host, port=options.port)
        else:
            server = serve(chain, host=options.host, port=options.port, tls=material.server if material else None)
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
        raise
    running_chain = RunningChain(chain, server, accounts, material, data_dir, tmp, web3_server, channel)
    if data_dir is not None:
        c = chain.config
        write_run_info(data_dir, RunInfo(os.getpid(), server.url, c.dialect.value, str(c.chain_id), str(c.group_id)))
    return running_chain


def start_detached(data_dir: Path, argv: Sequence[str], timeout: float = 60.0) -> RunInfo:
    """Run ``argv`` (a foreground ``devchain start`` on ``data_dir``) in its own session; wait until it serves.

    :raises DevChainRunning: a chain already serves this data dir.
    :raises DevChainError: the child exited or did not come up in time (its log is in the data dir).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    current = read_run_info(data_dir)
    if current is not None and pid_alive(current.pid):
        raise DevChainRunning(f"a dev chain (pid {current.pid}) already serves {data_dir} at {current.url}")
    remove_run_info(data_dir)
    log_path = data_dir / LOG_FILE
    with open(log_path, "ab") as log:
        child = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = read_run_info(data_dir)
        if info is not None and info.pid == child.pid:
            return info
        if child.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise DevChainError(f"the dev chain exited with status {child.returncode}; log {log_path}:\n{tail}")
        time.sleep(0.05)
    raise DevChainError(f"the dev chain did not start within {timeout:g} s; see {log_path}")


def dev_accounts(data_dir: Path) -> list[DevAccount]:
    """The dev accounts a chain serving ``data_dir`` wrote (for a detached start, which runs elsewhere)."""
    return read_dev_accounts(data_dir / ACCOUNTS_DIR)


def status(data_dir: Path) -> RunInfo:
    """The running chain's pid file. :raises DevChainNotRunning: nothing serves this data dir."""
    info = read_run_info(data_dir)
    if info is None or not pid_alive(info.pid):
        raise DevChainNotRunning(f"no dev chain is running on {data_dir}")
    return info


def stop(data_dir: Path, timeout: float = 15.0) -> RunInfo:
    """Stop the chain serving ``data_dir`` (SIGTERM, then SIGKILL after ``timeout``)."""
    info = status(data_dir)
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(info.pid):
        if time.monotonic() > deadline:
            os.kill(info.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    remove_run_info(data_dir)
    return info
