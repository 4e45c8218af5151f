"""Issue 19 item 1: no nesting depth in a request body brings the chain down (both dialects).

The chain runs in its own process, as ``devchain start`` runs it — with the keystore module (and
py_ecc, which raises the recursion limit to 100,000) imported — and is sent the bodies over a
real socket. Before the depth bound, ``b'[' * 100000`` killed that process with SIGSEGV.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fisco_drugtrace.devchain.jsonrpc import MAX_DEPTH

from hardening_helpers import block_number, post_raw, start_chain

N = 100_000
DEEP_BODIES = {
    "arrays": b"[" * N + b"]" * N,
    "objects": b'{"a":' * N + b"1" + b"}" * N,
    "mixed": b'[{"a":' * (N // 2) + b"1" + b"}]" * (N // 2),
    "unclosed": b"[" * N,
    "in params": b'{"jsonrpc":"2.0","id":1,"method":"getBlockNumber","params":' + b"[" * N + b"]" * N + b"}",
    "with NaN": b"[" * N + b"NaN" + b"]" * N,
    "just past the bound": b"[" * (MAX_DEPTH + 1) + b"NaN" + b"]" * (MAX_DEPTH + 1),
}


@pytest.mark.parametrize("dialect", ["v3", "v2"])
def test_deep_bodies_get_a_parse_error_and_the_chain_keeps_serving(tmp_path: Path, dialect: str) -> None:
    proc, url = start_chain(tmp_path, dialect=dialect)
    try:
        for name, body in DEEP_BODIES.items():
            status, payload = post_raw(url, body)
            assert status == 200, name
            answer = json.loads(payload)
            assert answer["error"]["code"] == -32700, (name, answer)
            assert proc.poll() is None, f"the chain died on {name}"
        assert block_number(url, dialect) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_nesting_within_the_bound_still_parses_through_the_fallback(tmp_path: Path) -> None:
    # NaN makes orjson refuse the body, so json.loads reads it: the answer is "not a request", not bad JSON
    proc, url = start_chain(tmp_path)
    try:
        status, payload = post_raw(url, b"[" * (MAX_DEPTH - 1) + b"NaN" + b"]" * (MAX_DEPTH - 1))
        assert json.loads(payload)["error"]["code"] == -32600
    finally:
        proc.terminate()
        proc.wait(timeout=20)
