"""Issue 19 items 1 and 6: the client reads only what it can afford.

Fake nodes on 127.0.0.1 answer a 300 MB-declared body, an endless chunked body, a gzip bomb, a
307 to another port and a 100,000-deep JSON document; every one must give a typed
:class:`BadResponseError` with the process alive and small.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fisco_drugtrace.client import connect
from fisco_drugtrace.client._wire import json_object, quantity
from fisco_drugtrace.config import Settings, load_settings
from fisco_drugtrace.errors import AnswerTooLarge, BadResponseError, ConfigError
from fisco_drugtrace.rpc import DEFAULT_MAX_ANSWER_BYTES, HttpTransport, JsonRpc, RetryPolicy, load_json
from fisco_drugtrace.rpc.answers import JsonTooDeep, json_depth
from tests.fakes import FakeNode, serve_http

ROOT = Path(__file__).resolve().parents[2]


def _rpc(url: str, **kwargs: object) -> JsonRpc:
    return JsonRpc(HttpTransport(url, timeout=20, **kwargs), retry=RetryPolicy(attempts=1))  # type: ignore[arg-type]


def test_an_answer_declaring_300_mb_is_refused_before_its_body_is_read() -> None:
    """Before: a 300 MB answer peaked at 956 MB RSS and came back as a 2.4e9-bit block number."""
    with serve_http("giant_declared", declared=300_000_000) as server:
        start = time.monotonic()
        with pytest.raises(AnswerTooLarge) as info:
            _rpc(server.url).request("getBlockNumber", [])
        elapsed = time.monotonic() - start
    assert info.value.declared == 300_000_000 and info.value.limit == DEFAULT_MAX_ANSWER_BYTES
    assert "max_answer_bytes" in str(info.value)
    assert elapsed < 5
    # what the node managed to push before we hung up: socket buffers, not the 300 MB
    assert sum(server.sent) < 32 * 1024 * 1024


def test_an_endless_chunked_answer_is_cut_at_the_cap() -> None:
    with serve_http("giant_chunked") as server:
        with pytest.raises(AnswerTooLarge) as info:
            _rpc(server.url, max_answer_bytes=1 << 20).request("getBlockNumber", [])
    assert info.value.limit == 1 << 20 and info.value.declared is None


def test_a_gzip_bomb_is_refused_not_inflated() -> None:
    """Before: a 1 GiB gzip bomb peaked at 2.36 GB (requests inflates whatever it is sent)."""
    with serve_http("gzip", inflated=16 * 1024 * 1024) as server:
        with pytest.raises(BadResponseError) as info:
            _rpc(server.url).request("getBlockNumber", [])
    assert "Content-Encoding 'gzip'" in str(info.value)
    assert server.headers[0]["accept-encoding"] == "identity"


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_the_other_port_receives_nothing(status: int) -> None:
    """Before: a 307 re-POSTed the signed body to another port."""
    other = FakeNode().on("sendTransaction", "0x" + "00" * 32)
    with serve_http(node=other) as elsewhere, serve_http("redirect", location=elsewhere.url, status=status) as node:
        with pytest.raises(BadResponseError) as info:
            _rpc(node.url).request("sendTransaction", ["group0", "", "0x1234", False], idempotent=False)
        assert elsewhere.hits == []
    assert info.value.status == status
    assert elsewhere.url in str(info.value) and "not followed" in str(info.value)


def test_the_answer_cap_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FISCO_MAX_ANSWER_BYTES", raising=False)
    config = tmp_path / "fisco-drugtrace.toml"
    config.write_text('[network]\nurls = ["http://127.0.0.1:1"]\nmax_answer_bytes = 2048\n')
    settings = load_settings(config, environ={})
    assert settings.max_answer_bytes == 2048
    assert load_settings(config, environ={"FISCO_MAX_ANSWER_BYTES": "4096"}).max_answer_bytes == 4096
    assert connect(settings).rpc.transport.max_answer_bytes == 2048  # type: ignore[attr-defined]
    assert load_settings(environ={}, cwd=tmp_path / "nowhere").max_answer_bytes == DEFAULT_MAX_ANSWER_BYTES
    with pytest.raises(ConfigError):
        load_settings(config, environ={"FISCO_MAX_ANSWER_BYTES": "lots"})


def test_a_node_answering_a_huge_integer_gives_a_bad_response() -> None:
    with pytest.raises(BadResponseError):
        quantity("0x" + "f" * 100_000, "blockNumber")
    with pytest.raises(BadResponseError):
        quantity(2**300, "blockNumber")
    assert quantity("0x" + "f" * 64) == 2**256 - 1


# --------------------------------------------------------------------------- nesting (item 1)
def test_depth_is_measured_outside_strings() -> None:
    assert json_depth(b'{"a":"[[[[{{{{","b":[1,[2]]}') == 3
    assert json_depth(b'["\\"[[[", [[]]]') == 3
    assert json_depth(b"17") == 0
    with pytest.raises(JsonTooDeep):
        load_json(b"[" * 300 + b"]" * 300)
    assert load_json(b"[" * 200 + b"]" * 200, max_depth=256)


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b"[" * 100_000,
                                  b'{"jsonrpc":"2.0","id":1,"error":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001])
def test_deep_nesting_in_an_answer_is_a_bad_response(body: bytes) -> None:
    node = FakeNode()
    with serve_http("deep", node=node, depth=100_000) as server:
        with pytest.raises(BadResponseError) as info:
            _rpc(server.url).request("getBlockNumber", [])
    assert "levels deep" in str(info.value)
    from fisco_drugtrace.rpc.jsonrpc import parse_response

    with pytest.raises(BadResponseError):
        parse_response(body, request_id=1, method="getBlockNumber")


def test_deep_nesting_inside_a_node_string_is_a_bad_response() -> None:
    with pytest.raises(BadResponseError):
        json_object("[" * 100_000 + "]" * 100_000, "sync status")


_CHILD = textwrap.dedent("""
    import importlib, importlib.util, sys
    import fisco_drugtrace.cli.main as cli_main
    for target in cli_main._COMMANDS.values():   # everything the CLI can import
        module = target.split(":")[0]
        if importlib.util.find_spec(module) is not None:
            importlib.import_module(module)
    import fisco_drugtrace.crypto.keystore       # py_ecc comes with it and raises the limit
    if sys.getrecursionlimit() < 100_000:        # keep the dangerous condition even if it stops
        sys.setrecursionlimit(100_000)
    from fisco_drugtrace.client import connect
    from fisco_drugtrace.config import Settings
    from fisco_drugtrace.errors import BadResponseError
    client = connect(Settings(urls=(sys.argv[1],), timeout=20, retries=0))
    try:
        client.block_number()
    except BadResponseError as exc:
        print("BadResponseError:", exc.message[:80])
        sys.exit(0)
    sys.exit(7)
