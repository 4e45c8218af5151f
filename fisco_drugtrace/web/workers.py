"""``serve --workers N``: one syncing process and N request workers sharing the home's stores.

The dev chain's EVM and every request handler share one interpreter lock per process, so
threads do not add throughput; processes do. The parent binds the listening socket, brings the
audit index and the proof files up to date once, then starts ``N`` worker processes (``spawn``:
no connection, lock or thread is inherited) that each serve the same socket with their own
client, stores and uvicorn loop, and keeps syncing the index in a background thread. Workers only
read the code store, proof files and index (a manifest upload or a write token's transaction is
the exception, and goes through the same stores as with one process); they read the sync status
the parent publishes in ``<home>/serve/<deployment>/sync.json``. A worker that dies is started
again (at most once every 5 seconds); Ctrl-C or SIGTERM stops them all.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable

__all__ = ["serve_workers", "status_file_for", "WorkerSpec"]

_log = logging.getLogger("fisco_drugtrace.web")


def status_file_for(backend: Any) -> Path:
    """Where the syncing process publishes its status: beside the proof files."""
    return Path(backend.verifier.proof_dir()) / "sync.json"


class WorkerSpec:
    """What a worker process needs to build its own backend (picklable: settings, not connections)."""

    def __init__(self, settings: Any, backend_kwargs: dict[str, Any], uvicorn_kwargs: dict[str, Any],
                 secret: str | None) -> None:
        self.settings = settings
        self.backend_kwargs = backend_kwargs
        self.uvicorn_kwargs = uvicorn_kwargs
        self.secret = secret


def _worker(spec: WorkerSpec, sock: socket.socket) -> None:
    import uvicorn

    from fisco_drugtrace.client import connect
    from fisco_drugtrace.web.app import create_app
    from fisco_drugtrace.web.backend import Backend

    secret = spec.secret
    password = (lambda _account: secret) if secret is not None else None  # type: ignore[misc]
    backend = Backend(connect(spec.settings), password=password, follow=True, **spec.backend_kwargs)
    backend.connect_chain()  # the node may be down: the identity the syncing process kept
    config = uvicorn.Config(create_app(backend, start_sync=False), **spec.uvicorn_kwargs)
    uvicorn.Server(config).run(sockets=[sock])


def serve_workers(backend: Any, spec: WorkerSpec, *, host: str, port: int, workers: int,
                  announce: Callable[[str, int], None] | None = None) -> None:
    """Serve with ``workers`` processes; ``backend`` (this process's) syncs the index.

    :raises OSError: the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    bound = int(sock.getsockname()[1])
    backend.status_file = status_file_for(backend)
    spec.backend_kwargs = dict(spec.backend_kwargs, status_file=backend.status_file)
    backend.sync_once()  # the index and the proof files exist before any worker opens them
    ctx = mp.get_context("spawn")
    stop = threading.Event()

    def start_one() -> Any:
        proc = ctx.Process(target=_worker, args=(spec, sock), name="drugtrace-web-worker", daemon=True)
        proc.start()
        return proc

    def on_term(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    procs = [start_one() for _ in range(workers)]
    backend.start()
    if announce is not None:
        announce(host, bound)
    last_restart = 0.0
    try:
        while not stop.wait(0.5):
            for i, proc in enumerate(procs):
                if proc.is_alive():
                    continue
                if time.monotonic() - last_restart < 5.0:
                    continue
                _log.warning("web worker %d exited with %s: starting it again", proc.pid, proc.exitcode)
                last_restart = time.monotonic()
                procs[i] = start_one()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=10)
            if proc.is_alive():  # pragma: no cover - a worker stuck past its graceful shutdown
                proc.kill()
                proc.join(timeout=5)
        sock.close()
        backend.close()
