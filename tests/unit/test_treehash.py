"""Batch trees hashed on two cores (a helper process) equal the one-core tree, node for node."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fisco_drugtrace.crypto import treehash
from fisco_drugtrace.drugtrace import merkle

ROOT = Path(__file__).resolve().parents[2]


def _serial(batch: bytes, hashes: list[bytes]) -> merkle.MerkleTree:
    saved = treehash.PARALLEL_MIN
    treehash.PARALLEL_MIN = 10**12
    try:
        return merkle.build_tree_from_hashes(batch, hashes)
    finally:
        treehash.PARALLEL_MIN = saved


@pytest.mark.parametrize("n", [32_768, 32_769, 40_001, 65_536, 65_537, 100_000])
def test_two_cores_build_the_one_core_tree(n: int) -> None:
    batch = os.urandom(32)
    hashes = [os.urandom(32) for _ in range(n)]
    assert treehash.helper() is not None  # the helper is really used here, not the fallback
    two = merkle.build_tree_from_hashes(batch, hashes)
    one = _serial(batch, hashes)
    assert two.levels == one.levels and two.root == one.root
    assert merkle.verify_proof(two.root, two.leaf(n - 1), two.proof(n - 1))


def test_a_helper_that_died_is_replaced_by_this_process(monkeypatch) -> None:
    batch, hashes = os.urandom(32), [os.urandom(32) for _ in range(40_000)]
    dead = treehash.Helper()
    dead._proc.kill()
    dead._proc.wait()
    monkeypatch.setattr(treehash, "_helper", dead)
    monkeypatch.setattr(treehash, "_broken", False)
    assert merkle.build_tree_from_hashes(batch, hashes).root == _serial(batch, hashes).root
    assert treehash._broken  # from now on one core, no second attempt per tree
    monkeypatch.setattr(treehash, "_helper", None)


def test_the_helper_never_runs_the_callers_script_again(tmp_path) -> None:
    """multiprocessing's spawn would import a script without a __main__ guard in the child and run
    it (here: print, as a real script would send its transactions); the helper is a plain script."""
    script = tmp_path / "user_script.py"
    script.write_text(textwrap.dedent("""
        import os
        from fisco_drugtrace.crypto import treehash
        from fisco_drugtrace.drugtrace import merkle
        print("script body ran", flush=True)
        tree = merkle.build_tree_from_hashes(b"\\x01" * 32, [bytes([i % 256]) * 32 for i in range(40_000)])
        assert treehash._helper is not None and not treehash._broken
        print(tree.root.hex())
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stdout.splitlines()
    assert out.count("script body ran") == 1 and len(out) == 2


def test_the_helper_exits_when_this_process_closes_it() -> None:
    helper = treehash.Helper()
    assert helper.levels(b"\x02" * 32, 0, b"\x03" * 32 * 4, 2)[-1] == run_root(b"\x02" * 32, [b"\x03" * 32] * 4)
    helper.close()
    assert helper._proc.returncode == 0


def run_root(batch: bytes, hashes: list[bytes]) -> bytes:
    return _serial(batch, hashes).root


def test_a_helper_that_hangs_is_dropped_and_its_half_hashed_here(monkeypatch) -> None:
    import threading

    batch, hashes = os.urandom(32), [os.urandom(32) for _ in range(40_000)]
    stuck = treehash.Helper.__new__(treehash.Helper)
    stuck._lock = threading.Lock()
    stuck._proc = subprocess.Popen([sys.executable, "-c", "import sys, time; sys.stdin.buffer.read(1); time.sleep(120)"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    monkeypatch.setattr(treehash, "_helper", stuck)
    monkeypatch.setattr(treehash, "_broken", False)
    monkeypatch.setattr(treehash, "ANSWER_WAIT_S", 1.0)
    assert merkle.build_tree_from_hashes(batch, hashes).root == _serial(batch, hashes).root
    assert treehash._broken and stuck._proc.wait(timeout=10) != 0  # killed, not left running
    monkeypatch.setattr(treehash, "_helper", None)
