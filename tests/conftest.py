"""Project-wide test configuration.

Hypothesis profiles: ``ci`` (default; bounded so the whole suite stays well inside CI's time) and
``thorough`` (``HYPOTHESIS_PROFILE=thorough``) for longer local runs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# -- the stores' two backends (SQLite files, and a throw-away local PostgreSQL) -------------------
import pytest  # noqa: E402

from tests.pgserver import PgServer, find_pg_bin  # noqa: E402


@pytest.fixture(scope="session")
def pg_server():
    """One local PostgreSQL per test session (per xdist worker), on a unix socket in a temp dir."""
    bindir = find_pg_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl, postgres) on PATH or under "
                    "/usr/lib/postgresql/<version>/bin: apt-get install postgresql")
    server = PgServer(bindir).start()
    yield server
    server.stop()


class StoreBackend:
    """Where a test's stores live: ``sqlite`` files under its tmp dir, or ``postgresql`` schemas
    under a prefix of its own in the session's server."""

    def __init__(self, name: str, tmp_path, server) -> None:
        self.name = name
        self.tmp_path = tmp_path
        self.dsn = server.dsn if server is not None else ""
        self.prefix = PgServer.new_prefix() if server is not None else ""

    def location(self, kind: str = "audit", scope: str = "test"):
        """A store location for ``AuditIndex(...)`` / ``CodeStore(...)``."""
        from fisco_drugtrace.drugtrace.sqldb import StoreLocation, schema_name

        if self.name == "sqlite":
            return self.tmp_path / f"{kind}-{scope}.sqlite"
        return StoreLocation(url=self.dsn, schema=schema_name(self.prefix, kind, scope))

    @property
    def database(self) -> str:
        """The ``database`` setting for a service / server ("" = SQLite files under the home)."""
        return self.dsn

    @property
    def schema_prefix(self) -> str:
        return self.prefix or "fdt"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_backend(request, tmp_path):
    """Run the test on both store backends."""
    server = request.getfixturevalue("pg_server") if request.param == "postgresql" else None
    return StoreBackend(request.param, tmp_path, server)
