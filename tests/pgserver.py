"""A throw-away local PostgreSQL for the tests: ``initdb`` in a temporary directory, served on a
unix socket in that directory only (no TCP port at all), stopped and deleted at the end.

The binaries are found on ``PATH`` (``pg_ctl``) or under Debian's ``/usr/lib/postgresql/<ver>/bin``
(newest version first). PostgreSQL refuses to run as root, so as root the cluster is owned by and
run as the ``postgres`` user (Debian's package creates it), else ``nobody``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

__all__ = ["PgServer", "find_pg_bin"]


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or ``None``."""
    found = shutil.which("pg_ctl")
    candidates = [Path(found).parent] if found else []
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = sorted((p for p in debian.iterdir() if p.name.split(".")[0].isdigit()),
                          key=lambda p: int(p.name.split(".")[0]), reverse=True)
        candidates += [p / "bin" for p in versions]
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def _run_user() -> str | None:
    """Who runs the server when we are root (``None``: ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists for PostgreSQL")


class PgServer:
    """One cluster; :attr:`dsn` reaches its ``postgres`` database as superuser ``fdt``."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.user = _run_user()
        self.dir = Path(tempfile.mkdtemp(prefix="fdt-pg-"))  # short: a socket path has ~107 bytes
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
        self.dsn = f"postgresql://fdt@/postgres?host={self.dir}"

    def _run(self, *args: str) -> None:
        command = [str(a) for a in args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}{log}")

    def start(self) -> "PgServer":
        self._run(self.bindir / "initdb", "-D", self.data, "-A", "trust", "-U", "fdt", "--no-sync", "-E", "UTF8",
                  "--locale=C")
        options = (f"-c listen_addresses='' -k {self.dir} -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-o", options, "-l", self.log, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def new_prefix() -> str:
        """A schema prefix no other test uses (every store of one test lives under it)."""
        return "t" + uuid.uuid4().hex[:10]
