"""pytest plugin: one in-process dev chain per test session, every test isolated by snapshot/revert.

Installed with the package (entry point ``pytest11``), so any project's tests can ask for:

=========================  ======================================================================
``devchain_session``       the session's :class:`~fisco_drugtrace.devchain.DevChain` (in memory;
                           configure it by overriding the ``devchain_config`` fixture)
``devchain``               the same chain for one test: a snapshot is taken before the test and
                           reverted after it (state, height and clock), so tests never see each
                           other's transactions, contracts or clock moves
``dev_client``             a :class:`~fisco_drugtrace.client.FiscoClient` on the chain (in-process)
``dev_signers``            ten :class:`~fisco_drugtrace.accounts.LocalSigner` (the dev accounts
                           ``dev0``..``dev9``; FISCO has no coin, so they need no funding)
``dev_controls``           :class:`~fisco_drugtrace.client.devtools.DevControls`: move the clock,
                           mine, impersonate, set code/storage, snapshot/revert inside a test
=========================  ======================================================================

Set-up shared by several tests (a deployed suite, onboarded organisations) belongs in a
session- or module-scoped fixture built on ``devchain_session``; each test that uses ``devchain``
then starts from that state. A module-scoped fixture can take its own snapshot through
``dev_controls`` to get back to the state before it.

``pytest -p no:fisco_drugtrace`` turns the plugin off.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

__all__ = ["devchain_config", "devchain_session", "devchain", "dev_client", "dev_signers", "dev_controls"]


@pytest.fixture(scope="session")
def devchain_config() -> Any:
    """The session chain's configuration (override this fixture to choose the dialect, ids, ...)."""
    from fisco_drugtrace.devchain import DevChainConfig

    return DevChainConfig()


@pytest.fixture(scope="session")
def devchain_session(devchain_config: Any) -> Iterator[Any]:
    """One dev chain for the whole session, closed at the end."""
    from fisco_drugtrace.devchain import DevChain

    chain = DevChain(devchain_config)
    try:
        yield chain
    finally:
        chain.close()


@pytest.fixture(scope="session")
def dev_client(devchain_session: Any) -> Iterator[Any]:
    """An SDK client talking to the session chain in-process (``InProcessTransport``)."""
    from fisco_drugtrace.client import connect
    from fisco_drugtrace.config import Settings
    identity = devchain_session.identity
    settings = Settings(dialect=identity.dialect, chain_id=identity.chain_id, group=identity.group_id)
    client = connect(settings, handler=devchain_session.handle_raw)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def dev_signers() -> list[Any]:
    """The dev accounts ``dev0``..``dev9`` as signers."""
    from fisco_drugtrace.accounts import LocalSigner
    from fisco_drugtrace.devchain import dev_keypairs

    return [LocalSigner(k) for k in dev_keypairs(10)]


@pytest.fixture(scope="session")
def dev_controls(dev_client: Any) -> Any:
    """The test controls over the session chain."""
    from fisco_drugtrace.client.devtools import DevControls

    return DevControls(dev_client)


@pytest.fixture
def devchain(devchain_session: Any, dev_controls: Any) -> Iterator[Any]:
    """The session chain, isolated: whatever the test does is reverted after it."""
    snap = dev_controls.snapshot()
    try:
        yield devchain_session
    finally:
        dev_controls.set_mining("auto")
        if not dev_controls.revert(snap):  # pragma: no cover - a test reverted past our snapshot
            raise RuntimeError("the test reverted the dev chain past the plugin's snapshot: state leaked")