""")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


_CHILD_SDK_ONLY = textwrap.dedent("""
    import sys
    from fisco_drugtrace.client import connect
    from fisco_drugtrace.config import Settings
    from fisco_drugtrace.errors import BadResponseError
    assert "fisco_drugtrace.crypto.keystore" not in sys.modules and sys.getrecursionlimit() < 10_000
    try:
        connect(Settings(urls=(sys.argv[1],), timeout=20, retries=0)).block_number()
    except BadResponseError as exc:
        print("BadResponseError:", exc.message[:80])
        sys.exit(0)
    sys.exit(7)
""")


@pytest.mark.parametrize("child", [_CHILD, _CHILD_SDK_ONLY], ids=["everything-imported", "sdk-only"])
def test_a_100000_deep_answer_gives_bad_response_not_a_crash(child: str) -> None:
    """Before: SIGSEGV (exit -11/139) once the keystore module was imported, else RecursionError."""
    with serve_http("deep", depth=100_000) as server:
        done = subprocess.run([sys.executable, "-c", child, server.url], capture_output=True, text=True,
                              timeout=120, env=_env(), cwd=ROOT)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "BadResponseError" in done.stdout and "levels deep" in done.stdout


def test_the_cli_reports_a_deep_answer_as_a_bad_node_answer(tmp_path: Path) -> None:
    with serve_http("deep", depth=100_000) as server:
        done = subprocess.run([sys.executable, "-m", "fisco_drugtrace.cli.main", "--rpc-url", server.url,
                               "--timeout", "20", "node", "info"], capture_output=True, text=True, timeout=120,
                              env=_env(), cwd=tmp_path)
    assert done.returncode == 3, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "levels deep" in done.stderr


def test_a_v2_compressed_batch_that_inflates_past_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """2.x ``compress=true`` batch receipts are base64(zlib(JSON)): a small answer could inflate unboundedly."""
    import base64
    import zlib

    from fisco_drugtrace.client import v2 as client_v2
    from fisco_drugtrace.rpc import InProcessTransport
    from tests.fakes import v2_node

    monkeypatch.setattr(client_v2, "_MAX_INFLATED", 1 << 20)
    node = v2_node()
    bomb = base64.b64encode(zlib.compress(b'{"a":"' + b"0" * (8 << 20) + b'"}', 9)).decode()
    assert len(bomb) < 20_000
    node.on("getBatchReceiptsByBlockNumberAndRange", bomb)
    rpc = JsonRpc(InProcessTransport(node.handle_raw))
    client = client_v2.ClientV2(rpc, group=1, chain_id=1)
    with pytest.raises(BadResponseError, match="inflate to more than"):
        client.get_batch_receipts_by_block_number_and_range(5, compress=True)
    deep = base64.b64encode(zlib.compress(b"[" * 100_000 + b"]" * 100_000)).decode()
    node.on("getBatchReceiptsByBlockNumberAndRange", deep)
    with pytest.raises(BadResponseError, match="levels deep"):
        client.get_batch_receipts_by_block_number_and_range(5, compress=True)


def test_a_deeply_nested_keystore_file_is_a_format_error(tmp_path: Path) -> None:
    from fisco_drugtrace.crypto.keystore import read_keystore_file
    from fisco_drugtrace.errors import KeystoreFormatError

    hostile = tmp_path / "evil.json"
    hostile.write_bytes(b'{"crypto":' * 100_000 + b"1" + b"}" * 100_000)
    with pytest.raises(KeystoreFormatError, match="levels deep"):
        read_keystore_file(hostile)
