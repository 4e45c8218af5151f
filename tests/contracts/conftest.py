"""Fixtures for the contract tests: the committed artifacts, a deployed suite with a standard
scene, and a per-test snapshot so every test starts from the same state.

The tests run on the project's own pytest plugin (:mod:`fisco_drugtrace.testing.pytest_plugin`):
one in-memory dev chain for the session (``devchain_session``), every test isolated by the
plugin's ``devchain`` fixture (a ``dev_snapshot`` before, a ``dev_revert`` after: state, height
and clock), and the harness's API over it (:class:`harness.DevChainHarness`). The gas tests and
``bench/gas_report.py`` keep raw pyrevm chains (:class:`harness.Chain`) where they measure the
cold state of a block's first transaction.

The standard scene (``scene``): product ``P`` of ``man`` (2.0-25.0 degC) LISTED; batch ``B``
of 64 units committed by ``man``; ``man`` shipped 40 to ``dist`` (received), ``dist`` shipped 10
to ``pharm`` and 10 to ``hosp`` (received). Holdings: man 24, dist 20, pharm 10, hosp 10.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from harness import ARTIFACTS_DIR, Artifact, DevChainHarness, load_artifacts
from world import Scene, World

_NEEDED = ("OrgRegistry", "DrugRegistry", "CustodyLedger", "ObservationLog", "RecallManager", "ProcurementLedger")


@pytest.fixture(scope="session")
def artifacts() -> dict[str, Artifact]:
    # DRUGTRACE_TEST_ARTIFACTS only for local iteration on uncommitted sources; CI uses the package's.
    directory = Path(os.environ.get("DRUGTRACE_TEST_ARTIFACTS", ARTIFACTS_DIR))
    found = load_artifacts(directory) if directory.is_dir() else {}
    missing = [n for n in _NEEDED if n not in found]
    if missing:
        # The artifacts are committed package data: their absence is a defect, never a reason to skip.
        pytest.fail(f"contract artifacts missing in {directory}: {', '.join(missing)} "
                    "(rebuild with `fisco-drugtrace contracts compile`)", pytrace=False)
    return found


@pytest.fixture(autouse=True)
def _isolated(devchain: Any) -> Any:
    """Every contract test on the plugin's isolation: whatever it did to the chain is reverted."""
    return devchain


@pytest.fixture
def chain(devchain: Any) -> DevChainHarness:
    """The harness API over the (isolated) session dev chain, for a test that deploys its own."""
    return DevChainHarness(devchain)


@pytest.fixture(scope="session", autouse=True)
def _scene(artifacts: dict[str, Artifact], devchain_session: Any) -> Scene:
    # autouse: deployed before any module fixture takes its snapshot, so none of them reverts it away
    w = World.deploy(artifacts, chain=DevChainHarness(devchain_session))
    product = w.register_product()
    batch = w.commit_batch(product, "B0001", 64)
    w.ship(batch.batch_id, "man", "dist", 40)
    w.ship(batch.batch_id, "dist", "pharm", 10)
    w.ship(batch.batch_id, "dist", "hosp", 10)
    return Scene(w, product, batch, w.chain.timestamp_ms)


@pytest.fixture
def scene(_scene: Scene, devchain: Any) -> Iterator[Scene]:
    """The standard scene; the chain is reverted after the test by the plugin (``devchain``)."""
    chain = _scene.w.chain
    assert isinstance(chain, DevChainHarness)
    clock = chain.timestamp_ms
    actors = dict(_scene.w.actors)  # Python-side cast: tests may onboard extra organisations
    try:
        yield _scene
    finally:
        chain.timestamp_ms = clock
        _scene.w.actors = actors


@pytest.fixture(scope="module")
def module_chain(devchain_session: Any, dev_controls: Any) -> Iterator[DevChainHarness]:
    """The harness API over the session chain for a module's shared world; the chain goes back
    to where it was when the module is done."""
    snap = dev_controls.snapshot()
    try:
        yield DevChainHarness(devchain_session)
    finally:
        if not dev_controls.revert(snap):  # pragma: no cover - a test reverted past it
            raise RuntimeError("a test reverted the dev chain past the module's snapshot")
