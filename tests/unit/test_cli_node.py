"""``fisco-drugtrace node info`` against a fake node over real HTTP, and its error exit codes."""

from __future__ import annotations

import json
import socket

import pytest

from fisco_drugtrace.cli.main import main
from tests.fakes import NODE_ID, serve_http, v2_node, v3_node


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    for name in ("FISCO_RPC_URL", "FISCO_DIALECT", "FISCO_GROUP", "FISCO_CHAIN_ID", "FISCO_DRUGTRACE_CONFIG",
                 "FISCO_TLS_CA", "FISCO_TLS_CERT", "FISCO_TLS_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_node_info_json_v3(capsys: pytest.CaptureFixture[str]) -> None:
    with serve_http(node=v3_node(block_number=12)) as server:
        code = main(["--rpc-url", server.url, "node", "info", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["block_number"] == 12 and out["group"] == "group0" and out["chain_id"] == "chain0"
    assert out["sealers"] == [NODE_ID] and out["is_syncing"] is False and out["version"] == "3.16.4"
    assert out["dialect"] == "v3" and out["url"] == server.url


def test_node_info_text_v2(capsys: pytest.CaptureFixture[str], tmp_path, monkeypatch) -> None:  # noqa: ANN001
    (tmp_path / "fisco-drugtrace.toml").write_text('[chain]\ndialect = "v2"\ngroup = 1\n')
    with serve_http(node=v2_node(block_number=3)) as server:
        code = main(["--rpc-url", server.url, "node", "info"])
    text = capsys.readouterr().out
    assert code == 0
    assert "block_number" in text and "2.11.1" in text and NODE_ID[:20] in text


def test_unreachable_node_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    code = main(["--rpc-url", f"http://127.0.0.1:{port}", "node", "info"])
    assert code == 3
    assert "cannot connect" in capsys.readouterr().err


def test_html_answer_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    with serve_http("html") as server:
        assert main(["--rpc-url", server.url, "node", "info"]) == 3
    assert "HTML" in capsys.readouterr().err


def test_bad_config_exits_2(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "fisco-drugtrace.toml").write_text('[chain]\ndialect = "v9"\n')
    assert main(["node", "info"]) == 2
    assert "unknown dialect" in capsys.readouterr().err
