"""The pytest plugin as a user's project meets it: a separate pytest run in a directory of its own,
the plugin loaded through its ``pytest11`` entry point (nothing imported by hand), its fixtures
giving a chain, a client, signers and controls, every test isolated by snapshot/revert (contracts,
height and clock), ``devchain_config`` overridable, and ``-p no:fisco_drugtrace`` turning it off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: a user's test module: the first test deploys a contract whose code returns TIMESTAMP and moves
#: the clock ten days; the second must see none of it
USER_TESTS = '''
DAY = 86_400_000
#: init code (CODECOPY the 9-byte runtime and RETURN it) + runtime: TIMESTAMP PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
INIT = bytes.fromhex("6009600c60003960096000f3" "4260005260206000f3")
seen = {}


def test_a_deploys_and_moves_the_clock(devchain, dev_client, dev_signers, dev_controls):
    seen["height"] = dev_client.block_number()
    seen["time"] = dev_controls.time()
    receipt = dev_client.send_transaction(dev_signers[0], None, INIT)
    assert receipt.ok and receipt.block_number == seen["height"] + 1
    seen["address"] = receipt.contract_address
    dev_controls.increase_time(10 * DAY)
    dev_controls.mine()
    stamp = int.from_bytes(dev_client.call(seen["address"], b"").output, "big")
    assert stamp >= seen["time"] + 10 * DAY  # TIMESTAMP in the mined block, in ms
    assert devchain.chain.head.timestamp == stamp


def test_b_sees_none_of_it(devchain, dev_client, dev_controls):
    assert dev_client.block_number() == seen["height"]
    assert dev_client.get_code(seen["address"]) == b""
    assert dev_controls.time() < seen["time"] + 10 * DAY


def test_c_the_session_chain_is_the_same_chain(devchain, devchain_session):
    assert devchain is devchain_session
'''

#: the same project choosing a 2.x chain by overriding ``devchain_config``
USER_CONFTEST_V2 = '''
import pytest
from fisco_drugtrace.devchain import DevChainConfig


@pytest.fixture(scope="session")
def devchain_config():
    return DevChainConfig(dialect="v2")
'''

USER_V2_TEST = '''
def test_the_chain_is_2x(devchain, dev_client):
    assert devchain.identity.dialect.value == "v2" and dev_client.block_number() == 0
'''


def _pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONPATH"] = str(ROOT)  # this checkout's package (the entry point names the module)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *args],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)


def test_a_users_tests_are_isolated_by_snapshot_and_revert(tmp_path: Path) -> None:
    (tmp_path / "test_user_contracts.py").write_text(USER_TESTS)
    done = _pytest(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_the_isolation_is_what_makes_the_second_test_pass(tmp_path: Path) -> None:
    """Without the ``devchain`` fixture's revert (the session chain alone), the second test sees the
    first one's block, contract and clock: the check above is not vacuous."""
    unisolated = USER_TESTS.split("\n\ndef test_c")[0]
    (tmp_path / "test_user_contracts.py").write_text(
        unisolated.replace("(devchain,", "(devchain_session,").replace("devchain.chain", "devchain_session.chain"))
    done = _pytest(tmp_path)
    assert done.returncode == 1 and "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr


def test_devchain_config_is_overridable(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(USER_CONFTEST_V2)
    (tmp_path / "test_v2.py").write_text(USER_V2_TEST)
    done = _pytest(tmp_path)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr


def test_the_plugin_can_be_turned_off(tmp_path: Path) -> None:
    (tmp_path / "test_v2.py").write_text(USER_V2_TEST)
    done = _pytest(tmp_path, "-p", "no:fisco_drugtrace")
    assert done.returncode != 0 and "fixture 'devchain' not found" in done.stdout, done.stdout + done.stderr
