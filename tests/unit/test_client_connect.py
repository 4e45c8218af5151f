"""connect(settings): the right dialect client over the right transport."""

from __future__ import annotations

from pathlib import Path

from fisco_drugtrace.client import ClientV2, ClientV3, connect
from fisco_drugtrace.config import Settings, TlsPaths
from fisco_drugtrace.rpc import FailoverTransport, HttpTransport, InProcessTransport
from fisco_drugtrace.types import Dialect
from tests.fakes import serve_http, v2_node, v3_node


def test_v3_over_http_reads_block_number() -> None:
    with serve_http(node=v3_node(block_number=11)) as server:
        with connect(Settings(urls=(server.url,), timeout=5)) as client:
            assert isinstance(client, ClientV3)
            assert isinstance(client.rpc.transport, HttpTransport)
            assert client.block_number() == 11
            assert client.identity().chain_id == "chain0"


def test_v2_settings_give_a_v2_client_with_integer_group() -> None:
    node = v2_node(block_number=4)
    client = connect(Settings(dialect=Dialect.V2, group=3, chain_id=7), handler=node.handle_raw)
    assert isinstance(client, ClientV2) and isinstance(client.rpc.transport, InProcessTransport)
    assert client.block_number() == 4 and node.calls[-1] == ("getBlockNumber", [3])
    assert client.identity().chain_id == 7


def test_several_urls_fail_over_and_retries_follow_settings() -> None:
    client = connect(Settings(urls=("http://127.0.0.1:1", "http://127.0.0.1:2"), retries=5))
    assert isinstance(client.rpc.transport, FailoverTransport)
    assert client.rpc.retry.attempts == 6
    client.close()


def test_tls_settings_reach_the_transport(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.fakes import make_cert, write_pem

    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_cert("ca", key, "ca", key, ca=True)
    paths = TlsPaths(ca=write_pem(tmp_path / "ca.crt", cert), cert=write_pem(tmp_path / "sdk.crt", cert),
                     key=write_pem(tmp_path / "sdk.key", key=key))
    client = connect(Settings(urls=("https://127.0.0.1:20200",), tls=paths))
    transport = client.rpc.transport
    assert isinstance(transport, HttpTransport) and transport.tls is not None
    assert transport.tls.key == paths.key
    client.close()
